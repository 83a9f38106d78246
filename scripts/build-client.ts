import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Newest modification time of the files under `dir` (skipping build output). */
function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'dist' || e.name === 'node_modules') continue;
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/** vite's command-line entry, or null when vite is not installed (a production install: `npm ci --omit=dev`). */
function viteBin(root: string): string | null {
  try {
    const pkgPath = createRequire(path.join(root, 'package.json')).resolve('vite/package.json');
    const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8')) as { bin?: string | Record<string, string> };
    const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.vite;
    return bin ? path.join(path.dirname(pkgPath), bin) : null;
  } catch {
    return null;
  }
}

/**
 * `--if-stale`: builds the browser client only when client/dist is missing or older than its sources.
 * Never fails the start: without vite (a production install) the existing build is served, or the API
 * runs alone; vite is never fetched from the registry.
 */
function main() {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const index = path.join(root, 'client/dist/index.html');
  const config = path.join(root, 'client/vite.config.ts');
  if (!fs.existsSync(config)) return;
  if (process.argv.includes('--if-stale') && fs.existsSync(index)) {
    const built = fs.statSync(index).mtimeMs;
    if (built >= newest(path.join(root, 'client')) && built >= newest(path.join(root, 'models'))) return;
  }
  const vite = viteBin(root);
  if (!vite) {
    if (fs.existsSync(index)) console.log('vite is not installed (production install): serving the existing client build.');
    else console.warn('vite is not installed and client/dist is missing: the API runs without the browser client (build it with `npm run build:client` where dev dependencies are installed).');
    return;
  }
  console.log('Building the browser client...');
  const r = spawnSync(process.execPath, [vite, 'build', '--config', config, '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    if (fs.existsSync(index)) console.warn('The client build failed; serving the previous build.');
    else console.warn('The client build failed; the API runs without the browser client.');
  }
}
main();
