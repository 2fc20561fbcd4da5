/**
 * Bearer token checks that take the same time whatever the token.
 *
 * @module
 */

const encoder = new TextEncoder();

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", encoder.encode(text)),
  );
}

/**
 * The SHA-256 digests of the accepted tokens, computed once.
 *
 * @param tokens The accepted tokens.
 * @returns Their digests.
 */
export function digestAll(tokens: readonly string[]): Promise<Uint8Array[]> {
  return Promise.all(tokens.map(digest));
}

/**
 * Whether `candidate` equals one of `tokens`, in time that depends on neither
 * the candidate nor which token matches: both sides are hashed with SHA-256
 * (so lengths do not show), and every token is compared in full.
 *
 * @param candidate The token presented.
 * @param tokens The accepted tokens, or their digests from {@linkcode digestAll}.
 * @returns True when one matches.
 */
export async function matchesAnyToken(
  candidate: string,
  tokens: readonly string[] | Promise<Uint8Array[]>,
): Promise<boolean> {
  const presented = await digest(candidate);
  const expectedAll = Array.isArray(tokens)
    ? await digestAll(tokens as readonly string[])
    : await tokens;
  let matched = 0;
  for (const expected of expectedAll) {
    let difference = 0;
    for (let i = 0; i < expected.length; i++) {
      difference |= (expected[i] as number) ^ (presented[i] as number);
    }
    matched |= difference === 0 ? 1 : 0;
  }
  return matched === 1;
}

/**
 * The token of an `Authorization: Bearer <token>` header, or `undefined`
 * when the header is missing or has another scheme.
 *
 * @param header The `Authorization` header's value.
 * @returns The token.
 */
export function bearerToken(header: string | null): string | undefined {
  const match = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i.exec(header ?? "");
  return match?.[1];
}
