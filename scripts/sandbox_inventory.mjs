#!/usr/bin/env node
// Writes sandbox/inventory/endpoints.json: every (method, path) of the real
// Cloudflare API in the families the sandbox emulates, read from the official
// TypeScript SDK's resource files (generated from Cloudflare's OpenAPI schema),
// plus the few endpoints wrangler calls that those files do not cover.
//
//   node scripts/sandbox_inventory.mjs --sdk <dir of node_modules/cloudflare> [--check]
//
// --check compares with the committed file instead of writing it (exit 1 on a
// difference). The sandbox answers 501 for an inventory endpoint it does not
// emulate; see docs/sandbox.md.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// Resource files (without .mjs) or directories of them, under resources/.
const FAMILIES = [
  ['user', ['user/user']],
  ['user tokens', ['user/tokens']],
  ['accounts', ['accounts/accounts']],
  ['account tokens', ['accounts/tokens']],
  ['memberships', ['memberships']],
  ['zones', ['zones/zones']],
  ['r2 buckets', ['r2/buckets']],
  ['workers scripts', ['workers/scripts', 'workers/subdomains']],
  ['workers routes', ['workers/routes']],
  ['custom hostnames', ['custom-hostnames']],
  ['dns records', ['dns/records']],
];

// Real endpoints wrangler sends that the SDK files above do not have.
const WRANGLER = [
  ['workers scripts', 'GET', '/accounts/{account_id:id}/workers/services/{script_name}', 'wrangler deploy'],
  ['workers scripts', 'DELETE', '/accounts/{account_id:id}/workers/services/{script_name}', 'wrangler delete'],
  ['workers scripts', 'GET', '/accounts/{account_id:id}/workers/scripts/{script_name}/references', 'wrangler delete'],
  ['workers scripts', 'GET', '/accounts/{account_id:id}/workers/tails/by-consumer/{script_name}', 'wrangler delete'],
  ['workers scripts', 'GET', '/accounts/{account_id:id}/workers/scripts/{script_name}/routes', 'wrangler triggers'],
  ['workers scripts', 'PUT', '/accounts/{account_id:id}/workers/scripts/{script_name}/routes', 'wrangler deploy'],
  ['workers kv', 'GET', '/accounts/{account_id:id}/storage/kv/namespaces', 'wrangler delete'],
];

// SDK parameter name -> router segment. Cloudflare's 32-hex identifiers are
// {x:id} so a malformed one is answered 7003 like the real API does.
const PARAMS = {
  account_id: '{account_id:id}', zone_id: '{zone_id:id}', tokenID: '{token_id:id}',
  membershipID: '{membership_id:id}', dnsRecordID: '{dns_record_id:id}', routeID: '{route_id:id}',
  bucketName: '{bucket_name}', bucket_name: '{bucket_name}', objectKey: '{object_key*}',
  scriptName: '{script_name}', script_name: '{script_name}', deploymentID: '{deployment_id}',
  versionID: '{version_id}', secretName: '{secret_name}', id: '{tail_id}', queueID: '{queue_id}',
  customHostnameID: '{custom_hostname_id}', custom_hostname_id: '{custom_hostname_id}',
  certificate_pack_id: '{certificate_pack_id}', certificateID: '{certificate_id}', domain: '{domain}',
};

const CALL = /this\._client\.(get|post|put|patch|delete|getAPIList)\((?:path\s*)?([`'"])([^`'"]*)\2([^;]*)/g;

function parseArgs(argv) {
  const args = { check: false };
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === '--sdk') args.sdk = argv[++i];
    else if (argv[i] === '--check') args.check = true;
    else if (argv[i] === '--out') args.out = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!args.sdk) throw new Error('--sdk <path to node_modules/cloudflare> is required');
  return args;
}

function template(sdkPath, file) {
  return sdkPath.replace(/\$\{(\w+)\}/g, (_, name) => {
    if (!PARAMS[name]) throw new Error(`${file}: unknown path parameter ${name}; add it to PARAMS`);
    return PARAMS[name];
  });
}

function scanFile(file, resources, family, out) {
  const source = relative(resources, file).replace(/\.mjs$/, '');
  for (const m of readFileSync(file, 'utf8').matchAll(CALL)) {
    let method = m[1] === 'getAPIList' ? 'GET' : m[1].toUpperCase();
    // A list call may send another method (`{ method: 'post' }` in its options).
    const explicit = /method:\s*'(\w+)'/.exec(m[4].slice(0, 200));
    if (explicit) method = explicit[1].toUpperCase();
    const path = template(m[3], source);
    const key = `${method} ${path}`;
    if (!out.has(key)) out.set(key, { method, path, family, source: `sdk:${source}` });
  }
}

function walk(base, resources, family, out) {
  if (existsSync(`${base}.mjs`)) scanFile(`${base}.mjs`, resources, family, out);
  if (existsSync(base) && statSync(base).isDirectory()) walkDir(base, resources, family, out);
}

function walkDir(dir, resources, family, out) {
  for (const entry of readdirSync(dir).sort()) {
    if (!entry.endsWith('.mjs') || entry === 'index.mjs') continue;
    const child = join(dir, entry.slice(0, -4));
    scanFile(`${child}.mjs`, resources, family, out);
    if (existsSync(child) && statSync(child).isDirectory()) walkDir(child, resources, family, out);
  }
}

function inventory(sdk) {
  const resources = join(sdk, 'resources');
  const version = JSON.parse(readFileSync(join(sdk, 'package.json'), 'utf8')).version;
  const out = new Map();
  for (const [family, roots] of FAMILIES)
    for (const root of roots) {
      const base = join(resources, root);
      if (!existsSync(`${base}.mjs`) && !existsSync(base)) throw new Error(`${base}: not in this SDK`);
      walk(base, resources, family, out);
    }
  for (const [family, method, path, client] of WRANGLER)
    if (!out.has(`${method} ${path}`)) out.set(`${method} ${path}`, { method, path, family, source: client });
  const order = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
  const endpoints = [...out.values()].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : order.indexOf(a.method) - order.indexOf(b.method));
  return { version, endpoints };
}

function render({ version, endpoints }) {
  const lines = endpoints.map((e) => '    ' + JSON.stringify(e));
  return `{\n  "generated_by": "scripts/sandbox_inventory.mjs",\n  "sdk": "cloudflare@${version}",\n` +
    `  "endpoints": [\n${lines.join(',\n')}\n  ]\n}\n`;
}

try {
  const args = parseArgs(process.argv.slice(2));
  const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
  const target = args.out ?? join(repo, 'sandbox', 'inventory', 'endpoints.json');
  const text = render(inventory(args.sdk));
  if (args.check) {
    const committed = existsSync(target) ? readFileSync(target, 'utf8') : '';
    if (committed !== text) {
      console.error(`sandbox_inventory: ${target} differs from what the SDK at ${args.sdk} gives; ` +
        'run node scripts/sandbox_inventory.mjs --sdk <that dir> and commit the result');
      process.exit(1);
    }
    console.log(`sandbox_inventory: ${target} matches the SDK`);
  } else {
    writeFileSync(target, text);
    console.log(`sandbox_inventory: wrote ${target}`);
  }
} catch (err) {
  console.error(`sandbox_inventory: ${err.message}`);
  process.exit(2);
}
