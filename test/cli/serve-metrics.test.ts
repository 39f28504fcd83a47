/**
 * `tcpkit serve --health / --metrics` from the outside: the health answer without credentials
 * (and 503 once a graceful stop began), the metrics text read by a real Prometheus text parser
 * (parse-prometheus-text-format, prom2json's shape) with counts that follow what was sent, and
 * --auth in front of the metrics.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import parsePrometheus, { type PrometheusFamily } from "parse-prometheus-text-format";
import { openSocket } from "../support/raw-socket.js";
import { runCli, startServe } from "../support/cli.js";
import { runTool } from "../support/tools.js";

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), "tcpkit-metrics-"));
  writeFileSync(join(root, "hello.txt"), "hello\n");
  writeFileSync(join(root, "big.bin"), Buffer.alloc(16 * 1024 * 1024, 1));
});
after(() => rmSync(root, { recursive: true, force: true }));

async function get(url: string, ...args: string[]): Promise<{ status: number; body: string }> {
  const r = await runTool("curl", ["-s", "-w", "\n%{http_code}", ...args, url]);
  const text = r.stdout.toString("utf8");
  const cut = text.lastIndexOf("\n");
  return { status: Number(text.slice(cut + 1)), body: text.slice(0, cut) };
}

function family(families: PrometheusFamily[], name: string): PrometheusFamily {
  const f = families.find((x) => x.name === name);
  assert.ok(f !== undefined, `no ${name}`);
  return f;
}

function value(
  families: PrometheusFamily[],
  name: string,
  labels: Record<string, string> = {},
): number {
  const m = family(families, name).metrics.find((s) =>
    Object.entries(labels).every(([k, v]) => s.labels?.[k] === v),
  );
  return Number(m?.value ?? 0);
}

describe("serve --health and --metrics", () => {
  it("answers health without credentials and metrics only with them, parsed by a Prometheus parser", async () => {
    const s = await startServe(
      root,
      "--auth",
      "ops:pw",
      "--health",
      "/healthz",
      "--metrics",
      "/metrics",
    );
    try {
      const base = `http://127.0.0.1:${s.port}`;
      assert.deepEqual(await get(`${base}/healthz`), { status: 200, body: "ok\n" });
      assert.equal((await get(`${base}/metrics`)).status, 401);
      for (let i = 0; i < 3; i++) await get(`${base}/hello.txt`, "-u", "ops:pw");
      await get(`${base}/missing`, "-u", "ops:pw");
      await get(`${base}/hello.txt`, "-u", "ops:pw", "-X", "BREW");
      const r = await runTool("curl", ["-s", "-i", "-u", "ops:pw", `${base}/metrics`]);
      const [head, text] = r.stdout.toString("utf8").split("\r\n\r\n") as [string, string];
      assert.match(head, /\r\nContent-Type: text\/plain; version=0\.0\.4; charset=utf-8\r\n/);
      assert.match(head, /\r\nCache-Control: no-store\r\n/);
      const families = parsePrometheus(text);
      assert.equal(family(families, "tcpkit_http_requests_total").type, "COUNTER");
      // health 200, metrics 401, 3 files, this scrape is not yet counted
      assert.equal(
        value(families, "tcpkit_http_requests_total", { method: "GET", code: "2xx" }),
        4,
      );
      assert.equal(
        value(families, "tcpkit_http_requests_total", { method: "GET", code: "4xx" }),
        2,
      );
      assert.equal(
        value(families, "tcpkit_http_requests_total", { method: "other", code: "5xx" }),
        1,
      );
      assert.ok(value(families, "tcpkit_http_received_bytes_total") > 6 * 60);
      assert.ok(value(families, "tcpkit_http_sent_bytes_total") > 3 * 6);
      assert.ok(value(families, "tcpkit_http_connections_total") >= 7);
      assert.equal(value(families, "tcpkit_http_connections_open"), 1);
      const histogram = family(families, "tcpkit_http_request_duration_seconds");
      assert.equal(histogram.type, "HISTOGRAM");
      const h = histogram.metrics[0]!;
      assert.equal(h.count, "7");
      assert.equal(h.buckets?.["+Inf"], "7");
      const counts = Object.entries(h.buckets ?? {})
        .map(([le, n]) => [Number(le === "+Inf" ? Infinity : le), Number(n)] as const)
        .sort((a, b) => a[0] - b[0])
        .map(([, n]) => n);
      assert.deepEqual(
        counts,
        [...counts].sort((a, b) => a - b),
        "cumulative buckets",
      );
    } finally {
      await s.stop();
    }
  });

  it("answers health 503 once a graceful stop began", async () => {
    const s = await startServe(root, "--health", "/healthz");
    // A 16 MiB response the client does not read holds the stop; health is pipelined behind it.
    const socket = await openSocket(s.port);
    const received: Buffer[] = [];
    socket.pause();
    socket.write(
      "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    // Conditions, not fixed waits (300 ms each before; a server that has not read the requests
    // when the stop comes, or a stop not yet begun when the client reads, fails this): the
    // server is sending /big.bin (so it holds the pipelined request too), then it has begun
    // its stop (its listener is closed: a new connection is refused).
    await until("the first response starts", () => socket.readableLength > 0);
    const stopped = s.stop();
    await until("the stop begins", async () => {
      const refused = await openSocket(s.port).then(
        (probe) => (probe.destroy(), false),
        () => true,
      );
      return refused;
    });
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.on("data", (c: Buffer) => received.push(c));
    socket.on("error", () => {});
    socket.resume();
    await closed;
    await stopped;
    const tail = Buffer.concat(received)
      .subarray(16 * 1024 * 1024)
      .toString("latin1");
    assert.match(tail, /HTTP\/1\.1 503 Service Unavailable\r\n[^]*\r\n\r\ndraining\n$/);
  });

  it("counts the bytes of a refused head as received, and the refusal under its method", async () => {
    const s = await startServe(root, "--metrics", "/metrics");
    try {
      // 20 KB of head (431 past the 16 KiB limit) read from the client: not 0 bytes received.
      const socket = await openSocket(s.port);
      const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
      socket.on("error", () => {});
      socket.resume();
      socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
      await closed;
      const families = parsePrometheus((await get(`http://127.0.0.1:${s.port}/metrics`)).body);
      assert.equal(
        value(families, "tcpkit_http_requests_total", { method: "GET", code: "4xx" }),
        1,
      );
      assert.ok(value(families, "tcpkit_http_received_bytes_total") >= 16 * 1024);
    } finally {
      await s.stop();
    }
  });

  it("times requests finer than the millisecond its 0.5 ms bucket needs", async () => {
    const s = await startServe(root, "--metrics", "/metrics");
    try {
      const base = `http://127.0.0.1:${s.port}`;
      const many = Array.from({ length: 20 }, () => ["-o", "/dev/null", `${base}/hello.txt`]);
      await runTool("curl", ["-s", ...many.flat()]);
      const families = parsePrometheus((await get(`${base}/metrics`)).body);
      const h = family(families, "tcpkit_http_request_duration_seconds").metrics[0]!;
      assert.equal(h.count, "20");
      // A whole-millisecond clock makes every duration, so the sum, a multiple of 1 ms.
      const sumMs = Number(h.sum) * 1000;
      assert.ok(Math.abs(sumMs - Math.round(sumMs)) > 1e-6, `sum ${h.sum} s is whole ms`);
    } finally {
      await s.stop();
    }
  });

  it("refuses an endpoint that is not a plain path with exit 2", async () => {
    for (const bad of ["healthz", "/a b", "/x?y", "/%41"]) {
      const r = await runCli(["serve", root, "--port", "0", "--health", bad]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^tcpkit: --health must be a path such as \/healthz, not '/);
    }
  });

  it("keeps every counter monotonic with --workers: each process's samples carry its worker label", async () => {
    const s = await startServe(root, "--workers", "2", "--metrics", "/metrics");
    try {
      const base = `http://127.0.0.1:${s.port}`;
      // Ten requests on one keep-alive connection, all counted by one worker; scrapes on new
      // connections then reach the two workers in turn.
      const many = Array.from({ length: 10 }, () => ["-o", "/dev/null", `${base}/hello.txt`]);
      await runTool("curl", ["-s", ...many.flat()]);
      const last = new Map<string, number>();
      const workers = new Set<string>();
      for (let scrape = 0; scrape < 4; scrape++) {
        const families = parsePrometheus((await get(`${base}/metrics`)).body);
        for (const f of families.filter((x) => x.type === "COUNTER")) {
          for (const m of f.metrics) {
            const series = `${f.name}${JSON.stringify(m.labels)}`;
            const v = Number(m.value);
            assert.ok(
              v >= (last.get(series) ?? 0),
              `${series} went from ${last.get(series)} to ${v}`,
            );
            workers.add(m.labels?.["worker"] ?? "none");
            last.set(series, v);
          }
        }
      }
      assert.deepEqual([...workers].sort(), ["1", "2"]);
    } finally {
      await s.stop();
    }
  });

  it("refuses --health and --metrics on one path with exit 2 (metrics would never answer)", async () => {
    const r = await runCli(["serve", root, "--port", "0", "--health", "/x", "--metrics", "/x"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^tcpkit: --health and --metrics cannot both be \/x/);
  });
});

/** Waits until `check` holds, polling every 20 ms; fails after 10 s. */
async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (const t0 = Date.now(); !(await check());) {
    assert.ok(Date.now() - t0 < 10_000, `${what}: not within 10 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
