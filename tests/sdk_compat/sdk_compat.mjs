// Drives the sandbox with the official TypeScript SDK (npm `cloudflare`).
// Exit 0 only when every check passed; npm or registry trouble is a failure.
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { installPackage, startSandbox, stopSandbox } from './real_clients.mjs';

const cacheDir = process.env.PW_SDK_CACHE;
const version = process.env.PW_SDK_VERSION;
const hostBinary = process.env.PW_SDK_HOST;
if (!cacheDir || !version || !hostBinary) {
  console.error('sdk_compat: PW_SDK_CACHE, PW_SDK_VERSION and PW_SDK_HOST must be set (run through ctest)');
  process.exit(2);
}

// Six zones besides the demo zone, so listing zones takes several pages.
const EXTRA_ZONES = 6;
function writeSeed() {
  const zones = Array.from({ length: EXTRA_ZONES }, (_, i) => ({
    id: randomBytes(16).toString('hex'), name: `tenant-${i}.customer-site.net` }));
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, 'seed.json');
  writeFileSync(file, JSON.stringify({ zones }));
  return file;
}

const R2_WRITE = 'bf7481a1826f439697cb59a20b22293e';
const ZONE_READ = 'c8fed203ed3043cba015a93ad1616f1f';
const SSL_WRITE = 'c03055bc037c4ea9afb9a9f104b7b721';
const DNS_WRITE = '4755a26eedb94da69e1066d98aa820be';

async function checks(Cloudflare, info) {
  const admin = new Cloudflare({ baseURL: info.base_url, apiEmail: info.email, apiKey: info.global_key, maxRetries: 0 });

  const groups = [];
  for await (const group of admin.user.tokens.permissionGroups.list()) groups.push(group);
  const r2Write = groups.find((g) => g.id === R2_WRITE);
  assert.ok(r2Write, 'permission groups include Workers R2 Storage Write');
  assert.equal(r2Write.name, 'Workers R2 Storage Write');
  console.log(`ok - ${groups.length} permission groups`);

  const token = await admin.user.tokens.create({
    name: 'sdk-compat',
    policies: [
      { effect: 'allow', resources: { [`com.cloudflare.api.account.${info.account_id}`]: '*' },
        permission_groups: [{ id: R2_WRITE }] },
      { effect: 'allow',
        resources: { [`com.cloudflare.api.account.${info.account_id}`]: { 'com.cloudflare.api.account.zone.*': '*' } },
        permission_groups: [{ id: ZONE_READ }] },
      { effect: 'allow', resources: { [`com.cloudflare.api.account.zone.${info.zone_id}`]: '*' },
        permission_groups: [{ id: SSL_WRITE }, { id: DNS_WRITE }] },
    ],
  });
  assert.match(token.value, /^cfut_/, 'created token value has the cfut_ prefix');
  console.log('ok - token created');

  const cf = new Cloudflare({ baseURL: info.base_url, apiToken: token.value, maxRetries: 0 });
  const verified = await cf.user.tokens.verify();
  assert.equal(verified.id, token.id);
  assert.equal(verified.status, 'active');
  console.log('ok - token verified');

  const bucket = await cf.r2.buckets.create({ account_id: info.account_id, name: 'sdk-compat-assets', locationHint: 'weur' });
  assert.equal(bucket.name, 'sdk-compat-assets');
  const listed = await cf.r2.buckets.list({ account_id: info.account_id });
  assert.ok(listed.buckets.some((b) => b.name === 'sdk-compat-assets'), 'bucket list shows the new bucket');
  console.log('ok - R2 bucket created and listed');

  const zones = [];
  let pages = 0;
  const first = await cf.zones.list({ per_page: 5 });
  for await (const page of first.iterPages()) {
    pages += 1;
    zones.push(...page.getPaginatedItems());
    assert.ok(pages < 100, 'zone pagination terminates');
  }
  assert.ok(zones.some((z) => z.id === info.zone_id), 'zone list includes the demo zone');
  assert.equal(zones.length, 1 + EXTRA_ZONES, 'every zone is listed once over the pages');
  assert.ok(pages >= 2, 'the zone list spans several pages');
  assert.equal(new Set(zones.map((z) => z.id)).size, zones.length, 'no zone appears twice');
  assert.equal(zones.length, first.result_info.total_count, 'total_count counts every zone');
  console.log(`ok - ${zones.length} zones over ${pages} pages`);

  const hostname = 'shop.customer-site.net';
  const created = await cf.customHostnames.create({ zone_id: info.zone_id, hostname, ssl: { method: 'http', type: 'dv' } });
  assert.equal(created.hostname, hostname);
  assert.ok(['pending', 'active'].includes(created.status));
  const found = [];
  for await (const ch of cf.customHostnames.list({ zone_id: info.zone_id, hostname })) found.push(ch);
  assert.deepEqual(found.map((c) => c.id), [created.id]);
  await assert.rejects(
    cf.customHostnames.create({ zone_id: info.zone_id, hostname, ssl: { method: 'http', type: 'dv' } }),
    (err) => err.status === 409 && err.errors?.[0]?.code === 1406);
  console.log('ok - custom hostname created, listed, duplicate refused');

  const exact = [];
  for await (const ch of cf.customHostnames.list({ zone_id: info.zone_id, hostname: { exact: hostname } })) exact.push(ch);
  assert.deepEqual(exact.map((c) => c.id), [created.id], 'hostname.exact finds the hostname');
  const got = await cf.customHostnames.get(created.id, { zone_id: info.zone_id });
  assert.equal(got.id, created.id);
  assert.equal(got.hostname, hostname);
  assert.equal(got.ssl.method, 'http');
  assert.equal(got.ssl.type, 'dv');
  const edited = await cf.customHostnames.edit(created.id, {
    zone_id: info.zone_id, custom_metadata: { tenant: 'shop' }, custom_origin_server: `origin.${info.zone_name}` });
  assert.equal(edited.id, created.id);
  assert.equal(edited.hostname, hostname);
  assert.deepEqual(edited.custom_metadata, { tenant: 'shop' });
  assert.equal(edited.custom_origin_server, `origin.${info.zone_name}`);
  const reread = await cf.customHostnames.get(created.id, { zone_id: info.zone_id });
  assert.deepEqual(reread.custom_metadata, { tenant: 'shop' }, 'the edit is stored');
  const deletedHostname = await cf.customHostnames.delete(created.id, { zone_id: info.zone_id });
  assert.equal(deletedHostname.id, created.id);
  await assert.rejects(cf.customHostnames.get(created.id, { zone_id: info.zone_id }), (err) => err.status === 404);
  console.log('ok - custom hostname get, hostname.exact, edit, delete');

  await dnsLifecycle(cf, info);
  await workerVersionsAndSecrets(admin, info);

  await cf.r2.buckets.delete('sdk-compat-assets', { account_id: info.account_id });
  await admin.user.tokens.delete(token.id);
}

