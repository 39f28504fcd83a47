/**
 * Error answers for people and programs (http/error-page.ts): HTML in the listing's look for a
 * client preferring text/html (browsers), the one text line for anyone else (curl's "*\/*", no
 * Accept), for serveStatic's 404 (linking the nearest folder), 405, 416 and 400, and for the
 * server core's 405.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorPlanFor, prefersHtml, renderErrorPage } from "../../src/http/error-page.js";
import { MethodPolicy } from "../../src/http/method-policy.js";
import { planBody, planHeader, requestHead, useStaticSite } from "../support/static-fixture.js";

const BROWSER = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };
const site = useStaticSite();

describe("error pages", () => {
  it("prefers HTML only when the client ranks text/html above text/plain", () => {
    assert.equal(prefersHtml(requestHead("/", BROWSER)), true);
    assert.equal(prefersHtml(requestHead("/", { accept: "text/html" })), true);
    assert.equal(prefersHtml(requestHead("/", { accept: "*/*" })), false);
    assert.equal(prefersHtml(requestHead("/", {})), false);
    assert.equal(prefersHtml(requestHead("/", { accept: "text/plain, text/html;q=0.5" })), false);
    assert.equal(prefersHtml(requestHead("/", { accept: "text/*" })), false);
  });

  it("renders a small page with the status, a sentence, and an escaped link", () => {
    const html = renderErrorPage(404, `/a"b/`);
    assert.match(html, /<title>404 Not Found<\/title>/);
    assert.match(html, /<meta name="color-scheme" content="light dark">/);
    assert.match(html, /<a href="\/a&quot;b\/">Go to \/a&quot;b\/<\/a>/);
    assert.doesNotMatch(html, /<script/);
  });

  it("keeps the text line for programs", () => {
    const plan = errorPlanFor(requestHead("/", { accept: "*/*" }), 416);
    assert.equal(planHeader(plan, "content-type"), "text/plain; charset=utf-8");
    assert.equal(planBody(plan).toString(), "416 Range Not Satisfiable\n");
  });

  it("serveStatic: a 404 for a browser links to the nearest existing folder", async () => {
    const p = await site.get("/docs/sub/nope/deeper.txt", BROWSER);
    assert.equal(p.status, 404);
    assert.equal(planHeader(p, "content-type"), "text/html; charset=utf-8");
    assert.match(planBody(p).toString(), /<a href="\/docs\/sub\/">Go to \/docs\/sub\/<\/a>/);
    const top = await site.get("/nope.txt", BROWSER);
    assert.match(planBody(top).toString(), /<a href="\/">Go to \/<\/a>/);
    const curl = await site.get("/docs/sub/nope/deeper.txt", { accept: "*/*" });
    assert.equal(planBody(curl).toString(), "404 Not Found\n");
  });

  it("serveStatic: 405, 416 and 400 are pages for browsers, text otherwise", async () => {
    const post = await site.get("/hello.txt", BROWSER, {}, "POST");
    assert.equal(post.status, 405);
    assert.equal(planHeader(post, "allow"), "GET, HEAD, OPTIONS");
    assert.match(planBody(post).toString(), /<h1>405 Method Not Allowed<\/h1>/);
    const range = await site.get("/hello.txt", { ...BROWSER, range: "bytes=999-" });
    assert.equal(range.status, 416);
    assert.equal(planHeader(range, "content-range"), "bytes */14");
    assert.match(planBody(range).toString(), /<h1>416 Range Not Satisfiable<\/h1>/);
    const bad = await site.get("/a%00b", BROWSER);
    assert.equal(bad.status, 400);
    assert.match(planBody(bad).toString(), /<h1>400 Bad Request<\/h1>/);
    const plain = await site.get("/hello.txt", {}, {}, "POST");
    assert.equal(planBody(plain).toString(), "405 Method Not Allowed\n");
  });

  it("the core's 405 and 501 follow the same rule", () => {
    const policy = new MethodPolicy();
    const html = policy.refusal("POST", requestHead("/", BROWSER));
    assert.equal(html?.status, 405);
    assert.equal(planHeader(html!, "allow"), "GET, HEAD, OPTIONS");
    assert.match(planBody(html!).toString(), /<h1>405 Method Not Allowed<\/h1>/);
    const text = policy.refusal("POST", requestHead("/", { accept: "*/*" }));
    assert.equal(planBody(text!).toString(), "405 Method Not Allowed\n");
    assert.match(planBody(policy.refusal("BREW", requestHead("/", BROWSER))!).toString(), /501/);
  });
});
