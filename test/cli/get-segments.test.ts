// `tcpkit get -x N` (segmented downloads) against a resource server that can misbehave: every
// 206 checked, a wrong Content-Range never written, a resource that changes mid-download never
// mixed into one file, SIGKILL then -c resuming without fetching finished ranges again, and the
// digest checked over the assembled file.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { CLI_PATH, runCli } from "../support/cli.js";
import { CLI_RUNTIME } from "../support/runtime.js";
import {
  reprDigestOf,
  sha256Etag,
  startRangeServer,
  type RangeRequest,
  type RangeServer,
} from "../support/range-server.js";

const MiB = 1024 * 1024;
const BODY = randomBytes(4 * MiB + 123);
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

let root: string;
let cwd: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), "tcpkit-segments-"));
});
after(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  cwd = mkdtempSync(join(root, "cwd-"));
});

const get = (args: string[], timeoutMs = 30_000) => runCli(["get", ...args], { cwd, timeoutMs });
const saved = (name = "file.bin") => readFileSync(join(cwd, name));

/** The ranges asked for, as [start, end] ("bytes=0-" is [0, undefined]). */
function ranges(server: RangeServer): [number, number | undefined][] {
  return server.requests.map((r) => {
    const m = /^bytes=(\d+)-(\d*)$/.exec(r.range ?? "");
    return m === null ? [-1, undefined] : [Number(m[1]), m[2] === "" ? undefined : Number(m[2])];
  });
}

/** A segment's range (bytes=A-B, A > 0) answered with its first 100000 bytes, then closed. */
function cutRange(request: RangeRequest, res: ServerResponse, socket: Socket): boolean {
  const m = /^bytes=([1-9]\d*)-(\d+)$/.exec(request.range ?? "");
  if (m === null) return false;
  const [start, end] = [Number(m[1]), Number(m[2])];
  res.writeHead(206, {
    ETag: sha256Etag(BODY),
    "Content-Range": `bytes ${start}-${end}/${BODY.length}`,
    "Content-Length": end - start + 1,
  });
  res.write(BODY.subarray(start, start + 100_000), () => socket.destroy());
  return true;
}

