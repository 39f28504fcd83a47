/** Numbers and bytes as people read them, shared by the wings that print them. */

/** Bytes in binary units: 1536 → "1.5 KiB", 200 MiB → "200 MiB" (one decimal below 10). */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[u]}`;
}

/** One char of peer text (a byte, latin1) as `\xHH`, for text that must not drive a terminal. */
export function hexEscape(c: string): string {
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
}
