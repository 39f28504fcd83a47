/**
 * The auth wrapper in front of a handler that takes writes (what --auth-scope upload protects
 * once an upload wing follows it): a PUT without credentials waiting for 100 Continue gets 401
 * and a close, never the 100, so the client never sends the body; with credentials it goes on.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { basicAuth } from "../../src/auth/basic-auth.js";
import { CredentialStore } from "../../src/auth/credential-store.js";
import { parseUserPassword } from "../../src/auth/htpasswd.js";
import { chain, withMethods } from "../../src/http/handler-chain.js";
import { createHttpServer, type HttpServer } from "../../src/http/server/server.js";
import { exchange } from "../support/raw-socket.js";

let server: HttpServer;
let port: number;

before(async () => {
  const auth = basicAuth({
    credentials: new CredentialStore(new Map([parseUserPassword("u:p")])),
    protects: (head) => !["GET", "HEAD", "OPTIONS"].includes(head.method),
  });
  const writes = withMethods(["GET", "HEAD", "PUT"], async (_head, context) => {
    const body = await context.body.bytes();
    return { status: 200, headers: "", body: { kind: "bytes", bytes: body } };
  });
  server = createHttpServer({ port: 0 }, chain(auth, writes));
  port = (await server.listen()).port;
});
after(() => server.close());

describe("auth wrapper before a writing handler", () => {
  it("answers a PUT waiting for 100 Continue with 401 and a close, without the 100", async () => {
    const r = await exchange(port, [
      "PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    ]);
    const text = r.data.toString("latin1");
    assert.match(text, /^HTTP\/1\.1 401 Unauthorized\r\n/);
    assert.match(text, /\r\nConnection: close\r\n/);
    assert.ok(!text.includes("100 Continue"));
    assert.equal(r.closed, true);
  });
  it("lets a GET through without credentials and a PUT with them", async () => {
    const auth = Buffer.from("u:p").toString("base64");
    const r = await exchange(
      port,
      [
        "GET /f HTTP/1.1\r\nHost: x\r\n\r\n" +
          `PUT /f HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${auth}\r\nContent-Length: 5\r\n\r\nhello`,
      ],
      { quietMs: 500 },
    );
    const text = r.data.toString("latin1");
    assert.equal(text.match(/HTTP\/1\.1 200 OK/g)?.length, 2);
    assert.ok(text.endsWith("hello"));
  });
});
