/**
 * Field names read off the wire without a new string per field: the names a side nearly always
 * receives are matched byte by byte against constants (a match costs no allocation and no
 * lower-casing, and compares by identity later); anything else is sliced and lower-cased. The
 * server's request parser and the client's response parser each have their own list.
 */

/** Bytes [from, to) as a latin1 string: each byte one UTF-16 unit, as HTTP heads are read. */
export function latin1(data: Buffer, from: number, to: number): string {
  return data.toString("latin1", from, to);
}

/** Reads a field name in lower case (names are case-insensitive, RFC 9110 §5.1). */
export type FieldNameReader = (data: Buffer, from: number, to: number) => string;

/** A reader that returns the constant from `common` (lower-case names) when the bytes match one. */
export function fieldNameReader(common: readonly string[]): FieldNameReader {
  const byLength: (string[] | undefined)[] = [];
  for (const name of common) (byLength[name.length] ??= []).push(name);
  return (data, from, to) => {
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
    return lowerName(data, from, to);
  };
}

function lowerName(data: Buffer, from: number, to: number): string {
  for (let i = from; i < to; i++) {
    const c = data[i] as number;
    if (c >= 0x41 && c <= 0x5a) return latin1(data, from, to).toLowerCase();
  }
  return latin1(data, from, to);
}
