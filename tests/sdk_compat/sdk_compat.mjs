// Drives the sandbox with the official TypeScript SDK (npm `cloudflare`).
// Exit 0 only when every check passed; npm or registry trouble is a failure.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';

const cacheDir = process.env.PW_SDK_CACHE;
const version = process.env.PW_SDK_VERSION;
const hostBinary = process.env.PW_SDK_HOST;
if (!cacheDir || !version || !hostBinary) {
  console.error('sdk_compat: PW_SDK_CACHE, PW_SDK_VERSION and PW_SDK_HOST must be set (run through ctest)');
  process.exit(2);
}

function installSdk() {
  const manifest = join(cacheDir, 'node_modules', 'cloudflare', 'package.json');
  if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).version === version) return;
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(join(cacheDir, 'package.json'), '{"private": true}\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--no-save', `cloudflare@${version}`],
    { cwd: cacheDir, encoding: 'utf8', timeout: 300_000 });
  if (run.error || run.status !== 0) {
    console.error(`sdk_compat: FAILED: npm could not install cloudflare@${version} into ${cacheDir}` +
      ' (is npm installed and the npm registry reachable?)');
    console.error(run.error ? String(run.error) : run.stderr);
    process.exit(1);
  }
}

// Six zones besides the demo zone, so listing zones takes several pages.
const EXTRA_ZONES = 6;
function writeSeed() {
  const zones = Array.from({ length: EXTRA_ZONES }, (_, i) => ({
    id: randomBytes(16).toString('hex'), name: `tenant-${i}.customer-site.net` }));
  const file = join(cacheDir, 'seed.json');
  writeFileSync(file, JSON.stringify({ zones }));
  return file;
}

function startSandbox() {
  return new Promise((resolve, reject) => {
    const child = spawn(hostBinary, [writeSeed()], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`sandbox host exited early (${code})`)));
    createInterface({ input: child.stdout }).once('line', (line) => resolve({ child, info: JSON.parse(line) }));
  });
}

const R2_WRITE = 'bf7481a1826f439697cb59a20b22293e';
const ZONE_READ = 'c8fed203ed3043cba015a93ad1616f1f';
const SSL_WRITE = 'c03055bc037c4ea9afb9a9f104b7b721';

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
        permission_groups: [{ id: SSL_WRITE }] },
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

  await cf.customHostnames.delete(created.id, { zone_id: info.zone_id });
  await cf.r2.buckets.delete('sdk-compat-assets', { account_id: info.account_id });
  await admin.user.tokens.delete(token.id);
}

installSdk();
const Cloudflare = createRequire(join(cacheDir, 'package.json'))('cloudflare').default;
const { child, info } = await startSandbox();
child.removeAllListeners('exit');
let failed = false;
try {
  await checks(Cloudflare, info);
  console.log('sdk_compat: all checks passed');
} catch (err) {
  failed = true;
  console.error('sdk_compat: FAILED:', err?.status ? `${err.status} ${JSON.stringify(err.errors)}` : '', err?.stack ?? err);
} finally {
  child.stdin.end();
  await new Promise((resolve) => child.once('exit', resolve));
}
process.exit(failed ? 1 : 0);