describe("tcpkit get -x N", () => {
  it("fetches ranges over N connections, each with If-Range, and saves the exact file", async () => {
    const server = await startRangeServer({ body: () => BODY, reprDigest: reprDigestOf });
    try {
      const r = await get(["-x", "4", server.url()]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(sha256(saved()), sha256(BODY));
      assert.match(
        r.stderr,
        /saved file\.bin \(4194427 bytes\) in .*, 4 connections, Repr-Digest sha256 verified/,
      );
      assert.equal(server.connections(), 4);
      const asked = ranges(server);
      assert.deepEqual(asked[0], [0, undefined]);
      const etag = server.requests[0]?.ifRange;
      assert.equal(etag, undefined);
      for (const request of server.requests.slice(1)) {
        assert.match(request.ifRange ?? "", /^"[0-9a-f]{16}"$/);
      }
      // Bytes 0.. of the first segment came from the first response; the others were asked for
      // exactly, and together they cover the file once.
      const later = asked.slice(1).sort((a, b) => a[0] - b[0]);
      assert.equal(later.length, 3);
      assert.equal(later.at(-1)?.[1], BODY.length - 1);
      assert.ok(!existsSync(join(cwd, "file.bin.part.tcpkit")));
    } finally {
      await server.close();
    }
  });

  it("a .part that cannot be made is one line naming it, exit 1, no segments claimed", async () => {
    const server = await startRangeServer({ body: () => BODY });
    try {
      const r = await get(["-x", "4", "-o", "no/such/file.bin", server.url()]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        /^tcpkit: cannot write \S*no\/such\/file\.bin\.part: ENOENT: [^;\n]*\n$/,
      );
    } finally {
      await server.close();
    }
  });

  it("a wrong Content-Range is never written: the range is fetched again over one connection", async () => {
    let lied = false;
    const server = await startRangeServer({
      body: () => BODY,
      intercept: (request, res) => {
        // The first request for a range that does not start at 0 gets bytes shifted by one.
        const m = /^bytes=(\d+)-(\d+)$/.exec(request.range ?? "");
        if (lied || m === null || m[1] === "0") return false;
        lied = true;
        const start = Number(m[1]) + 1;
        const end = Number(m[2]);
        res.writeHead(206, {
          "Content-Range": `bytes ${start}-${end}/${BODY.length}`,
          "Content-Length": end - start + 1,
        });
        res.end(BODY.subarray(start, end + 1));
        return true;
      },
    });
    try {
      const r = await get(["-x", "4", server.url()]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stderr,
        /asked for bytes \d+-\d+ but got Content-Range .*continuing over one connection/,
      );
      assert.equal(sha256(saved()), sha256(BODY));
    } finally {
      await server.close();
    }
  });

  it("a server that keeps answering the wrong range fails the download; nothing is named file.bin", async () => {
    const server = await startRangeServer({
      body: () => BODY,
      intercept: (request, res) => {
        const m = /^bytes=(\d+)-(\d+)$/.exec(request.range ?? "");
        if (m === null || m[1] === "0") return false;
        res.writeHead(206, {
          "Content-Range": `bytes 0-${Number(m[2]) - Number(m[1])}/${BODY.length}`,
          "Content-Length": Number(m[2]) - Number(m[1]) + 1,
        });
        res.end(BODY.subarray(0, Number(m[2]) - Number(m[1]) + 1));
        return true;
      },
    });
    try {
      const r = await get(["-x", "3", server.url()]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /asked for bytes \d+-\d+ but got Content-Range 'bytes 0-/);
      assert.match(
        r.stderr,
        /partial file kept as .*file\.bin\.part \(\d+ of 4194427 bytes, in segments\); resume with -c/,
      );
      assert.ok(!existsSync(join(cwd, "file.bin")));
      assert.ok(existsSync(join(cwd, "file.bin.part.tcpkit")));
    } finally {
      await server.close();
    }
  });

  it("restarts when the resource changes mid-download: the file is one version, never a mix", async () => {
    const next = Buffer.from(BODY);
    next.fill(0x41, 0, 64);
    let served = 0;
    const server = await startRangeServer({
      // Version 1 for the first request only, version 2 from then on.
      body: () => (served++ === 0 ? BODY : next),
    });
    try {
      const r = await get(["-x", "4", server.url()]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /the file changed on the server during the download.*starting again/);
      assert.equal(sha256(saved()), sha256(next));
    } finally {
      await server.close();
    }
  });

  it("after SIGKILL, -c resumes from the control file without fetching finished bytes again", async () => {
    const server = await startRangeServer({
      body: () => BODY,
      // About 2 s per 1 MiB segment: the control file is written once a second.
      throttle: { bytes: 24 * 1024, delayMs: 50 },
    });
    try {
      const child = spawn(CLI_RUNTIME, [CLI_PATH, "get", "-q", "-x", "4", server.url()], {
        cwd,
        stdio: "ignore",
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      const control = join(cwd, "file.bin.part.tcpkit");
      // Wait until the control file records progress in every segment, then kill -9.
      let state: { segments: [number, number, number][] } | undefined;
      for (let i = 0; i < 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        if (!existsSync(control)) continue;
        state = JSON.parse(readFileSync(control, "utf8")) as typeof state;
        if (state !== undefined && state.segments.every(([, , done]) => done > 0)) break;
      }
      child.kill("SIGKILL");
      await exited;
      state = JSON.parse(readFileSync(control, "utf8")) as typeof state;
      const segments = (state as NonNullable<typeof state>).segments;
      assert.equal(segments.length, 4);
      const doneBytes = segments.reduce((n, [, , done]) => n + done, 0);
      assert.ok(doneBytes > 0 && doneBytes < BODY.length, `done ${doneBytes}`);
      // What the file holds where the control file says it is done is the resource's bytes.
      const part = readFileSync(join(cwd, "file.bin.part"));
      for (const [start, , done] of segments) {
        assert.ok(part.subarray(start, start + done).equals(BODY.subarray(start, start + done)));
      }

      const before = server.requests.length;
      const sentBefore = server.bytesSent();
      const r = await get(["-c", server.url()]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(sha256(saved()), sha256(BODY));
      // Only the unfinished rest of each segment was asked for, with If-Range, and sent.
      const resumed = server.requests.slice(before);
      const expected = segments
        .filter(([start, end, done]) => done < end - start + 1)
        .map(([start, end, done]) => `bytes=${start + done}-${end}`)
        .sort();
      assert.deepEqual(resumed.map((q) => q.range).sort(), expected);
      for (const q of resumed) assert.match(q.ifRange ?? "", /^"/);
      // Without -x, -c uses as many connections as there are unfinished segments.
      assert.equal(new Set(resumed.map((q) => q.connection)).size, expected.length);
      assert.equal(server.bytesSent() - sentBefore, BODY.length - doneBytes);
      assert.ok(!existsSync(control));
    } finally {
      await server.close();
    }
  });

  it("on Ctrl-C stops every segment, keeps the control file, exits 130; -c then completes", async () => {
    const server = await startRangeServer({
      body: () => BODY,
      throttle: { bytes: 32 * 1024, delayMs: 50 },
    });
    try {
      const child = spawn(CLI_RUNTIME, [CLI_PATH, "get", "-x", "3", server.url()], {
        cwd,
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      for (let i = 0; i < 100 && server.requests.length < 3; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 300));
      child.kill("SIGINT");
      assert.equal(await exited, 130, stderr);
      assert.match(
        stderr,
        /^tcpkit: interrupted; partial file kept as \S*file\.bin\.part \(\d+ of 4194427 bytes, in segments\); resume with -c\n$/m,
      );
      assert.ok(existsSync(join(cwd, "file.bin.part.tcpkit")));
      const r = await get(["-c", server.url()]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(sha256(saved()), sha256(BODY));
    } finally {
      await server.close();
    }
  });

  it("a download that overwrites a segmented NAME.part drops its control file: -c never trusts it", async () => {
    // 1: -x 4, the ranges after the first cut short: NAME.part and its control file are kept.
    // 2: --force, one connection, cut after 50000 bytes: NAME.part is now that prefix only.
    // 3: -c must continue the prefix, not the segments the control file of 1 recorded.
    let phase = 1;
    const server = await startRangeServer({
      body: () => BODY,
      intercept: (request, res, socket) => {
        if (phase === 1 && cutRange(request, res, socket)) return true;
        if (phase === 2) {
          res.writeHead(200, { "Content-Length": BODY.length, ETag: sha256Etag(BODY) });
          res.write(BODY.subarray(0, 50_000), () => socket.destroy());
          return true;
        }
        return false;
      },
    });
    try {
      const segmented = await get(["-x", "4", server.url()]);
      assert.equal(segmented.code, 1, segmented.stderr);
      assert.ok(existsSync(join(cwd, "file.bin.part.tcpkit")), segmented.stderr);
      phase = 2;
      const forced = await get(["--force", server.url()]);
      assert.equal(forced.code, 1, forced.stderr);
      assert.match(forced.stderr, /partial file kept as \S*file\.bin\.part \(50000 bytes\)/);
      assert.ok(!existsSync(join(cwd, "file.bin.part.tcpkit")));
      phase = 3;
      const resumed = await get(["-c", server.url()]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(server.requests.at(-1)?.range, "bytes=50000-");
      assert.equal(sha256(saved()), sha256(BODY));
    } finally {
      await server.close();
    }
  });

  it("-c of a segmented download still checks --checksum", async () => {
    // The ranges after the first are cut short once: NAME.part and its control file are kept.
    let cut = true;
    const server = await startRangeServer({
      body: () => BODY,
      intercept: (request, res, socket) => cut && cutRange(request, res, socket),
    });
    const wrong = `sha256=${"0".repeat(64)}`;
    try {
      const first = await get(["-x", "4", "--checksum", wrong, server.url()]);
      assert.equal(first.code, 1, first.stderr);
      assert.ok(existsSync(join(cwd, "file.bin.part.tcpkit")), first.stderr);
      cut = false;
      const resumed = await get(["-c", "--checksum", wrong, server.url()]);
      assert.equal(resumed.code, 1, resumed.stderr);
      assert.match(resumed.stderr, /file\.bin\.part: sha256 does not match --checksum/);
      assert.ok(!existsSync(join(cwd, "file.bin")));
      const right = await get(["-c", "--checksum", `sha256=${sha256(BODY)}`, server.url()]);
      assert.equal(right.code, 0, right.stderr);
      assert.match(right.stderr, /--checksum sha256 verified/);
      assert.equal(sha256(saved()), sha256(BODY));
    } finally {
      await server.close();
    }
  });

  it("checks the server's Repr-Digest over the assembled file: a mismatch keeps NAME.part, exit 1", async () => {
    const server = await startRangeServer({
      body: () => BODY,
      reprDigest: () => reprDigestOf(Buffer.from("another file")),
    });
    try {
      const r = await get(["-x", "2", server.url()]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /^tcpkit: .*file\.bin\.part: sha256 does not match the server's Repr-Digest \(expected :[A-Za-z0-9+/=]+:, got :[A-Za-z0-9+/=]+:\); kept as .*file\.bin\.part for inspection\n$/m,
      );
      assert.ok(!existsSync(join(cwd, "file.bin")));
      assert.equal(statSync(join(cwd, "file.bin.part")).size, BODY.length);
    } finally {
      await server.close();
    }
  });

  it("uses one connection, and says so, when the server ignores ranges or sends no validator", async () => {
    for (const [options, note] of [
      [{ noRanges: true }, /does not send ranges; one connection/],
      [{ etag: () => undefined, lastModified: undefined }, /sends no validator .*one connection/],
    ] as const) {
      const server = await startRangeServer({ body: () => BODY, ...options });
      try {
        const dir = mkdtempSync(join(root, "one-"));
        const r = await runCli(["get", "-x", "4", server.url()], { cwd: dir });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, note);
        assert.equal(server.requests.length, 1);
        assert.equal(sha256(readFileSync(join(dir, "file.bin"))), sha256(BODY));
      } finally {
        await server.close();
      }
    }
  });
});