// DNS records through dns.records: create, list with filters, get, edit
// (PATCH), update (PUT), the CNAME rules, delete.
async function dnsLifecycle(cf, info) {
  const zone_id = info.zone_id;
  const www = `www.${info.zone_name}`;
  const a = await cf.dns.records.create({ zone_id, type: 'A', name: 'www', content: '192.0.2.10', ttl: 300, proxied: false, comment: 'web' });
  assert.match(a.id, /^[0-9a-f]{32}$/);
  assert.equal(a.type, 'A');
  assert.equal(a.name, www, 'a relative name is stored as the FQDN');
  assert.equal(a.content, '192.0.2.10');
  assert.equal(a.ttl, 300);
  assert.equal(a.proxied, false);
  assert.equal(a.comment, 'web');
  const txt = await cf.dns.records.create({ zone_id, type: 'TXT', name: '@', content: 'v=spf1 -all', ttl: 1 });
  assert.equal(txt.name, info.zone_name);

  const byName = [];
  for await (const r of cf.dns.records.list({ zone_id, type: 'A', name: { exact: www } })) byName.push(r);
  assert.deepEqual(byName.map((r) => r.id), [a.id], 'type + name.exact filter');
  const all = [];
  for await (const r of cf.dns.records.list({ zone_id })) all.push(r);
  assert.deepEqual(new Set(all.map((r) => r.id)), new Set([a.id, txt.id]));

  const got = await cf.dns.records.get(a.id, { zone_id });
  assert.deepEqual({ id: got.id, type: got.type, name: got.name, content: got.content, ttl: got.ttl, comment: got.comment },
    { id: a.id, type: 'A', name: www, content: '192.0.2.10', ttl: 300, comment: 'web' });

  const edited = await cf.dns.records.edit(a.id, { zone_id, type: 'A', ttl: 600, comment: 'web, edited' });
  assert.equal(edited.content, '192.0.2.10', 'PATCH keeps what it does not name');
  assert.equal(edited.ttl, 600);
  assert.equal(edited.comment, 'web, edited');
  const updated = await cf.dns.records.update(a.id, { zone_id, type: 'A', name: 'www', content: '192.0.2.20', ttl: 1, proxied: true });
  assert.equal(updated.content, '192.0.2.20');
  assert.equal(updated.ttl, 1);
  assert.equal(updated.proxied, true);
  assert.equal(updated.comment ?? null, null, 'PUT replaces the whole record');
  assert.equal((await cf.dns.records.get(a.id, { zone_id })).content, '192.0.2.20', 'the update is stored');

  const cname = await cf.dns.records.create({ zone_id, type: 'CNAME', name: 'shop', content: 'site-worker.example.org', ttl: 1, proxied: true });
  await assert.rejects(cf.dns.records.create({ zone_id, type: 'A', name: 'shop', content: '192.0.2.30', ttl: 1 }),
    (err) => err.status === 400 && err.errors?.[0]?.code === 81054, 'A on a CNAME name: 81054');
  await assert.rejects(cf.dns.records.create({ zone_id, type: 'CNAME', name: 'www', content: 'elsewhere.example.org', ttl: 1 }),
    (err) => err.status === 400 && err.errors?.[0]?.code === 81053, 'CNAME on an A name: 81053');
  await assert.rejects(cf.dns.records.create({ zone_id, type: 'A', name: 'www', content: '192.0.2.20', ttl: 1 }),
    (err) => err.status === 400 && err.errors?.[0]?.code === 81057, 'the same record twice: 81057');

  for (const id of [a.id, txt.id, cname.id]) assert.deepEqual(await cf.dns.records.delete(id, { zone_id }), { id });
  await assert.rejects(cf.dns.records.get(a.id, { zone_id }), (err) => err.status === 404 && err.errors?.[0]?.code === 81044);
  const left = [];
  for await (const r of cf.dns.records.list({ zone_id })) left.push(r);
  assert.equal(left.length, 0, 'every record was deleted');
  console.log('ok - DNS record create, list filters, get, edit, update, CNAME rules, delete');
}

