// Unit tests of worker/site-router.js with node's test runner, a fake R2
// binding and node 20's fetch globals (Request, Response, Headers).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const routerPath = process.env.SITE_ROUTER ?? path.join(here, "..", "..", "worker", "site-router.js");
const router = await import(pathToFileURL(routerPath).href);
const worker = router.default;

// The subset of the R2 bucket binding the router uses: get() and head().
class FakeR2 {
  constructor() {
    this.objects = new Map();
    this.gets = [];
  }
  put(key, text, httpMetadata = {}) {
    const bytes = new TextEncoder().encode(text);
    const etag = createHash("md5").update(bytes).digest("hex");
    this.objects.set(key, { bytes, etag, httpMetadata });
  }
  #object(key, withBody) {
    const stored = this.objects.get(key);
    if (!stored) return null;
    const object = {
      key,
      size: stored.bytes.length,
      etag: stored.etag,
      httpEtag: `"${stored.etag}"`,
      httpMetadata: stored.httpMetadata,
    };
    if (withBody) {
      object.body = new Blob([stored.bytes]).stream();
      object.text = async () => new TextDecoder().decode(stored.bytes);
    }
    return object;
  }
  async get(key) {
    this.gets.push(key);
    return this.#object(key, true);
  }
  async head(key) {
    return this.#object(key, false);
  }
}

function site() {
  const r2 = new FakeR2();
  r2.put("acme/index.html", "<h1>acme home</h1>", { contentType: "text/html; charset=utf-8" });
  r2.put("acme/about/index.html", "<h1>about</h1>");
  r2.put("acme/css/site.css", "body{}");
  r2.put("acme/img/logo.png", "png-bytes");
  r2.put("acme/docs/read me.txt", "spaced");
  r2.put("acme/docs/café.txt", "unicode");
  r2.put("acme/404.html", "<h1>acme lost</h1>");
  r2.put("globex/index.html", "<h1>globex home</h1>");
  r2.put("_hostnames/www.globex-shop.net", JSON.stringify({ tenant: "globex" }));
  return r2;
}

function request(url, { tenant, headers, method } = {}) {
  const req = new Request(url, { headers, method });
  // Workers put custom hostname metadata on request.cf; node has no cf.
  Object.defineProperty(req, "cf", { value: tenant ? { hostMetadata: { tenant } } : {} });
  return req;
}

test("serves index.html for / from the tenant named by the hostname metadata", async () => {
  const r2 = site();
  const res = await worker.fetch(request("https://shop.acme-site.net/", { tenant: "acme" }), { ASSETS: r2 });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "<h1>acme home</h1>");
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  assert.deepEqual(r2.gets, ["acme/index.html"]);
});

test("serves index.html for a directory path with a trailing slash", async () => {
  const res = await worker.fetch(request("https://a.net/about/", { tenant: "acme" }), { ASSETS: site() });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "<h1>about</h1>");
});

test("redirects a directory path without the trailing slash", async () => {
  const res = await worker.fetch(request("https://a.net/about?x=1", { tenant: "acme" }), { ASSETS: site() });
  assert.equal(res.status, 301);
  assert.equal(res.headers.get("location"), "https://a.net/about/?x=1");
});

test("falls back to the content type of the extension when none is stored", async () => {
  const r2 = site();
  const css = await worker.fetch(request("https://a.net/css/site.css", { tenant: "acme" }), { ASSETS: r2 });
  assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
  const png = await worker.fetch(request("https://a.net/img/logo.png", { tenant: "acme" }), { ASSETS: r2 });
  assert.equal(png.headers.get("content-type"), "image/png");
  assert.equal(router.contentTypeFor("x/archive.tar.zz"), "application/octet-stream");
  assert.equal(router.contentTypeFor("x/FONT.WOFF2"), "font/woff2");
});

