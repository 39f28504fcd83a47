/**
 * Conformance differential against nginx: every raw request of the corpus goes to nginx (a
 * temp config on a temp document root) and to `tcpkit serve` on the same root; status, key
 * headers, file bytes and connection persistence are compared. Every difference must be in
 * DIFFERENCES with its RFC reason (docs/CONFORMANCE.md is the same table), so a new one fails.
 * Whatever nginx does, no tcpkit answer may contain a byte of the secret file beside the root.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { REPO_ROOT, type RunningServer, startServe } from "../support/cli.js";
import { requestMethod } from "../support/http-response.js";
import { NGINX_CORPUS, writeDocumentRoot, type WireCase } from "./nginx-differential-corpus.js";
import {
  compare,
  PATIENT_TIMINGS,
  QUICK_TIMINGS,
  rawExchange,
  startNginxOnFreePort,
  statusLine,
  type Exchange,
  type ExchangeTimings,
} from "./nginx-differential-wire.js";
import {
  conformanceMarkdown,
  conformanceRows,
  DIFFERENCES,
  markdownRows,
} from "./nginx-differential-table.js";

const CONCURRENCY = 12;
const DOC = join(REPO_ROOT, "docs", "CONFORMANCE.md");
const TABLE_START = "<!-- differences:start -->";
const TABLE_END = "<!-- differences:end -->";

/**
 * An IMF-fixdate in the two obsolete forms every recipient MUST accept (RFC 9110 §5.6.7), and
 * with a lower-case "gmt", which is not an HTTP-date at all (the format is case-sensitive).
 */
function obsoleteDates(imf: string): Record<string, string> {
  const d = new Date(imf);
  const days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const [, dd, mon, yyyy, time] = imf.split(" ") as [string, string, string, string, string];
  return {
    "{LM850}": `${days[d.getUTCDay()] as string}, ${dd}-${mon}-${yyyy.slice(2)} ${time} GMT`,
    "{LMASC}": `${imf.slice(0, 3)} ${mon} ${String(d.getUTCDate()).padStart(2, " ")} ${time} ${yyyy}`,
    "{LMLOWER}": imf.replace(/GMT$/, "gmt"),
  };
}

interface Outcome {
  readonly tcpkit: Exchange;
  readonly nginx: Exchange;
}