// Worker versions, deployments, secrets and settings through the SDK. The
// upload itself is multipart built here: SDK 7 encodes upload metadata as
// bracketed fields, which Cloudflare refuses.
async function workerVersionsAndSecrets(admin, info) {
  const account_id = info.account_id;
  const name = 'sdk-worker';
  for (const reply of ['one', 'two']) {
    const form = new FormData();
    form.append('metadata', JSON.stringify({ main_module: 'index.js', compatibility_date: '2025-01-01' }));
    form.append('index.js', new Blob([`export default { fetch() { return new Response('${reply}'); } };`],
      { type: 'application/javascript+module' }), 'index.js');
    const res = await fetch(`${info.base_url}/accounts/${account_id}/workers/scripts/${name}`,
      { method: 'PUT', headers: { 'X-Auth-Email': info.email, 'X-Auth-Key': info.global_key }, body: form });
    assert.equal(res.status, 200, await res.text());
  }
  const versions = [];
  for await (const v of admin.workers.scripts.versions.list(name, { account_id })) versions.push(v);
  assert.deepEqual(versions.map((v) => v.number), [2, 1], 'versions newest first');
  const v2 = await admin.workers.scripts.versions.get(versions[0].id, { account_id, script_name: name });
  assert.equal(v2.id, versions[0].id);
  assert.equal(v2.resources.script_runtime.compatibility_date, '2025-01-01');
  const deployments = [];
  for await (const d of admin.workers.scripts.deployments.list(name, { account_id })) deployments.push(d);
  assert.equal(deployments.length, 2, 'one deployment per upload, listed once');
  assert.deepEqual(deployments[0].versions, [{ version_id: versions[0].id, percentage: 100 }]);
  const latest = await admin.workers.scripts.deployments.get(deployments[0].id, { account_id, script_name: name });
  assert.equal(latest.id, deployments[0].id);

  const secret = await admin.workers.scripts.secrets.update(name, { account_id, name: 'TOKEN', text: 'sdk-secret-value', type: 'secret_text' });
  assert.deepEqual(secret, { name: 'TOKEN', type: 'secret_text' });
  const secrets = [];
  for await (const x of admin.workers.scripts.secrets.list(name, { account_id })) secrets.push(x);
  assert.deepEqual(secrets, [{ name: 'TOKEN', type: 'secret_text' }]);
  assert.deepEqual(await admin.workers.scripts.secrets.get('TOKEN', { account_id, script_name: name }), { name: 'TOKEN', type: 'secret_text' });
  const settings = await admin.workers.scripts.scriptAndVersionSettings.get(name, { account_id });
  assert.deepEqual(settings.bindings, [{ type: 'secret_text', name: 'TOKEN' }], 'a secret is a binding, without its value');
  await admin.workers.scripts.secrets.delete('TOKEN', { account_id, script_name: name });
  await assert.rejects(admin.workers.scripts.secrets.get('TOKEN', { account_id, script_name: name }), (err) => err.status === 404);
  await admin.workers.scripts.delete(name, { account_id });
  console.log('ok - Worker versions, deployments, secrets and settings');
}

installPackage(cacheDir, 'cloudflare', version, 'sdk_compat');
const Cloudflare = createRequire(join(cacheDir, 'package.json'))('cloudflare').default;
const { child, info } = await startSandbox(hostBinary, writeSeed());
let failed = false;
try {
  await checks(Cloudflare, info);
  console.log('sdk_compat: all checks passed');
} catch (err) {
  failed = true;
  console.error('sdk_compat: FAILED:', err?.status ? `${err.status} ${JSON.stringify(err.errors)}` : '', err?.stack ?? err);
} finally {
  await stopSandbox(child);
}
process.exit(failed ? 1 : 0);
