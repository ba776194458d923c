// pipewright site router: serves every tenant's static site out of one R2
// bucket. A request for https://<hostname>/<path> is answered from the R2 key
// "<tenant>/<path>" through the ASSETS binding.
//
// The tenant comes from the custom hostname's metadata
// (request.cf.hostMetadata.tenant, set by cloudflare.custom_hostname); when a
// request arrives without it (a zone route rather than a custom hostname),
// from the mapping object "_hostnames/<hostname>" written by the same step.
// Tenant names never start with "_", so no tenant path can reach a mapping.

const MAPPING_PREFIX = "_hostnames/";
const TENANT_RULE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const CONTENT_TYPES = {
  html: "text/html; charset=utf-8",
  htm: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  json: "application/json",
  map: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  ico: "image/x-icon",
  txt: "text/plain; charset=utf-8",
  xml: "application/xml",
  woff: "font/woff",
  woff2: "font/woff2",
  wasm: "application/wasm",
  pdf: "application/pdf",
};

export function contentTypeFor(key) {
  const name = key.slice(key.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  if (dot < 0) return "application/octet-stream";
  return CONTENT_TYPES[name.slice(dot + 1).toLowerCase()] ?? "application/octet-stream";
}

// The R2 key below the tenant prefix for a URL path, or null when the path
// tries to leave the tenant's prefix or cannot be decoded.
export function keyForPath(pathname) {
  const segments = [];
  for (const raw of pathname.split("/")) {
    if (raw === "") continue;
    let segment;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (segment === "." || segment === ".." || segment.includes("/") || segment.includes("\\"))
      return null;
    segments.push(segment);
  }
  const directory = pathname === "" || pathname.endsWith("/");
  if (directory) segments.push("index.html");
  return segments.join("/");
}

async function tenantFor(request, env, hostname) {
  const fromMetadata = request.cf?.hostMetadata?.tenant;
  if (typeof fromMetadata === "string") return TENANT_RULE.test(fromMetadata) ? fromMetadata : null;
  const mapping = await env.ASSETS.get(MAPPING_PREFIX + hostname);
  if (!mapping) return null;
  try {
    const { tenant } = JSON.parse(await mapping.text());
    return typeof tenant === "string" && TENANT_RULE.test(tenant) ? tenant : null;
  } catch {
    return null;
  }
}

function quotedEtag(object) {
  if (object.httpEtag) return object.httpEtag;
  return `"${object.etag}"`;
}

// If-None-Match holds one or more entity tags, possibly weak, or "*".
function matchesIfNoneMatch(header, etag) {
  if (!header) return false;
  const bare = etag.replace(/^W\//, "");
  return header.split(",").some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, "");
    return tag === "*" || tag === bare;
  });
}

function objectHeaders(object, key) {
  const headers = new Headers();
  const meta = object.httpMetadata ?? {};
  headers.set("Content-Type", meta.contentType || contentTypeFor(key));
  if (meta.contentLanguage) headers.set("Content-Language", meta.contentLanguage);
  if (meta.contentDisposition) headers.set("Content-Disposition", meta.contentDisposition);
  if (meta.contentEncoding) headers.set("Content-Encoding", meta.contentEncoding);
  headers.set("Cache-Control", meta.cacheControl || "public, max-age=0, must-revalidate");
  headers.set("ETag", quotedEtag(object));
  if (typeof object.size === "number") headers.set("Content-Length", String(object.size));
  return headers;
}

function plain(status, text, extra = {}) {
  return new Response(text, {
    status,
    headers: { "Content-Type": "text/plain; charset=utf-8", ...extra },
  });
}

async function notFound(env, tenant, head) {
  const page = await env.ASSETS.get(`${tenant}/404.html`);
  if (!page) return plain(404, head ? null : "Not found\n");
  const headers = objectHeaders(page, "404.html");
  headers.set("Cache-Control", "no-store");
  return new Response(head ? null : page.body, { status: 404, headers });
}

export default {
  async fetch(request, env) {
    const head = request.method === "HEAD";
    if (request.method !== "GET" && !head) return plain(405, "Method not allowed\n", { Allow: "GET, HEAD" });

    const url = new URL(request.url);
    const hostname = url.hostname.toLowerCase();
    const tenant = await tenantFor(request, env, hostname);
    if (!tenant) return plain(404, head ? null : `No site is deployed for ${hostname}\n`);

    const path = keyForPath(url.pathname);
    if (path === null) return plain(400, head ? null : "Bad path\n");
    const key = `${tenant}/${path}`;

    const object = await env.ASSETS.get(key);
    if (!object && !path.endsWith("index.html") && !path.slice(path.lastIndexOf("/") + 1).includes(".")) {
      // "/docs" names a directory: send the browser to "/docs/" so relative links resolve.
      if (await env.ASSETS.head(`${key}/index.html`)) {
        const target = new URL(url);
        target.pathname = `${url.pathname}/`;
        return new Response(null, { status: 301, headers: { Location: target.toString() } });
      }
    }
    if (!object) return notFound(env, tenant, head);

    const headers = objectHeaders(object, key);
    if (matchesIfNoneMatch(request.headers.get("If-None-Match"), headers.get("ETag"))) {
      headers.delete("Content-Length");
      return new Response(null, { status: 304, headers });
    }
    return new Response(head ? null : object.body, { status: 200, headers });
  },
};
