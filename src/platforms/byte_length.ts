/**
 * UTF-8 size of a string without encoding it.
 *
 * @module
 */

/**
 * The number of bytes `text` takes in UTF-8 (a lone surrogate counts as the
 * three bytes of U+FFFD, as TextEncoder writes it).
 *
 * @param text The string.
 * @returns Its UTF-8 size in bytes.
 */
export function utf8ByteLength(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) {
      bytes += 1;
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2; // 4 bytes for two UTF-16 units
        i++;
      } else {
        bytes += 2;
      }
    } else {
      bytes += 2;
    }
  }
  return bytes;
}
