/**
 * Percent-decoding of a request path (RFC 3986 §2.1), done exactly once: the decoded bytes must be
 * valid UTF-8, and a malformed escape is an error, never passed through or guessed.
 */

const NON_ASCII = /[^\t -~]/;
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes every `%XX` escape in `encoded` and reads the result as UTF-8. Returns undefined when an
 * escape is malformed (`%`, `%4`, `%zz`) or the bytes are not valid UTF-8. The result is NOT decoded
 * again: `%252e` becomes the three characters `%2e`, which is a literal file name, never `.`.
 */
export function percentDecode(encoded: string): string | undefined {
  if (!encoded.includes("%") && !NON_ASCII.test(encoded)) return encoded;
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    const c = encoded.charCodeAt(i);
    if (c === 0x25) {
      const hi = hexValue(encoded.charCodeAt(i + 1));
      const lo = hexValue(encoded.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return undefined;
      bytes.push(hi * 16 + lo);
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      // A request target is ASCII on the wire (RFC 9112 §3.2); a parser that let other bytes
      // through handed them over as latin1 code units, so keep them as those bytes.
      if (c > 0xff) return undefined;
      bytes.push(c);
    }
  }
  try {
    return decoder.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}