describe("conformance differential against nginx", () => {
  let base: string;
  let nginx: ChildProcess;
  let tcpkit: RunningServer;
  let nginxPort: number;
  const marker = `TCPKIT-SECRET-${randomBytes(8).toString("hex")}`;
  const outcomes = new Map<string, Outcome>();

  before(async () => {
    base = mkdtempSync(join(tmpdir(), "tcpkit-nginx-diff-"));
    const root = writeDocumentRoot(base, marker);
    ({ child: nginx, port: nginxPort } = await startNginxOnFreePort(join(base, "nginx"), root));
    tcpkit = await startServe(root);

    const validators = async (port: number): Promise<Record<string, string>> => {
      const x = await rawExchange(
        port,
        Buffer.from("HEAD /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        1,
        ["HEAD"],
      );
      const r = x.responses[0];
      assert.ok(r !== undefined && r.status === 200, `HEAD /a.txt on ${port}`);
      const lm = r.header("last-modified") ?? "";
      return { "{ETAG}": r.header("etag") ?? "", "{LM}": lm, ...obsoleteDates(lm) };
    };
    const vars = { tcpkit: await validators(tcpkit.port), nginx: await validators(nginxPort) };
    const requestFor = (kase: WireCase, v: Record<string, string>): Buffer =>
      Buffer.from(
        kase.request.replace(/\{[A-Z0-9]+\}/g, (k) => v[k] ?? k),
        "latin1",
      );

    const run = async (kase: WireCase, timings: ExchangeTimings): Promise<void> => {
      const expected = kase.responses ?? 1;
      const methods = kase.methods ?? [requestMethod(kase.request)];
      const [ours, theirs] = await Promise.all([
        rawExchange(tcpkit.port, requestFor(kase, vars.tcpkit), expected, methods, timings),
        rawExchange(nginxPort, requestFor(kase, vars.nginx), expected, methods, timings),
      ]);
      outcomes.set(kase.name, { tcpkit: ours, nginx: theirs });
    };
    const queue = [...NGINX_CORPUS];
    const worker = async (): Promise<void> => {
      for (let kase = queue.shift(); kase !== undefined; kase = queue.shift()) {
        await run(kase, QUICK_TIMINGS);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    // A close or an answer that a loaded machine delays past the quick timings reads as a
    // difference; a real one persists when the case is run again, alone and patiently.
    for (const kase of NGINX_CORPUS) {
      if (disagreement(kase) !== undefined) await run(kase, PATIENT_TIMINGS);
    }
  });

  /** How the case's outcome disagrees with the table, or undefined. */
  const disagreement = (kase: WireCase): string | undefined => {
    const o = outcomes.get(kase.name) as Outcome;
    const seen = compare(o.tcpkit, o.nginx, kase.listing === true).join("; ");
    const listed = DIFFERENCES[kase.name]?.observed ?? "";
    if (seen === listed) return undefined;
    if (listed === "") return `new difference "${kase.name}": ${seen}`;
    if (seen === "") return `"${kase.name}" no longer differs`;
    return `"${kase.name}" now: ${seen} (listed: ${listed})`;
  };

  after(async () => {
    nginx?.kill("SIGKILL");
    await tcpkit?.stop();
    if (base !== undefined) rmSync(base, { recursive: true, force: true });
  });

  it("has unique case names and a table that names only corpus cases", () => {
    const names = new Set(NGINX_CORPUS.map((k) => k.name));
    assert.equal(names.size, NGINX_CORPUS.length);
    for (const name of Object.keys(DIFFERENCES)) assert.ok(names.has(name), name);
    assert.ok(NGINX_CORPUS.length >= 150, `corpus of ${NGINX_CORPUS.length}`);
  });

  it("never returns a byte of the secret beside the root, whatever nginx does", () => {
    for (const [name, o] of outcomes) {
      assert.ok(!o.tcpkit.data.includes(marker), `tcpkit leaked the secret on "${name}"`);
    }
    // the check is live: nginx, which follows symlinks out of the root, does send the secret
    const nginxLeaks = [...outcomes].filter(([, o]) => o.nginx.data.includes(marker));
    assert.ok(nginxLeaks.length > 0, "the fixture's secret is reachable through a symlink");
  });

  it("differs from nginx exactly where the table says, for the reason given", () => {
    assert.equal(outcomes.size, NGINX_CORPUS.length);
    const observed: Record<string, string> = {};
    for (const kase of NGINX_CORPUS) {
      const o = outcomes.get(kase.name) as Outcome;
      const diffs = compare(o.tcpkit, o.nginx, kase.listing === true);
      if (diffs.length > 0) observed[kase.name] = diffs.join("; ");
    }
    const dump = process.env["TCPKIT_NGINX_DIFF_DUMP"];
    if (dump !== undefined) {
      const statuses = NGINX_CORPUS.map((k) => {
        const o = outcomes.get(k.name) as Outcome;
        return `${k.name}: tcpkit ${statusLine(o.tcpkit)}${o.tcpkit.open ? " open" : ""}, nginx ${statusLine(o.nginx)}${o.nginx.open ? " open" : ""}`;
      });
      writeFileSync(dump, JSON.stringify({ observed, statuses }, null, 2));
    }
    // one line per mismatch, so a failure says exactly what to fix in nginx-differential-table.ts
    const problems = NGINX_CORPUS.map(disagreement).filter((p) => p !== undefined);
    assert.deepEqual(problems, []);
  });

  it("is documented by the same table in docs/CONFORMANCE.md", () => {
    let doc = readFileSync(DOC, "utf8");
    const differing = Object.keys(DIFFERENCES).length;
    const counts = `Of ${NGINX_CORPUS.length} cases, ${NGINX_CORPUS.length - differing} agree completely; the ${differing} that differ`;
    if (process.env["TCPKIT_CONFORMANCE_DOC"] !== undefined) {
      const from = doc.indexOf(TABLE_START) + TABLE_START.length;
      doc = `${doc.slice(0, from)}\n\n${conformanceMarkdown()}\n\n${doc.slice(doc.indexOf(TABLE_END))}`;
      doc = doc.replace(/Of \d+ cases, \d+ agree completely; the \d+ that differ/, counts);
      writeFileSync(DOC, doc);
    }
    assert.ok(doc.replace(/\s+/g, " ").includes(counts), `docs/CONFORMANCE.md says: ${counts}`);
    assert.deepEqual(markdownRows(doc, TABLE_START, TABLE_END), conformanceRows());
  });
});
