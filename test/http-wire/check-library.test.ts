/**
 * checkServer() in-process: the typed report and its callbacks against tcpkit's own server, the
 * verdicts of single defects against small raw servers made here, and the errors it rejects with.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { after, before, describe, it } from "node:test";
import { checkServer } from "../../src/check/check-server.js";
import type { ProbeResult } from "../../src/check/types.js";
import { TcpkitError } from "../../src/util/tcpkit-error.js";
import { startBrokenServer, type BadServer } from "../support/bad-http-servers.js";
import { freePort } from "../support/ports.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/**
 * A raw server answering every request head with `reply(head)`, reading no content; closes after
 * an answer that says `Connection: close`.
 */
/** A raw server answering each head with `reply(head)`; a null answer closes without one. */
function rawServer(
  reply: (head: string) => string | null,
): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => {
    let buffer = "";
    socket.setEncoding("latin1");
    socket.on("error", () => {});
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf("\r\n\r\n"); end >= 0; end = buffer.indexOf("\r\n\r\n")) {
        const head = buffer.slice(0, end);
        buffer = buffer.slice(end + 4);
        const answer = reply(head);
        if (answer === null) return void socket.destroy();
        socket.write(answer, "latin1");
        if (/Connection: close/i.test(answer) || /Connection: close/i.test(head)) socket.end();
      }
    });
  });
  return listening(server);
}

/** Listens on a free loopback port; resolves with it. */
function listening(server: Server): Promise<{ port: number; server: Server }> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      resolve({ port: typeof a === "object" && a !== null ? a.port : 0, server });
    }),
  );
}

const DATE = (): string => `Date: ${new Date().toUTCString()}\r\n`;

