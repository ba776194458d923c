// Drives the sandbox with wrangler from npm, unmodified: deploy, redeploy,
// versions list, deployments list, secret put/list/delete/bulk, delete, R2
// bucket CORS and lifecycle rules. Each step checks wrangler's exit status
// and output and what the sandbox holds after.
// wrangler is kept on this machine: metrics and error reports off, banner
// (update check) off, and an unreachable HTTPS proxy for anything else.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { installPackage, startSandbox, stopSandbox } from './real_clients.mjs';

const cacheDir = process.env.PW_WRANGLER_CACHE;
const version = process.env.PW_WRANGLER_VERSION;
const hostBinary = process.env.PW_SDK_HOST;
if (!cacheDir || !version || !hostBinary) {
  console.error('wrangler_lifecycle: PW_WRANGLER_CACHE, PW_WRANGLER_VERSION and PW_SDK_HOST must be set (run through ctest)');
  process.exit(2);
}

// wrangler 4.86 refuses to start on an older node; say so instead of its banner.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 3)) {
  console.error(`wrangler_lifecycle: FAILED: wrangler ${version} needs Node.js 20.3 or later; this is ${process.version}`);
  process.exit(1);
}

const SCRIPT = 'lifecycle-worker';
const SECRET_VALUE = `pw-secret-${Date.now().toString(36)}-value`;
const WORKERS_WRITE = 'e086da7e2179491d91ee5f35b3ca210a';
const R2_WRITE = 'bf7481a1826f439697cb59a20b22293e';

