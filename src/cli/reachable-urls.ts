/**
 * What `tcpkit serve` prints after its readiness line when it listens on every interface
 * (0.0.0.0 or ::): one URL per address another device (or this one) can use, loopback first,
 * then each interface's; and, with --qr, a QR code of the first LAN URL for a phone's camera.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from "node:os";
import { createRequire } from "node:module";
import type QRCodeModule from "qrcode";
import { formatUrl } from "../net/address.js";

/**
 * The URLs for a server bound to `host`:`port`: for a wildcard address every interface address
 * of the families it accepts (:: accepts IPv4 too; IPv6 link-local addresses are left out, as
 * they need a zone a browser cannot take), loopback first; for any other address that one.
 */
export function reachableUrls(
  scheme: string,
  host: string,
  port: number,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string[] {
  if (host !== "0.0.0.0" && host !== "::") return [`${formatUrl(scheme, host, port)}/`];
  const all = Object.values(interfaces).flatMap((list) => list ?? []);
  const usable = all.filter(
    (i) =>
      (i.family === "IPv4" || (host === "::" && !i.address.toLowerCase().startsWith("fe80:"))) &&
      !(i.family === "IPv6" && i.scopeid !== undefined && i.scopeid !== 0),
  );
  usable.sort((a, b) => Number(b.internal) - Number(a.internal));
  return [...new Set(usable.map((i) => `${formatUrl(scheme, i.address, port)}/`))];
}

/** The first URL another device can use: a non-loopback one, else the first. */
export function lanUrl(urls: readonly string[]): string | undefined {
  return urls.find((u) => !/\/\/(127\.|\[::1\])/.test(u)) ?? urls[0];
}

/**
 * `text` as a QR code for a terminal: two modules per character cell (upper and lower half
 * blocks), dark on a light quiet zone so phones read it on dark and light themes alike.
 * The encoding is the qrcode package's; this only draws its module matrix.
 */
export function terminalQr(text: string): string {
  // Loaded on first use: the package (with pngjs, and node:zlib under it) adds about 7 MiB to
  // the resident memory of every serve process, and only --qr needs it (docs/BENCHMARKS.md).
  const QRCode = createRequire(import.meta.url)("qrcode") as typeof QRCodeModule;
  const { modules } = QRCode.create(text, { errorCorrectionLevel: "L" });
  const size = modules.size;
  const quiet = 2;
  const dark = (row: number, col: number): boolean =>
    row >= 0 && col >= 0 && row < size && col < size && modules.get(row, col) === 1;
  let out = "";
  for (let row = -quiet; row < size + quiet; row += 2) {
    let line = "";
    for (let col = -quiet; col < size + quiet; col++) {
      const top = dark(row, col);
      const bottom = dark(row + 1, col);
      // Light is drawn (the block), dark left blank: the code reads as dark modules on light.
      line += top ? (bottom ? " " : "▄") : bottom ? "▀" : "█";
    }
    out += `${line}\n`;
  }
  return out;
}
