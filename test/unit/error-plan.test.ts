/** The fixed error answers: their text bodies and headers, and the file-system error mapping. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorBody, errorPlan, statusForFileError } from "../../src/http/error-plan.js";

describe("errorPlan", () => {
  it("is text/plain with a fixed body such as '404 Not Found\\n'", () => {
    const plan = errorPlan(404);
    assert.equal(plan.status, 404);
    assert.equal(plan.headers, "Content-Type: text/plain; charset=utf-8\r\n");
    assert.deepEqual(plan.body, { kind: "bytes", bytes: Buffer.from("404 Not Found\n") });
    assert.equal(errorBody(431).toString(), "431 Request Header Fields Too Large\n");
  });
  it("puts the caller's lines after Content-Type, and keeps one plan and body per status", () => {
    const plan = errorPlan(405, "Allow: GET\r\n");
    assert.equal(plan.headers, "Content-Type: text/plain; charset=utf-8\r\nAllow: GET\r\n");
    assert.equal(errorPlan(500), errorPlan(500));
    assert.equal(errorBody(500), errorBody(500));
  });
});

describe("statusForFileError", () => {
  it("maps file-system errors to 404, 403 or 500", () => {
    const e = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });
    assert.equal(statusForFileError(e("ENOENT")), 404);
    assert.equal(statusForFileError(e("ENOTDIR")), 404);
    assert.equal(statusForFileError(e("ELOOP")), 404);
    assert.equal(statusForFileError(e("EACCES")), 403);
    assert.equal(statusForFileError(e("EPERM")), 403);
    assert.equal(statusForFileError(e("EIO")), 500);
    assert.equal(statusForFileError(null), 500);
  });
});