async function api(info, auth, method, path, body) {
  const res = await fetch(`${info.base_url}${path}`, {
    method, headers: { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.ok(!text.includes(SECRET_VALUE), `${method} ${path} never shows the secret value`);
  return { status: res.status, text, json: text.startsWith('{') ? JSON.parse(text) : null };
}

function wranglerRunner(bin, project, env) {
  return (args, input) => {
    const run = spawnSync(process.execPath, [bin, ...args],
      { cwd: project, env, input: input ?? '', encoding: 'utf8', timeout: 120_000 });
    const output = `${run.stdout}\n${run.stderr}`;
    // Checked before a failure is thrown, whose message carries the output.
    assert.ok(!output.includes(SECRET_VALUE), `wrangler ${args.join(' ')} never prints the secret value`);
    if (run.error || run.status !== 0)
      throw new Error(`wrangler ${args.join(' ')} failed (${run.error ?? run.status}):\n${output}`);
    return output;
  };
}

function writeWorker(project, reply) {
  writeFileSync(join(project, 'index.js'),
    `export default { async fetch(request, env) { return new Response(${JSON.stringify(reply)}); } };\n`);
}

async function lifecycle(info, wranglerBin, work) {
  const admin = { 'X-Auth-Email': info.email, 'X-Auth-Key': info.global_key };
  const token = await api(info, admin, 'POST', '/user/tokens', {
    name: 'wrangler-lifecycle',
    policies: [{ effect: 'allow', resources: { [`com.cloudflare.api.account.${info.account_id}`]: '*' },
      permission_groups: [{ id: WORKERS_WRITE }, { id: R2_WRITE }] }],
  });
  assert.equal(token.status, 200, token.text);
  const auth = { Authorization: `Bearer ${token.json.result.value}` };
  const scripts = `/accounts/${info.account_id}/workers/scripts`;

  const project = join(work, 'project');
  const home = join(work, 'home');
  mkdirSync(project);
  mkdirSync(home);
  writeFileSync(join(project, 'wrangler.toml'),
    `name = "${SCRIPT}"\nmain = "index.js"\ncompatibility_date = "2025-01-01"\n`);
  const env = {
    PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), TMPDIR: work,
    CLOUDFLARE_API_BASE_URL: info.base_url, CLOUDFLARE_API_TOKEN: token.json.result.value,
    CLOUDFLARE_ACCOUNT_ID: info.account_id,
    WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false', WRANGLER_HIDE_BANNER: 'true', CI: 'true',
    HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost',
  };
  const wrangler = wranglerRunner(wranglerBin, project, env);
  const versionIdIn = (out) => /Current Version ID: ([0-9a-f-]{36})/.exec(out)?.[1];

  writeWorker(project, 'v1');
  const first = wrangler(['deploy']);
  assert.match(first, new RegExp(`Uploaded ${SCRIPT}`));
  const v1 = versionIdIn(first);
  assert.ok(v1, `deploy prints the version id:\n${first}`);
  const listed = await api(info, auth, 'GET', scripts);
  assert.deepEqual(listed.json.result.map((s) => s.id), [SCRIPT]);
  const content1 = await api(info, auth, 'GET', `${scripts}/${SCRIPT}`);
  assert.match(content1.text, /"v1"/, 'the sandbox serves the first upload');
  assert.equal((await api(info, auth, 'GET', `${scripts}/${SCRIPT}/versions/${v1}`)).json.result.id, v1);
  console.log('ok - deploy');

  writeWorker(project, 'v2');
  const second = wrangler(['deploy']);
  const v2 = versionIdIn(second);
  assert.ok(v2 && v2 !== v1, `redeploy prints a new version id:\n${second}`);
  assert.match((await api(info, auth, 'GET', `${scripts}/${SCRIPT}`)).text, /"v2"/, 'the redeploy is what is deployed');
  const versions = await api(info, auth, 'GET', `${scripts}/${SCRIPT}/versions?deployable=true`);
  assert.deepEqual(versions.json.result.items.map((v) => v.id), [v2, v1], 'newest version first');
  console.log('ok - redeploy');

  const versionList = wrangler(['versions', 'list']);
  for (const id of [v1, v2]) assert.ok(versionList.includes(id), `versions list shows ${id}:\n${versionList}`);
  console.log('ok - versions list');

  const deploymentList = wrangler(['deployments', 'list']);
  assert.ok(deploymentList.includes(`(100%) ${v1}`) && deploymentList.includes(`(100%) ${v2}`),
    `deployments list shows both deployments at 100%:\n${deploymentList}`);
  console.log('ok - deployments list');

  const put = wrangler(['secret', 'put', 'API_KEY'], SECRET_VALUE);
  assert.match(put, /Uploaded secret API_KEY/);
  assert.deepEqual((await api(info, auth, 'GET', `${scripts}/${SCRIPT}/secrets`)).json.result,
    [{ name: 'API_KEY', type: 'secret_text' }]);
  const settings = await api(info, auth, 'GET', `${scripts}/${SCRIPT}/settings`);
  assert.deepEqual(settings.json.result.bindings, [{ type: 'secret_text', name: 'API_KEY' }],
    'the secret is a secret_text binding of the deployed version, without its value');
  const afterPut = await api(info, auth, 'GET', `${scripts}/${SCRIPT}/versions`);
  const v3 = afterPut.json.result.items[0];
  assert.equal(afterPut.json.result.items.length, 3, 'a secret change is a new version');
  assert.equal(v3.annotations['workers/triggered_by'], 'secret');
  assert.match((await api(info, auth, 'GET', `${scripts}/${SCRIPT}`)).text, /"v2"/, 'the code stays as deployed');
  console.log('ok - secret put');

  const secretList = JSON.parse(wrangler(['secret', 'list']).match(/^\[$[\s\S]*?^\]$/m)[0]);
  assert.deepEqual(secretList, [{ name: 'API_KEY', type: 'secret_text' }]);
  console.log('ok - secret list');


  const del = wrangler(['secret', 'delete', 'API_KEY']);
  assert.match(del, /Deleted secret API_KEY/);
  assert.deepEqual((await api(info, auth, 'GET', `${scripts}/${SCRIPT}/secrets`)).json.result, []);
  assert.deepEqual((await api(info, auth, 'GET', `${scripts}/${SCRIPT}/settings`)).json.result.bindings, []);
  console.log('ok - secret delete');

  // secret bulk goes through PATCH …/settings (multipart), inheriting the other bindings.
  writeFileSync(join(project, 'secrets.json'), JSON.stringify({ BULK_A: `${SECRET_VALUE}-a`, BULK_B: `${SECRET_VALUE}-b` }));
  assert.match(wrangler(['secret', 'bulk', 'secrets.json']), /2 secrets successfully uploaded/);
  assert.deepEqual((await api(info, auth, 'GET', `${scripts}/${SCRIPT}/secrets`)).json.result.map((x) => x.name).sort(),
    ['BULK_A', 'BULK_B']);
  assert.match((await api(info, auth, 'GET', `${scripts}/${SCRIPT}`)).text, /"v2"/, 'the code stays as deployed');
  console.log('ok - secret bulk');

  const removed = wrangler(['delete']);
  assert.match(removed, /Successfully deleted/);
  assert.deepEqual((await api(info, auth, 'GET', scripts)).json.result, []);
  const service = await api(info, auth, 'GET', `/accounts/${info.account_id}/workers/services/${SCRIPT}`);
  assert.equal(service.status, 404);
  console.log('ok - delete');

  await bucketRules(info, auth, wrangler, project);
}

// R2 bucket CORS and lifecycle rules through wrangler's r2 commands.
async function bucketRules(info, auth, wrangler, project) {
  const bucket = `/accounts/${info.account_id}/r2/buckets/site-assets`;
  wrangler(['r2', 'bucket', 'create', 'site-assets']);
  assert.match(wrangler(['r2', 'bucket', 'cors', 'list', 'site-assets']), /There is no CORS configuration/);
  const rule = { allowed: { origins: ['https://shop.example.com'], methods: ['GET', 'HEAD'] }, maxAgeSeconds: 600 };
  writeFileSync(join(project, 'cors.json'), JSON.stringify({ rules: [rule] }));
  assert.match(wrangler(['r2', 'bucket', 'cors', 'set', 'site-assets', '--file', 'cors.json']), /Set CORS configuration/);
  assert.deepEqual((await api(info, auth, 'GET', `${bucket}/cors`)).json.result.rules, [rule]);
  assert.match(wrangler(['r2', 'bucket', 'cors', 'list', 'site-assets']), /allowed_origins:\s+https:\/\/shop\.example\.com/);
  console.log('ok - r2 bucket cors set/list');

  const defaults = wrangler(['r2', 'bucket', 'lifecycle', 'list', 'site-assets']);
  assert.match(defaults, /Default Multipart Abort Rule/);
  wrangler(['r2', 'bucket', 'lifecycle', 'add', 'site-assets', 'expire-logs', 'logs/', '--expire-days', '30']);
  const rules = (await api(info, auth, 'GET', `${bucket}/lifecycle`)).json.result.rules;
  const added = rules.find((r) => r.id === 'expire-logs');
  assert.ok(added, `the new rule is stored: ${JSON.stringify(rules)}`);
  assert.equal(added.enabled, true);
  assert.equal(added.conditions.prefix, 'logs/');
  assert.deepEqual(added.deleteObjectsTransition.condition, { type: 'Age', maxAge: 30 * 86400 });
  assert.match(wrangler(['r2', 'bucket', 'lifecycle', 'list', 'site-assets']), /Expire objects after 30 days/);
  wrangler(['r2', 'bucket', 'delete', 'site-assets']);
  assert.equal((await api(info, auth, 'GET', bucket)).status, 404);
  console.log('ok - r2 bucket lifecycle add/list');
}

const wranglerDir = installPackage(cacheDir, 'wrangler', version, 'wrangler_lifecycle');
const work = mkdtempSync(join(tmpdir(), 'pw-wrangler-'));
const { child, info } = await startSandbox(hostBinary);
let failed = false;
try {
  await lifecycle(info, join(wranglerDir, 'bin', 'wrangler.js'), work);
  console.log('wrangler_lifecycle: all checks passed');
} catch (err) {
  failed = true;
  console.error('wrangler_lifecycle: FAILED:', err?.stack ?? err);
} finally {
  await stopSandbox(child);
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
