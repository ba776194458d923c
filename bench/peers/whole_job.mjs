// The whole job of deploying one tenant with the official TypeScript SDK
// (npm `cloudflare`, the version tests/sdk_compat pins).
//
// A benchmark peer (bench/run.sh job), not part of pipewright: what a
// competent user writes with the SDK. Each step is awaited in order; the
// site's files go up 8 at a time; the client's retries are the SDK's
// default. Same work as bench/whole-job.json: verify the token, the eight
// safe permission probes, the R2 bucket, the site-router Worker with its R2
// binding, the fallback origin, the route */*, every file of the site under
// the tenant's prefix through the REST API, the custom hostname and its
// mapping object.
//
//   node whole_job.mjs --sdk DIR --site DIR --tenant T --domain D --worker-module FILE
//                      [--bucket B] [--worker W]
//
// DIR of --sdk is where `cloudflare` is installed (its node_modules/cloudflare).
// Settings come from CLOUDFLARE_API_BASE_URL, CLOUDFLARE_ACCOUNT_ID,
// CLOUDFLARE_ZONE_ID, CLOUDFLARE_ZONE_NAME and CLOUDFLARE_API_TOKEN. Exits
// non-zero on the first failure; never prints the token.
import { createRequire } from 'node:module';
import { readFile, readdir } from 'node:fs/promises';
import { basename, extname, join, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    sdk: { type: 'string' }, site: { type: 'string' }, tenant: { type: 'string' }, domain: { type: 'string' },
    bucket: { type: 'string', default: 'pipewright-sites' }, worker: { type: 'string', default: 'pipewright-site-router' },
    'worker-module': { type: 'string' },
  },
});
for (const required of ['sdk', 'site', 'tenant', 'domain', 'worker-module'])
  if (!args[required]) throw new Error(`--${required} is required`);

const missing = ['CLOUDFLARE_API_BASE_URL', 'CLOUDFLARE_ACCOUNT_ID', 'CLOUDFLARE_ZONE_ID', 'CLOUDFLARE_ZONE_NAME',
  'CLOUDFLARE_API_TOKEN'].filter((name) => !process.env[name]);
if (missing.length) {
  console.error(`typescript: FAILED: set ${missing.join(', ')}`);
  process.exit(1);
}

const CONTENT_TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8', '.json': 'application/json' };
const UPLOADS_AT_ONCE = 8;

const Cloudflare = createRequire(join(args.sdk, 'package.json'))('cloudflare');
const account_id = process.env.CLOUDFLARE_ACCOUNT_ID;
const zone_id = process.env.CLOUDFLARE_ZONE_ID;
const zoneName = process.env.CLOUDFLARE_ZONE_NAME;
const client = new Cloudflare({ baseURL: process.env.CLOUDFLARE_API_BASE_URL, apiToken: process.env.CLOUDFLARE_API_TOKEN });

// A write with an invalid body proves the permission when it is refused
// after the permission check (400/409/422), or accepted.
async function invalidWrite(what, request) {
  try {
    await request();
  } catch (e) {
    if (!(e instanceof Cloudflare.APIError) || ![400, 409, 422].includes(e.status)) throw new Error(`${what}: ${e.message}`);
  }
}

async function* walk(dir) {
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

async function main() {
  const token = await client.user.tokens.verify();
  if (token.status !== 'active') throw new Error(`the token is ${token.status}`);

  await client.accounts.get({ account_id });
  await client.workers.scripts.list({ account_id });
  await client.zones.get({ zone_id });
  await client.customHostnames.list({ zone_id, per_page: 5 });
  await invalidWrite('Workers R2 Storage Write', () => client.r2.buckets.create({ account_id, name: '-' }));
  await invalidWrite('Workers Routes Write', () => client.workers.routes.create({ zone_id }));
  await invalidWrite('SSL and Certificates Write', () => client.customHostnames.create({ zone_id, hostname: '-' }));
  const probe = new FormData();
  probe.append('metadata', new Blob(['{not json'], { type: 'application/json' }), 'metadata');
  await invalidWrite('Workers Scripts Write', () =>
    client.put(`/accounts/${account_id}/workers/scripts/pw-probe-${randomBytes(4).toString('hex')}`, { body: probe }));

  await client.r2.buckets.create({ account_id, name: args.bucket });

  // The upload is multipart built here, sent through the SDK's client:
  // scripts.update encodes the metadata as bracketed form fields, which
  // Cloudflare refuses.
  const moduleName = basename(args['worker-module']);
  const form = new FormData();
  form.append('metadata', new Blob([JSON.stringify({
    main_module: moduleName, compatibility_date: '2026-01-15', compatibility_flags: [],
    bindings: [{ type: 'r2_bucket', name: 'ASSETS', bucket_name: args.bucket }],
  })], { type: 'application/json' }), 'metadata');
  form.append(moduleName, new Blob([await readFile(args['worker-module'])], { type: 'application/javascript+module' }),
    moduleName);
  await client.put(`/accounts/${account_id}/workers/scripts/${args.worker}`, { body: form });

  await client.customHostnames.fallbackOrigin.update({ zone_id, origin: `service.${zoneName}` });
  await client.workers.routes.create({ zone_id, pattern: '*/*', script: args.worker });

  const files = [];
  for await (const path of walk(args.site)) files.push(path);
  let next = 0;
  async function uploader() {
    while (next < files.length) {
      const path = files[next++];
      const key = `${args.tenant}/${relative(args.site, path).split(sep).join('/')}`;
      await client.r2.buckets.objects.upload(key, await readFile(path), { account_id, bucket_name: args.bucket },
        { headers: { 'Content-Type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream' } });
    }
  }
  await Promise.all(Array.from({ length: UPLOADS_AT_ONCE }, uploader));

  await client.customHostnames.create({ zone_id, hostname: args.domain, ssl: { method: 'http', type: 'dv' },
    custom_metadata: { tenant: args.tenant } });
  await client.r2.buckets.objects.upload(`_hostnames/${args.domain}`, JSON.stringify({ tenant: args.tenant }),
    { account_id, bucket_name: args.bucket }, { headers: { 'Content-Type': 'application/json' } });
  console.log(`typescript: deployed ${args.tenant}: ${files.length} files, bucket ${args.bucket}, ` +
    `Worker ${args.worker}, route */*, hostname ${args.domain}`);
}

main().catch((e) => {
  console.error(`typescript: FAILED: ${e.message}`);
  process.exit(1);
});
