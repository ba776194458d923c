// Drives the sandbox's S3 door with the official AWS SDK for JavaScript v3
// (npm `@aws-sdk/client-s3`), with credentials derived from an API token the
// test creates through the REST API. Exit 0 only when every check passed;
// npm or registry trouble is a failure.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import assert from 'node:assert/strict';

const cacheDir = process.env.PW_S3_CACHE;
const version = process.env.PW_S3_SDK_VERSION;
const hostBinary = process.env.PW_S3_HOST;
if (!cacheDir || !version || !hostBinary) {
  console.error('s3_compat: PW_S3_CACHE, PW_S3_SDK_VERSION and PW_S3_HOST must be set (run through ctest)');
  process.exit(2);
}
const packages = ['@aws-sdk/client-s3', '@aws-sdk/s3-request-presigner'];

function installSdk() {
  const installed = packages.every((p) => {
    const manifest = join(cacheDir, 'node_modules', ...p.split('/'), 'package.json');
    return existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).version === version;
  });
  if (installed) return;
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(join(cacheDir, 'package.json'), '{"private": true}\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--no-save', ...packages.map((p) => `${p}@${version}`)],
    { cwd: cacheDir, encoding: 'utf8', timeout: 300_000 });
  if (run.error || run.status !== 0) {
    console.error(`s3_compat: FAILED: npm could not install ${packages.join(', ')} ${version} into ${cacheDir}` +
      ' (is npm installed and the npm registry reachable?)');
    console.error(run.error ? String(run.error) : run.stderr);
    process.exit(1);
  }
}

function startSandbox() {
  return new Promise((resolve, reject) => {
    const child = spawn(hostBinary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`sandbox host exited early (${code})`)));
    createInterface({ input: child.stdout }).once('line', (line) => resolve({ child, info: JSON.parse(line) }));
  });
}

const R2_WRITE = 'bf7481a1826f439697cb59a20b22293e';
const R2_READ = 'b4992e1108244f5d8bfbd5744320c2e1';
const ZONE_READ = 'c8fed203ed3043cba015a93ad1616f1f';
const md5hex = (b) => createHash('md5').update(b).digest('hex');
const sha256hex = (b) => createHash('sha256').update(b).digest('hex');

async function rest(info, method, path, { token, body, headers = {} } = {}) {
  const auth = token ? { authorization: `Bearer ${token}` }
    : { 'x-auth-email': info.email, 'x-auth-key': info.global_key };
  const res = await fetch(`${info.base_url}${path}`, { method, body, headers: { ...auth, ...headers } });
  return res;
}

async function restJson(info, method, path, options = {}) {
  const res = await rest(info, method, path, { ...options,
    body: options.json ? JSON.stringify(options.json) : options.body,
    headers: options.json ? { 'content-type': 'application/json' } : {} });
  const json = await res.json();
  assert.ok(json.success, `${method} ${path}: ${JSON.stringify(json.errors)}`);
  return json.result;
}

async function createToken(info, name, groups) {
  return restJson(info, 'POST', '/user/tokens', { json: { name, policies: [{
    effect: 'allow', resources: { [`com.cloudflare.api.account.${info.account_id}`]: '*' },
    permission_groups: groups.map((id) => ({ id })) }] } });
}

// S3 errors the SDK throws carry the XML <Code> as `name` and the status.
function s3Error(code, status) {
  return (err) => {
    assert.equal(err.name, code, `expected ${code}, got ${err.name}: ${err.message}`);
    assert.equal(err.$metadata?.httpStatusCode, status);
    return true;
  };
}