test("decodes percent-encoded spaces and unicode in the path", async () => {
  const r2 = site();
  const spaced = await worker.fetch(request("https://a.net/docs/read%20me.txt", { tenant: "acme" }), { ASSETS: r2 });
  assert.equal(await spaced.text(), "spaced");
  const unicode = await worker.fetch(request("https://a.net/docs/caf%C3%A9.txt", { tenant: "acme" }), { ASSETS: r2 });
  assert.equal(await unicode.text(), "unicode");
});

test("answers 304 when If-None-Match holds the current ETag", async () => {
  const r2 = site();
  const first = await worker.fetch(request("https://a.net/", { tenant: "acme" }), { ASSETS: r2 });
  const etag = first.headers.get("etag");
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  const again = await worker.fetch(
    request("https://a.net/", { tenant: "acme", headers: { "If-None-Match": `"nope", W/${etag}` } }),
    { ASSETS: r2 });
  assert.equal(again.status, 304);
  assert.equal(again.headers.get("etag"), etag);
  assert.equal(await again.text(), "");
  const stale = await worker.fetch(
    request("https://a.net/", { tenant: "acme", headers: { "If-None-Match": '"0000"' } }), { ASSETS: r2 });
  assert.equal(stale.status, 200);
});

test("serves the tenant's 404.html with status 404 for a missing file", async () => {
  const res = await worker.fetch(request("https://a.net/missing.html", { tenant: "acme" }), { ASSETS: site() });
  assert.equal(res.status, 404);
  assert.equal(await res.text(), "<h1>acme lost</h1>");
});

test("answers a plain 404 when the tenant has no 404.html", async () => {
  const res = await worker.fetch(request("https://a.net/missing", { tenant: "globex" }), { ASSETS: site() });
  assert.equal(res.status, 404);
  assert.match(await res.text(), /Not found/);
});

test("finds the tenant through the hostname mapping when there is no metadata", async () => {
  const res = await worker.fetch(request("https://WWW.globex-shop.net/"), { ASSETS: site() });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "<h1>globex home</h1>");
});

test("answers 404 for a hostname with neither metadata nor mapping", async () => {
  const res = await worker.fetch(request("https://unknown.net/"), { ASSETS: site() });
  assert.equal(res.status, 404);
  assert.match(await res.text(), /No site is deployed for unknown.net/);
});

test("never leaves the tenant prefix", async () => {
  const r2 = site();
  // The URL parser already resolves "%2E%2E"; the key stays under acme/.
  const dotdot = await worker.fetch(request("https://a.net/%2E%2E/globex/index.html", { tenant: "acme" }), { ASSETS: r2 });
  assert.equal(dotdot.status, 404);
  assert.ok(r2.gets.every((key) => key.startsWith("acme/")));
  const slash = await worker.fetch(request("https://a.net/x%2F..%2F..%2Fglobex/index.html", { tenant: "acme" }), { ASSETS: r2 });
  assert.equal(slash.status, 400);
  const mappingTenant = await worker.fetch(request("https://a.net/www.globex-shop.net", { tenant: "_hostnames" }), { ASSETS: r2 });
  assert.equal(mappingTenant.status, 404);
  assert.ok(r2.gets.every((key) => !key.startsWith("_hostnames/")));
});

test("answers HEAD without a body and refuses other methods", async () => {
  const r2 = site();
  const head = await worker.fetch(request("https://a.net/css/site.css", { tenant: "acme", method: "HEAD" }), { ASSETS: r2 });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), "6");
  assert.equal(await head.text(), "");
  const post = await worker.fetch(request("https://a.net/", { tenant: "acme", method: "POST" }), { ASSETS: r2 });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
});

test("keyForPath maps directories to index.html and rejects escapes", () => {
  assert.equal(router.keyForPath("/"), "index.html");
  assert.equal(router.keyForPath("/a//b/"), "a/b/index.html");
  assert.equal(router.keyForPath("/a/./b"), null);
  assert.equal(router.keyForPath("/%E0%A4%A"), null);
});
