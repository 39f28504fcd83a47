/** Canned error responses: fixed bytes, Connection handling, HEAD variant, file-error mapping. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cannedResponse, statusForFileError } from "../../src/http/canned-responses.js";
import { currentHttpDate } from "../../src/http/http-date.js";

describe("cannedResponse", () => {
  it("is a complete response with a fixed body and Connection: close", () => {
    assert.equal(
      cannedResponse(400, true).toString("latin1"),
      `HTTP/1.1 400 Bad Request\r\nDate: ${currentHttpDate()}\r\n` +
        "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 16\r\nConnection: close\r\n\r\n" +
        "400 Bad Request\n",
    );
  });
  it("carries Allow on 405, echoes 1.0 keep-alive, and leaves the body out for HEAD", () => {
    const text = cannedResponse(405, false, 10, true).toString("latin1");
    assert.match(text, /\r\nAllow: GET, HEAD, OPTIONS\r\n/);
    assert.match(text, /\r\nConnection: keep-alive\r\n\r\n$/);
    assert.match(text, /\r\nContent-Length: 23\r\n/);
  });
  it("reuses one Buffer per variant within a second", () => {
    // Two tries: the first pair may straddle a second boundary.
    const same = [0, 1].some(() => cannedResponse(408, true) === cannedResponse(408, true));
    assert.ok(same);
  });
});

describe("statusForFileError", () => {
  it("maps file-system errors to 404, 403 or 500", () => {
    const e = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });
    assert.equal(statusForFileError(e("ENOENT")), 404);
    assert.equal(statusForFileError(e("ENOTDIR")), 404);
    assert.equal(statusForFileError(e("EACCES")), 403);
    assert.equal(statusForFileError(e("EPERM")), 403);
    assert.equal(statusForFileError(e("EIO")), 500);
    assert.equal(statusForFileError(null), 500);
  });
});
