// What the real-client tests share: installing a pinned npm package into the
// build tree and starting the sandbox host. npm or registry trouble is a
// failure that says so.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

// Installs name@version into cacheDir (once); returns cacheDir/node_modules/name.
export function installPackage(cacheDir, name, version, testName) {
  const dir = join(cacheDir, 'node_modules', name);
  const manifest = join(dir, 'package.json');
  if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).version === version) return dir;
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(join(cacheDir, 'package.json'), '{"private": true}\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const run = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--no-save', `${name}@${version}`],
    { cwd: cacheDir, encoding: 'utf8', timeout: 300_000 });
  if (run.error || run.status !== 0) {
    console.error(`${testName}: FAILED: npm could not install ${name}@${version} into ${cacheDir}` +
      ' (is npm installed and the npm registry reachable?)');
    console.error(run.error ? String(run.error) : run.stderr);
    process.exit(1);
  }
  return dir;
}

// Starts the sandbox host (tests/sdk_compat/sandbox_host.cpp); resolves to
// {child, info} once it printed its JSON line. Closing child.stdin stops it.
export function startSandbox(hostBinary, seedFile) {
  return new Promise((resolve, reject) => {
    const child = spawn(hostBinary, seedFile ? [seedFile] : [], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.on('error', reject);
    const early = (code) => reject(new Error(`sandbox host exited early (${code})`));
    child.on('exit', early);
    createInterface({ input: child.stdout }).once('line', (line) => {
      child.removeListener('exit', early);
      resolve({ child, info: JSON.parse(line) });
    });
  });
}

export async function stopSandbox(child) {
  child.stdin.end();
  if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
}