describe("checkServer", () => {
  let tcpkit: TestServer;
  let broken: BadServer;
  const raw: Server[] = [];
  before(async () => {
    tcpkit = await startTestServer();
    broken = await startBrokenServer();
  });
  after(async () => {
    await tcpkit.close();
    await broken.close();
    for (const s of raw) s.close();
  });

  it("reports the selected probes in order through onDiscovery and onProbe", async () => {
    const seen: ProbeResult[] = [];
    let discovered = 0;
    const report = await checkServer(`http://127.0.0.1:${tcpkit.port}/`, {
      only: ["desync", "semantics"],
      level: "must",
      onDiscovery: () => discovered++,
      onProbe: (p) => seen.push(p),
    });
    assert.equal(discovered, 1);
    assert.deepEqual(seen, report.probes);
    assert.ok(report.probes.length > 15);
    for (const p of report.probes) {
      assert.ok(p.group === "desync" || p.group === "semantics", p.id);
      assert.equal(p.level, "MUST");
    }
    assert.equal(report.ok, true, report.verdict);
    assert.equal(report.tally.MUST.failed, 0);
    assert.equal(report.tally.SHOULD.total, 0);
  });

  it("fails the probes of one defect: content on 304", async () => {
    const report = await checkServer(`http://127.0.0.1:${broken.port}/`, { only: ["conditional"] });
    const failed = report.probes.filter((p) => p.verdict === "FAIL");
    assert.ok(failed.length >= 5);
    for (const p of failed) {
      assert.match(p.id, /^cond-(inm|ims)-/);
      assert.match(p.observed, /bytes that are not a response/);
    }
    assert.equal(report.ok, false);
  });

  it("fails head-no-content when a HEAD answer carries content, and 405 without Allow", async () => {
    const { port, server } = await rawServer((head) => {
      const method = head.split(" ")[0];
      if (method === "DELETE")
        return `HTTP/1.1 405 Method Not Allowed\r\n${DATE()}Content-Length: 0\r\n\r\n`;
      return `HTTP/1.1 200 OK\r\n${DATE()}Content-Length: 5\r\n\r\nhello`;
    });
    raw.push(server);
    const report = await checkServer(`http://127.0.0.1:${port}/`, { only: ["semantics"] });
    const verdict = (id: string): string | undefined =>
      report.probes.find((p) => p.id === id)?.verdict;
    assert.equal(verdict("head-no-content"), "FAIL");
    assert.equal(verdict("method-405-allow"), "FAIL");
    assert.equal(verdict("connection-close"), "pass");
  });

  it("fails a framing error answered with 400 on a connection left open", async () => {
    const { port, server } = await rawServer((head) =>
      /Content-Length: \+5/.test(head)
        ? `HTTP/1.1 400 Bad Request\r\n${DATE()}Content-Length: 0\r\n\r\n`
        : `HTTP/1.1 200 OK\r\n${DATE()}Content-Length: 2\r\n\r\nok`,
    );
    raw.push(server);
    const report = await checkServer(`http://127.0.0.1:${port}/`, { only: ["framing"] });
    const plus = report.probes.find((p) => p.id === "cl-plus");
    assert.equal(plus?.verdict, "FAIL");
    // left open, the content 'hello' prefixed the follow-up request: a desync
    assert.match(plus?.observed ?? "", /desync|must close/);
  });

  it("warns, not fails, when a server ignores a single range (RFC 9110 §14.2: it MAY)", async () => {
    const { port, server } = await rawServer((head) =>
      /\r\nRange: bytes=0-0(\r\n|$)/.test(head) && !/\r\nIf-Range:/.test(head)
        ? `HTTP/1.1 206 Partial Content\r\n${DATE()}Content-Range: bytes 0-0/10\r\nContent-Length: 1\r\n\r\n0`
        : `HTTP/1.1 200 OK\r\n${DATE()}Content-Length: 10\r\n\r\n0123456789`,
    );
    raw.push(server);
    const report = await checkServer(`http://127.0.0.1:${port}/`, { only: ["ranges"] });
    const verdict = (id: string): string | undefined =>
      report.probes.find((p) => p.id === id)?.verdict;
    assert.equal(verdict("range-first-byte"), "pass");
    for (const id of ["range-suffix", "range-open", "range-last-beyond-end"]) {
      assert.equal(verdict(id), "warn", id);
    }
    assert.equal(report.ok, true, report.verdict);
  });

  it("warns, not fails, when two ranges are answered with the first alone (RFC 9110 §15.3.7: a subset)", async () => {
    const { port, server } = await rawServer((head) =>
      /\r\nRange: bytes=0-0(,2-2)?(\r\n|$)/.test(head) && !/\r\nIf-Range:/.test(head)
        ? `HTTP/1.1 206 Partial Content\r\n${DATE()}Content-Range: bytes 0-0/10\r\nContent-Length: 1\r\n\r\n0`
        : `HTTP/1.1 200 OK\r\n${DATE()}Content-Length: 10\r\n\r\n0123456789`,
    );
    raw.push(server);
    const report = await checkServer(`http://127.0.0.1:${port}/`, { only: ["ranges"] });
    const p = report.probes.find((r) => r.id === "range-multiple");
    assert.equal(p?.verdict, "warn", p?.observed);
    assert.match(p?.observed ?? "", /only bytes 0-0\/10 of the two ranges/);
  });

  it("takes an answer without a status line for a refusal unless it is the path's content (HTTP/0.9)", async () => {
    // python3 http.server answers a request line it cannot read with an error page and no
    // status line; served content without one (nginx's HTTP/0.9) is something else.
    // A raw server that, unlike rawServer's, closes after an answer without a status line.
    const server = createServer((socket) => {
      let buffer = "";
      socket.setEncoding("latin1");
      socket.on("error", () => {});
      socket.on("data", (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf("\r\n\r\n"); end >= 0; end = buffer.indexOf("\r\n\r\n")) {
          const requestLine = buffer.slice(0, end).split("\r\n")[0] ?? "";
          buffer = buffer.slice(end + 4);
          if (requestLine.includes("\r")) return void socket.end("<html>400 Bad request</html>\n");
          if (!requestLine.includes(" HTTP/")) return void socket.end("0123456789");
          socket.write(`HTTP/1.1 200 OK\r\n${DATE()}Content-Length: 10\r\n\r\n0123456789`);
        }
      });
    });
    const { port } = await listening(server);
    raw.push(server);
    const report = await checkServer(`http://127.0.0.1:${port}/`, {
      only: ["request-line"],
      timeoutMs: 500,
    });
    const probe = (id: string): ProbeResult | undefined => report.probes.find((p) => p.id === id);
    assert.equal(probe("line-bare-cr")?.verdict, "warn", probe("line-bare-cr")?.observed);
    assert.match(probe("line-bare-cr")?.observed ?? "", /HTTP\/0\.9-style error/);
    assert.equal(probe("line-version-missing")?.verdict, "FAIL");
  });

  it("fails a probe whose answer kept the connection when the follow-up then gets none (TE ignored)", async () => {
    // Reads Content-Length content, ignores Transfer-Encoding: the chunked body of
    // chunk-trailer-content-length is read as a request whose 'Content-Length: 100' swallows
    // the follow-up. This used to pass (any answer, and the follow-up merely unanswered).
    const server = createServer((socket) => {
      let buffer = "";
      socket.setEncoding("latin1");
      socket.on("error", () => {});
      socket.on("data", (chunk: string) => {
        buffer += chunk;
        for (;;) {
          const end = buffer.indexOf("\r\n\r\n");
          if (end < 0) return;
          const length = Number(/\r\ncontent-length: *(\d+)/i.exec(buffer.slice(0, end))?.[1] ?? 0);
          if (buffer.length < end + 4 + length) return;
          buffer = buffer.slice(end + 4 + length);
          socket.write(`HTTP/1.1 200 OK\r\n${DATE()}Content-Length: 2\r\n\r\nok`);
        }
      });
    });
    raw.push(server);
    const { port } = await listening(server);
    const report = await checkServer(`http://127.0.0.1:${port}/`, {
      only: ["chunked"],
      level: "must",
      timeoutMs: 1000,
    });
    const p = report.probes.find((r) => r.id === "chunk-trailer-content-length");
    assert.equal(p?.verdict, "FAIL", p?.observed);
    assert.match(p?.observed ?? "", /follow-up GET got none/);
  });

  it("warns, not fails, when CONNECT is met with a close and no answer (as Node's server does)", async () => {
    const { port, server } = await rawServer((head) =>
      head.startsWith("CONNECT ")
        ? null
        : `HTTP/1.1 200 OK\r\n${DATE()}Content-Length: 2\r\n\r\nok`,
    );
    raw.push(server);
    const report = await checkServer(`http://127.0.0.1:${port}/`, {
      only: ["request-line"],
      level: "should",
      timeoutMs: 500,
    });
    const p = report.probes.find((r) => r.id === "line-connect");
    assert.equal(p?.verdict, "warn", p?.observed);
  });

  it("lint: a 304 whose Content-Length is not the representation's fails lint-304-no-content-fields", async () => {
    const { port, server } = await rawServer((head) =>
      /\r\nIf-None-Match: "x"/.test(head)
        ? `HTTP/1.1 304 Not Modified\r\n${DATE()}ETag: "x"\r\nContent-Length: 0\r\n\r\n`
        : `HTTP/1.1 200 OK\r\n${DATE()}ETag: "x"\r\nContent-Length: 10\r\n\r\n0123456789`,
    );
    raw.push(server);
    const report = await checkServer(`http://127.0.0.1:${port}/`, {
      only: ["conditional", "lint"],
    });
    const p = report.probes.find((r) => r.id === "lint-304-no-content-fields");
    assert.equal(p?.verdict, "FAIL", p?.observed);
    assert.match(p?.observed ?? "", /Content-Length: 0 on a 304, the representation has 10 bytes/);
  });

  it("warns, not fails, a 2^64 + 5 length answered without its content on a connection then closed", async () => {
    // As python3's http.server on GET: it never reads the content, and closes after answering.
    const { port, server } = await rawServer(
      () => `HTTP/1.1 200 OK\r\n${DATE()}Content-Length: 2\r\nConnection: close\r\n\r\nok`,
    );
    raw.push(server);
    const report = await checkServer(`http://127.0.0.1:${port}/`, {
      only: ["framing", "chunked"],
      level: "must",
    });
    for (const id of ["cl-overflow", "chunk-size-overflow"]) {
      const p = report.probes.find((r) => r.id === id);
      assert.equal(p?.verdict, "warn", `${id}: ${p?.observed}`);
      assert.match(p?.observed ?? "", /answered without the announced/);
    }
  });

  it("warns on a 2^64 + 5 length answered at once and then read on (the follow-up is content)", async () => {
    // Answers a head at once, then reads and drops its Content-Length of content, however long.
    const server = createServer((socket) => {
      let buffer = "";
      let skip = 0n;
      socket.setEncoding("latin1");
      socket.on("error", () => {});
      socket.on("data", (chunk: string) => {
        buffer += chunk;
        for (;;) {
          const dropped = skip < BigInt(buffer.length) ? Number(skip) : buffer.length;
          buffer = buffer.slice(dropped);
          skip -= BigInt(dropped);
          const end = skip > 0n ? -1 : buffer.indexOf("\r\n\r\n");
          if (end < 0) return;
          skip = BigInt(/\r\ncontent-length: *(\d+)/i.exec(buffer.slice(0, end))?.[1] ?? 0);
          buffer = buffer.slice(end + 4);
          socket.write(`HTTP/1.1 200 OK\r\n${DATE()}Content-Length: 2\r\n\r\nok`);
        }
      });
    });
    raw.push(server);
    const { port } = await listening(server);
    const report = await checkServer(`http://127.0.0.1:${port}/`, {
      only: ["framing"],
      level: "must",
      timeoutMs: 300,
    });
    const p = report.probes.find((r) => r.id === "cl-overflow");
    assert.equal(p?.verdict, "warn", p?.observed);
    assert.match(p?.observed ?? "", /goes on reading the announced length/);
  });

  it("passes line-bare-lf when the server waits for a CRLF, as one that ignores bare LF must", async () => {
    const { port, server } = await rawServer(
      () => `HTTP/1.1 200 OK\r\n${DATE()}Content-Length: 2\r\n\r\nok`,
    );
    raw.push(server);
    const report = await checkServer(`http://127.0.0.1:${port}/`, {
      only: ["request-line"],
      level: "all",
      timeoutMs: 1000,
    });
    const p = report.probes.find((r) => r.id === "line-bare-lf");
    assert.equal(p?.verdict, "pass", p?.observed);
    assert.match(p?.observed ?? "", /waits for a CRLF/);
  });

  it("warns when chunked content is refused with 411 (RFC 9112 §6.3 allows it); says every status it accepts", async () => {
    const { port, server } = await rawServer((head) =>
      /\r\nTransfer-Encoding:/i.test(head)
        ? `HTTP/1.1 411 Length Required\r\n${DATE()}Content-Length: 0\r\nConnection: close\r\n\r\n`
        : `HTTP/1.1 200 OK\r\n${DATE()}Content-Length: 2\r\n\r\nok`,
    );
    raw.push(server);
    const report = await checkServer(`http://127.0.0.1:${port}/`, { only: ["chunked", "framing"] });
    const probe = (id: string): ProbeResult | undefined => report.probes.find((p) => p.id === id);
    for (const id of ["chunk-valid", "chunk-ext", "chunk-trailer"]) {
      assert.equal(probe(id)?.verdict, "warn", `${id}: ${probe(id)?.observed}`);
    }
    // 411 is not among the statuses te-xchunked accepts, and the line names them all
    assert.match(probe("te-xchunked")?.observed ?? "", /\(400 or 501 expected\)/);
  });

  it("rejects with a TcpkitError when the server cannot be probed", async () => {
    const port = await freePort();
    await assert.rejects(checkServer(`http://127.0.0.1:${port}/`), (err: unknown) => {
      assert.ok(err instanceof TcpkitError);
      assert.equal(err.code, "ERR_CONNECT_REFUSED");
      return true;
    });
    await assert.rejects(checkServer("gopher://x/"), (err: unknown) => {
      assert.ok(err instanceof TcpkitError);
      assert.equal(err.code, "ERR_INVALID_URL");
      return true;
    });
  });
});
