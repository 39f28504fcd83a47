/**
 * Reaching `tcpkit serve`: the DNS-rebinding guard on loopback addresses (--allowed-hosts), the
 * URL list for a wildcard address, --qr (decoded back by jsQR, a real QR reader), and the PORT
 * environment variable.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import jsqrModule from "jsqr";
import { runCli, startCli } from "../support/cli.js";
import { freePort } from "../support/ports.js";
import { exchange } from "../support/raw-socket.js";
import { runTool } from "../support/tools.js";

// jsqr is CommonJS whose module.exports is the function; TypeScript sees its `default`.
type Decode = typeof jsqrModule.default;
const jsQR: Decode =
  typeof jsqrModule === "function" ? (jsqrModule as unknown as Decode) : jsqrModule.default;

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), "tcpkit-reach-"));
  writeFileSync(join(root, "hello.txt"), "hello\n");
});
after(() => rmSync(root, { recursive: true, force: true }));

async function statusFor(
  port: number,
  host: string | undefined,
  target = "/hello.txt",
): Promise<number> {
  const hostLine = host === undefined ? "" : `Host: ${host}\r\n`;
  const version = host === undefined ? "1.0" : "1.1";
  const r = await exchange(port, [
    `GET ${target} HTTP/${version}\r\n${hostLine}Connection: close\r\n\r\n`,
  ]);
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(r.data.toString("latin1"))?.[1]);
}

describe("serve DNS-rebinding guard", () => {
  it("answers loopback names and refuses others with 403 on a loopback address", async () => {
    const s = await startCli(["serve", root, "--port", "0", "--log", "off"]);
    try {
      const p = s.port;
      for (const host of [
        `127.0.0.1:${p}`,
        "localhost",
        `LOCALHOST.:${p}`,
        "app.localhost",
        "127.1.2.3",
        "[::1]:80",
      ]) {
        assert.equal(await statusFor(p, host), 200, host);
      }
      for (const host of [
        "evil.example",
        `evil.example:${p}`,
        "localhost.evil.example",
        "192.168.1.2",
        "[::2]",
      ]) {
        assert.equal(await statusFor(p, host), 403, host);
      }
      assert.equal(await statusFor(p, "localhost", "http://evil.example/hello.txt"), 403);
      assert.equal(await statusFor(p, undefined), 200, "HTTP/1.0 without Host");
      // curl sends Host: 127.0.0.1:PORT
      const r = await runTool("curl", ["-s", `http://127.0.0.1:${p}/hello.txt`]);
      assert.equal(r.stdout.toString(), "hello\n");
      const forged = await runTool("curl", [
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-H",
        "Host: attacker.test",
        `http://127.0.0.1:${p}/hello.txt`,
      ]);
      assert.equal(forged.stdout.toString(), "403");
    } finally {
      await s.stop();
    }
  });

  it("answers names given with --allowed-hosts, and every name with any", async () => {
    const s = await startCli([
      "serve",
      root,
      "--port",
      "0",
      "--log",
      "off",
      "--allowed-hosts",
      "app.test,.dev.test",
    ]);
    const open = await startCli([
      "serve",
      root,
      "--port",
      "0",
      "--log",
      "off",
      "--allowed-hosts",
      "any",
    ]);
    try {
      for (const [host, status] of [
        ["app.test", 200],
        ["APP.TEST:8080", 200],
        ["dev.test", 200],
        ["a.b.dev.test", 200],
        ["other.test", 403],
        ["xdev.test", 403],
      ] as const) {
        assert.equal(await statusFor(s.port, host), status, host);
      }
      assert.equal(await statusFor(open.port, "evil.example"), 200);
    } finally {
      await Promise.all([s.stop(), open.stop()]);
    }
  });
});

describe("serve on every interface", () => {
  it("prints each reachable URL and a QR code of the LAN URL that a QR reader decodes", async () => {
    const s = await startCli([
      "serve",
      root,
      "--port",
      "0",
      "--host",
      "0.0.0.0",
      "--qr",
      "--log",
      "off",
    ]);
    try {
      // The start-up text may arrive in more than one piece: wait for its last line (bounded).
      for (let i = 0; i < 100 && !/█\n {2}http:\S+\n/.test(s.stdout()); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const lines = s.stdout().split("\n");
      const urls = lines.filter((l) => /^ {2}http:\/\//.test(l)).map((l) => l.trim());
      assert.ok(urls.includes(`http://127.0.0.1:${s.port}/`), s.stdout());
      for (const url of urls) {
        const r = await runTool("curl", [
          "-s",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code}",
          `${url}hello.txt`,
        ]);
        assert.equal(r.stdout.toString(), "200", url);
      }
      const qrLines = lines.filter((l) => /^[█▀▄ ]+$/.test(l) && l.includes("█"));
      assert.ok(qrLines.length > 10);
      const decoded = decodeTerminalQr(qrLines);
      const lan = urls.find((u) => !u.includes("//127.")) ?? urls[0];
      assert.equal(decoded, lan);
      // A wildcard address is not loopback: no rebinding guard there.
      assert.equal(await statusFor(s.port, "some-name.lan"), 200);
    } finally {
      await s.stop();
    }
  });
});

describe("serve PORT", () => {
  it("listens on $PORT when --port is absent, and --port wins", async () => {
    const port = await freePort();
    const s = await startCli(["serve", root, "--log", "off"], {
      env: { ...process.env, PORT: String(port) },
    });
    const p = await startCli(["serve", root, "-p", "0", "--log", "off"], {
      env: { ...process.env, PORT: String(port) },
    });
    try {
      assert.equal(s.port, port);
      assert.notEqual(p.port, port);
    } finally {
      await Promise.all([s.stop(), p.stop()]);
    }
  });
  it("refuses a bad PORT with exit 2", async () => {
    const r = await runCli(["serve", root], { env: { ...process.env, PORT: "80a" } });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^tcpkit: the PORT environment variable must be a port number from 0 to 65535, not '80a'/,
    );
  });
});

/** The terminal QR back to pixels (4 per module, half blocks as two modules), read by jsQR. */
function decodeTerminalQr(lines: string[]): string | undefined {
  const scale = 4;
  const width = [...(lines[0] as string)].length;
  const rows = lines.length * 2;
  const data = new Uint8ClampedArray(width * scale * rows * scale * 4);
  lines.forEach((line, r) => {
    [...line].forEach((ch, c) => {
      const light =
        ch === "█"
          ? [true, true]
          : ch === "▀"
            ? [true, false]
            : ch === "▄"
              ? [false, true]
              : [false, false];
      for (let half = 0; half < 2; half++) {
        const v = light[half] ? 255 : 0;
        for (let y = 0; y < scale; y++) {
          for (let x = 0; x < scale; x++) {
            const i = (((r * 2 + half) * scale + y) * width * scale + c * scale + x) * 4;
            data[i] = data[i + 1] = data[i + 2] = v;
            data[i + 3] = 255;
          }
        }
      }
    });
  });
  return jsQR(data, width * scale, rows * scale)?.data;
}