async function checks(sdk, presigner, info) {
  const {
    S3Client, PutObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, DeleteObjectsCommand,
    DeleteObjectCommand, CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand,
    AbortMultipartUploadCommand, ListPartsCommand, ListBucketsCommand, HeadBucketCommand,
  } = sdk;
  const bucket = 's3-compat-site';
  await restJson(info, 'POST', `/accounts/${info.account_id}/r2/buckets`, { json: { name: bucket } });

  const writer = await createToken(info, 's3-writer', [R2_WRITE]);
  const reader = await createToken(info, 's3-reader', [R2_READ]);
  const noR2 = await createToken(info, 'zones-only', [ZONE_READ]);
  const client = (token, secret = sha256hex(token.value), extra = {}) => new S3Client({
    region: 'auto', endpoint: info.r2_s3_endpoint, forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: token.id, secretAccessKey: secret }, ...extra });
  const s3 = client(writer);
  console.log('ok - tokens created; S3 credentials derived (id, sha256 of value)');

  const buckets = await s3.send(new ListBucketsCommand({}));
  assert.ok(buckets.Buckets.some((b) => b.Name === bucket), 'ListBuckets shows the bucket made through REST');
  await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  console.log('ok - ListBuckets, HeadBucket');

  const html = '<!doctype html><title>hello & welcome</title>';
  const put = await s3.send(new PutObjectCommand({
    Bucket: bucket, Key: 'site/index.html', Body: html, ContentType: 'text/html', Metadata: { build: '42' } }));
  assert.equal(put.ETag, `"${md5hex(html)}"`, 'single-part ETag is the quoted MD5');
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'site/index.html' }));
  assert.equal(await got.Body.transformToString(), html);
  assert.equal(got.ContentType, 'text/html');
  assert.equal(got.ETag, put.ETag);
  assert.equal(got.Metadata.build, '42');
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'site/index.html' }));
  assert.equal(head.ContentLength, Buffer.byteLength(html));
  assert.equal(head.ETag, put.ETag);
  const ranged = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'site/index.html', Range: 'bytes=0-8' }));
  assert.equal(await ranged.Body.transformToString(), html.slice(0, 9));
  assert.equal(ranged.ContentRange, `bytes 0-8/${Buffer.byteLength(html)}`);
  const override = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'site/index.html',
    ResponseContentType: 'text/plain', ResponseContentDisposition: 'attachment; filename="i.html"' }));
  assert.equal(override.ContentType, 'text/plain');
  assert.equal(override.ContentDisposition, 'attachment; filename="i.html"');
  console.log('ok - PutObject, GetObject (whole, ranged, response overrides), HeadObject');

  // Keys are encoded by the SDK and decoded by the sandbox exactly once.
  const oddKey = "docs/crème brûlée (1) +50%!'*~.html";
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: oddKey, Body: 'odd' }));
  const odd = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'docs/' }));
  assert.deepEqual(odd.Contents.map((c) => c.Key), [oddKey]);
  assert.equal(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: oddKey }))).Body.transformToString(), 'odd');
  await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: oddKey }] } }));
  console.log('ok - a key with spaces, accents and reserved characters round-trips');

  // The SDK's CRC32 is checked: a wrong one is refused and nothing is stored.
  await assert.rejects(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'site/bad-checksum.txt', Body: 'data',
    ChecksumCRC32: 'AAAAAA==' })), s3Error('BadDigest', 400));
  await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'site/bad-checksum.txt' })),
    (err) => err.$metadata?.httpStatusCode === 404);
  console.log('ok - a wrong x-amz-checksum-crc32 is BadDigest');

  // A stream body: the SDK sends it aws-chunked with a checksum trailer.
  const streamed = randomBytes(300 * 1024);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'site/streamed.bin', ContentLength: streamed.length,
    Body: Readable.from([streamed.subarray(0, 100_000), streamed.subarray(100_000)]) }));
  const streamedBack = Buffer.from(await (await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: 'site/streamed.bin' }))).Body.transformToByteArray());
  assert.ok(streamedBack.equals(streamed), 'a streamed (aws-chunked) body is stored decoded');
  console.log('ok - streamed PutObject (aws-chunked) stored byte for byte');

  for (const key of ['site/a.css', 'site/img/1.png', 'site/img/2.png', 'site/js/app.js', 'other.txt'])
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body of ${key}` }));
  const keys = [];
  const prefixes = [];
  let pages = 0;
  let token;
  do {
    const page = await s3.send(new ListObjectsV2Command({
      Bucket: bucket, Prefix: 'site/', Delimiter: '/', MaxKeys: 2, ContinuationToken: token }));
    pages += 1;
    keys.push(...(page.Contents ?? []).map((c) => c.Key));
    prefixes.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix));
    assert.equal(page.KeyCount, (page.Contents ?? []).length + (page.CommonPrefixes ?? []).length);
    assert.ok(page.KeyCount <= 2);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    assert.ok(pages < 20, 'listing terminates');
  } while (token);
  assert.deepEqual(keys, ['site/a.css', 'site/index.html', 'site/streamed.bin']);
  assert.deepEqual(prefixes, ['site/img/', 'site/js/']);
  assert.equal(pages, 3, '5 entries at MaxKeys 2 take 3 pages');
  const after = await s3.send(new ListObjectsV2Command({ Bucket: bucket, StartAfter: 'site/img/2.png' }));
  assert.deepEqual(after.Contents.map((c) => c.Key), ['site/index.html', 'site/js/app.js', 'site/streamed.bin']);
  assert.equal(after.Contents[0].ETag, put.ETag);
  console.log(`ok - ListObjectsV2 with prefix, delimiter and continuation over ${pages} pages; StartAfter`);

  const deleted = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: {
    Objects: [{ Key: 'other.txt' }, { Key: 'site/a.css' }, { Key: 'never-existed' }] } }));
  assert.deepEqual(deleted.Deleted.map((d) => d.Key).sort(), ['never-existed', 'other.txt', 'site/a.css']);
  assert.equal(deleted.Errors, undefined);
  const quiet = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: {
    Quiet: true, Objects: [{ Key: 'site/js/app.js' }] } }));
  assert.equal(quiet.Deleted, undefined, 'Quiet lists no deletions');
  const left = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  assert.deepEqual(left.Contents.map((c) => c.Key),
    ['site/img/1.png', 'site/img/2.png', 'site/index.html', 'site/streamed.bin']);
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'site/img/2.png' }));
  await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'site/img/2.png' })),
    (err) => err.$metadata?.httpStatusCode === 404);
  console.log('ok - DeleteObjects (verbose and quiet), DeleteObject');

  // Multipart: two 5 MiB parts and a small last one.
  const MiB = 1024 * 1024;
  const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(123_456)];
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({
    Bucket: bucket, Key: 'big/archive.bin', ContentType: 'application/x-archive' }));
  const etags = [];
  for (const [i, part] of parts.entries()) {
    const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'big/archive.bin', UploadId,
      PartNumber: i + 1, Body: part }));
    assert.equal(r.ETag, `"${md5hex(part)}"`);
    etags.push(r.ETag);
  }
  const listedParts = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'big/archive.bin', UploadId }));
  assert.deepEqual(listedParts.Parts.map((p) => [p.PartNumber, p.Size]), parts.map((p, i) => [i + 1, p.length]));
  const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'big/archive.bin', UploadId,
    MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
  const partMd5s = Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()));
  const multipartEtag = `"${md5hex(partMd5s)}-3"`;
  assert.equal(done.ETag, multipartEtag, 'multipart ETag is the MD5 of the part MD5s, dash, part count');
  const whole = Buffer.concat(parts);
  const bigHead = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big/archive.bin' }));
  assert.equal(bigHead.ContentLength, whole.length);
  assert.equal(bigHead.ETag, multipartEtag);
  assert.equal(bigHead.ContentType, 'application/x-archive');
  const bigBack = Buffer.from(await (await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: 'big/archive.bin' }))).Body.transformToByteArray());
  assert.equal(sha256hex(bigBack), sha256hex(whole), 'the joined parts read back byte for byte');
  await assert.rejects(s3.send(new ListPartsCommand({ Bucket: bucket, Key: 'big/archive.bin', UploadId })),
    s3Error('NoSuchUpload', 404));
  console.log(`ok - multipart upload of ${whole.length} bytes in 3 parts, ETag ${multipartEtag}`);

  const small = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'big/too-small.bin' }));
  const smallEtags = [];
  for (const n of [1, 2])
    smallEtags.push((await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'big/too-small.bin',
      UploadId: small.UploadId, PartNumber: n, Body: `part ${n}` }))).ETag);
  await assert.rejects(s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'big/too-small.bin',
    UploadId: small.UploadId, MultipartUpload: { Parts: smallEtags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } })),
  s3Error('EntityTooSmall', 400));
  await assert.rejects(s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'big/too-small.bin',
    UploadId: small.UploadId, MultipartUpload: { Parts: [{ ETag: '"00000000000000000000000000000000"', PartNumber: 1 }] } })),
  s3Error('InvalidPart', 400));
  await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'big/too-small.bin', UploadId: small.UploadId }));
  await assert.rejects(s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'big/too-small.bin',
    UploadId: small.UploadId, PartNumber: 3, Body: 'late' })), s3Error('NoSuchUpload', 404));
  console.log('ok - EntityTooSmall, InvalidPart, AbortMultipartUpload');

  // Cross-door: S3 writes are REST reads and the reverse.
  const viaRest = await rest(info, 'GET', `/accounts/${info.account_id}/r2/buckets/${bucket}/objects/site/index.html`);
  assert.equal(viaRest.status, 200);
  assert.equal(await viaRest.text(), html);
  const restList = await restJson(info, 'GET', `/accounts/${info.account_id}/r2/buckets/${bucket}/objects?prefix=big/`);
  assert.deepEqual(restList.map((o) => [o.key, o.size]), [['big/archive.bin', whole.length]]);
  const restBody = 'written through the REST API';
  const restPut = await rest(info, 'PUT', `/accounts/${info.account_id}/r2/buckets/${bucket}/objects/from-rest.txt`,
    { body: restBody, headers: { 'content-type': 'text/plain' } });
  assert.equal(restPut.status, 200);
  const fromRest = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'from-rest.txt' }));
  assert.equal(await fromRest.Body.transformToString(), restBody);
  assert.equal(fromRest.ETag, `"${md5hex(restBody)}"`);
  assert.equal(fromRest.ContentType, 'text/plain');
  const rootList = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: '/' }));
  assert.ok(rootList.Contents.some((c) => c.Key === 'from-rest.txt'), 'a REST upload is listed through S3');
  console.log('ok - what S3 writes the REST API reads, and the reverse');

  // Reads with a read-only token; writes refused.
  const ro = client(reader);
  assert.equal(await (await ro.send(new GetObjectCommand({ Bucket: bucket, Key: 'from-rest.txt' }))).Body.transformToString(), restBody);
  await assert.rejects(ro.send(new PutObjectCommand({ Bucket: bucket, Key: 'x', Body: 'x' })), s3Error('AccessDenied', 403));
  console.log('ok - Workers R2 Storage Read reads, cannot write (AccessDenied)');

  // Refusals.
  await assert.rejects(client(writer, sha256hex('not the token value')).send(
    new GetObjectCommand({ Bucket: bucket, Key: 'site/index.html' })), s3Error('SignatureDoesNotMatch', 403));
  await assert.rejects(client({ id: 'f'.repeat(32), value: writer.value }).send(
    new ListObjectsV2Command({ Bucket: bucket })), s3Error('InvalidAccessKeyId', 403));
  await assert.rejects(client(noR2).send(new ListObjectsV2Command({ Bucket: bucket })), s3Error('AccessDenied', 403));
  await assert.rejects(client(noR2).send(new ListBucketsCommand({})), s3Error('AccessDenied', 403));
  await assert.rejects(client(writer, undefined, { systemClockOffset: -20 * 60 * 1000 }).send(
    new HeadBucketCommand({ Bucket: bucket })), (err) => err.$metadata?.httpStatusCode === 403);
  await assert.rejects(client(writer, undefined, { systemClockOffset: -20 * 60 * 1000 }).send(
    new ListObjectsV2Command({ Bucket: bucket })), s3Error('RequestTimeTooSkewed', 403));
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'no/such/key' })), s3Error('NoSuchKey', 404));
  await assert.rejects(s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })), s3Error('NoSuchBucket', 404));
  await assert.rejects(s3.send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'k', Body: 'x' })),
    s3Error('NoSuchBucket', 404));
  console.log('ok - SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied, RequestTimeTooSkewed, NoSuchKey, NoSuchBucket');

  // Presigned URLs (query authentication).
  const url = await presigner.getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: 'site/index.html' }), { expiresIn: 60 });
  const presigned = await fetch(url);
  assert.equal(presigned.status, 200);
  assert.equal(await presigned.text(), html);
  const tampered = await fetch(url.replace('site/index.html', 'from-rest.txt'));
  assert.equal(tampered.status, 403);
  assert.match(await tampered.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
  console.log('ok - presigned GetObject; a changed presigned URL is refused');

  // S3 requests do not spend the REST budget: the token's REST window moves by
  // the REST calls only.
  const remaining = async () => {
    const r = await rest(info, 'GET', '/user/tokens/verify', { token: writer.value });
    return Number(/;r=(\d+)/.exec(r.headers.get('ratelimit'))[1]);
  };
  const before = await remaining();
  for (let i = 0; i < 25; i += 1) await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'site/index.html' }));
  const afterS3 = await remaining();
  assert.equal(afterS3, before - 1, 'only the REST verify call was counted');
  console.log(`ok - 25 S3 requests left the REST budget untouched (${before} -> ${afterS3})`);
}

installSdk();
const require = createRequire(join(cacheDir, 'package.json'));
const sdk = require('@aws-sdk/client-s3');
const presigner = require('@aws-sdk/s3-request-presigner');
const { child, info } = await startSandbox();
child.removeAllListeners('exit');
try {
  await checks(sdk, presigner, info);
  console.log('s3_compat: all checks passed');
} catch (err) {
  console.error('s3_compat: FAILED:', err);
  process.exitCode = 1;
} finally {
  child.stdin.end();
}
