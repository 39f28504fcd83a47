/**
 * Field names read off the wire without a new string per field: the names a side nearly always
 * receives are matched byte by byte against constants (a match costs no allocation and no
 * lower-casing, and compares by identity later); anything else is sliced and lower-cased. The
 * server's request parser and the client's response parser each have their own list.
 *
 * Both parsers decode a head's bytes to text once (HeadText) and take every string they keep as
 * a slice of it: each decode from a Buffer is a call into C++ costing about 800 instructions
 * whatever its length (callgrind: 14 such calls were 11% of a proxied request's instructions),
 * while a slice of a string stays inside V8.
 */

/** Bytes [from, to) as a latin1 string: each byte one UTF-16 unit, as HTTP heads are read. */
export function latin1(data: Buffer, from: number, to: number): string {
  return data.toString("latin1", from, to);
}

/**
 * A head's bytes decoded once: `text` is data[base, base + text.length) as latin1, so bytes
 * [from, to) of the buffer are text.slice(from - base, to - base).
 */
export interface HeadText {
  readonly text: string;
  readonly base: number;
}

/** Bytes [from, to) of the head, as a slice of its decoded text. */
export function sliceHead(head: HeadText, from: number, to: number): string {
  return head.text.slice(from - head.base, to - head.base);
}

/** Reads a field name in lower case (names are case-insensitive, RFC 9110 §5.1). */
export type FieldNameReader = (data: Buffer, from: number, to: number, head: HeadText) => string;

/** A reader that returns the constant from `common` (lower-case names) when the bytes match one. */
export function fieldNameReader(common: readonly string[]): FieldNameReader {
  const byLength: (string[] | undefined)[] = [];
  for (const name of common) (byLength[name.length] ??= []).push(name);
  return (data, from, to, head) => {
    const candidates = byLength[to - from];
    if (candidates !== undefined) {
      next: for (const name of candidates) {
        for (let i = 0; i < name.length; i++) {
          let c = data[from + i] as number;
          if (c >= 0x41 && c <= 0x5a) c |= 0x20;
          if (c !== name.charCodeAt(i)) continue next;
        }
        return name;
      }
    }
    return lowerName(data, from, to, head);
  };
}

function lowerName(data: Buffer, from: number, to: number, head: HeadText): string {
  const name = sliceHead(head, from, to);
  for (let i = from; i < to; i++) {
    const c = data[i] as number;
    if (c >= 0x41 && c <= 0x5a) return name.toLowerCase();
  }
  return name;
}
