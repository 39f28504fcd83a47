/** Numbers as people read them, shared by wings that print them (directory listings, progress). */

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
