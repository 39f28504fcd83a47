/**
 * Differential test against llhttp: each head of the corpus goes to tcpkit and to Node's built-in
 * HTTP parser, llhttp (node:http with default options, started here), and the accept/reject decisions are
 * compared. Every disagreement must be listed below with the RFC rule tcpkit follows; a listed
 * case that stops disagreeing fails too, so the table stays true.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { LLHTTP_CORPUS } from "./llhttp-differential-corpus.js";
import { exchange } from "../support/raw-socket.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/** Where tcpkit and Node's parser decide differently, and why tcpkit is right to. */
const KNOWN_DIFFERENCES: Readonly<Record<string, string>> = {
  "HTTP/1.2":
    "tcpkit accepts: RFC 9110 §6.2 — a higher minor version of a supported major is 1.1-compatible; Node rejects",
  "two Hosts": "tcpkit rejects: RFC 9112 §3.2 — MUST respond 400 to more than one Host field",
  "Host with slash": "tcpkit rejects: RFC 9112 §3.2 — MUST respond 400 to an invalid Host value",
  "HTTP/2.0":
    "tcpkit rejects (505): RFC 9110 §15.6.6 — a major version the server does not support",
  "HTTP/0.9 simple": "tcpkit rejects (400): DESIGN §3 — HTTP/0.9 simple requests are not served",
  "double space in request line":
    "tcpkit rejects: RFC 9112 §3 — request-line is method SP target SP version; invalid lines get 400",
  "fragment in target":
    "tcpkit rejects: RFC 9112 §3.2 — no request-target form contains a fragment",
  "asterisk with GET": "tcpkit rejects: RFC 9112 §3.2.4 — asterisk-form is only for OPTIONS",
};

type Decision = "accept" | "reject";

async function decide(port: number, head: string): Promise<Decision> {
  const { data } = await exchange(port, [Buffer.from(head, "latin1")], { quietMs: 500 });
  const m = /^HTTP\/1\.\d (\d{3})/.exec(data.toString("latin1"));
  // No answer at all (a parser still waiting) counts as not serving the request.
  return m !== null && Number(m[1]) < 400 ? "accept" : "reject";
}

describe("differential: tcpkit's parser against Node's llhttp", () => {
  let node: Server;
  let tcpkit: TestServer;
  before(async () => {
    node = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.end("ok"));
    });
    await new Promise<void>((resolve) => node.listen(0, "127.0.0.1", resolve));
    tcpkit = await startTestServer();
  });
  after(async () => {
    node.closeAllConnections();
    await new Promise((resolve) => node.close(resolve));
    await tcpkit.close();
  });

  for (const [name, head] of LLHTTP_CORPUS) {
    it(`decides "${name}" like Node, or for a listed reason`, async () => {
      const nodePort = (node.address() as AddressInfo).port;
      const [theirs, ours] = await Promise.all([decide(nodePort, head), decide(tcpkit.port, head)]);
      const reason = KNOWN_DIFFERENCES[name];
      if (reason === undefined) {
        assert.equal(ours, theirs, `tcpkit ${ours}s, Node ${theirs}s`);
      } else {
        assert.notEqual(ours, theirs, `listed as a difference but both ${ours}: ${reason}`);
      }
    });
  }

  it("lists only corpus entries", () => {
    const names = new Set(LLHTTP_CORPUS.map(([n]) => n));
    for (const name of Object.keys(KNOWN_DIFFERENCES)) assert.ok(names.has(name), name);
  });
});
