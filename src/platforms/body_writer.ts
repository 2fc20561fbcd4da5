/**
 * A growable byte buffer that request bodies are written into as UTF-8,
 * piece by piece, without joining strings first.
 *
 * @module
 */

const encoder = new TextEncoder();
const SHORT = 64;
const QUOTE = 0x22;

/**
 * Writes a request body as UTF-8 bytes. Knowing the exact size after each
 * event lets a batch stop at its byte limit, and writing each piece straight
 * into one buffer avoids building the body as one large string first.
 */
export class BodyWriter {
  #buffer: Uint8Array<ArrayBuffer>;
  #length = 0;

  /**
   * Creates an empty writer; no memory is taken until the first write.
   *
   * @param initialBytes The first buffer size.
   */
  constructor(initialBytes = 64 * 1024) {
    this.#buffer = new Uint8Array(0);
    this.#initial = initialBytes;
  }

  #initial: number;

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /** Writes a string as UTF-8. */
  writeString(text: string): void {
    this.#reserve(text.length * 3);
    if (text.length <= SHORT) {
      // Short strings (ids, times, numbers) are mostly ASCII: copying their
      // codes is cheaper than an encodeInto call and its subarray view.
      const buffer = this.#buffer;
      let at = this.#length;
      let i = 0;
      for (; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        buffer[at++] = code;
      }
      this.#length = at;
      if (i === text.length) return;
      text = text.slice(i);
    }
    this.#length += encoder.encodeInto(
      text,
      this.#buffer.subarray(this.#length),
    ).written;
  }

  /**
   * Writes a string as the inside of a JSON string (escaped, without the
   * quotes), exactly as `JSON.stringify` would.
   */
  writeJsonContent(text: string): void {
    if (text.length <= SHORT) {
      // Plain ASCII needing no escape is copied as it is.
      this.#reserve(text.length);
      const buffer = this.#buffer;
      let at = this.#length;
      let i = 0;
      for (; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code < 0x20 || code >= 0x7f || code === 0x22 || code === 0x5c) {
          break;
        }
        buffer[at++] = code;
      }
      if (i === text.length) {
        this.#length = at;
        return;
      }
    }
    const quoted = JSON.stringify(text);
    this.writeString(quoted.slice(1, quoted.length - 1));
  }

  /** Writes a string as a JSON string, quotes included, exactly as `JSON.stringify` would. */
  writeJsonString(text: string): void {
    this.writeByte(QUOTE);
    this.writeJsonContent(text);
    this.writeByte(QUOTE);
  }

  /** Writes bytes as they are. */
  writeBytes(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  /** Writes one byte (an ASCII character code). */
  writeByte(byte: number): void {
    this.#reserve(1);
    this.#buffer[this.#length++] = byte;
  }

  /** Forgets everything written after the first `length` bytes. */
  truncate(length: number): void {
    this.#length = Math.min(length, this.#length);
  }

  /** A copy of the bytes written. */
  bytes(): Uint8Array<ArrayBuffer> {
    return this.#buffer.slice(0, this.#length);
  }

  #reserve(extra: number): void {
    const needed = this.#length + extra;
    if (needed <= this.#buffer.length) return;
    let size = Math.max(this.#buffer.length * 2, this.#initial);
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
  }
}

/** The UTF-8 bytes of an ASCII or other string, for constant pieces. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
