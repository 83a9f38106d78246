import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
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

/** `--if-stale`: builds the browser client only when client/dist is missing or older than its sources. */
function main() {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const index = path.join(root, 'client/dist/index.html');
  const config = path.join(root, 'client/vite.config.ts');
  if (!fs.existsSync(config)) return;
  if (process.argv.includes('--if-stale') && fs.existsSync(index)) {
    const built = fs.statSync(index).mtimeMs;
    if (built >= newest(path.join(root, 'client')) && built >= newest(path.join(root, 'models'))) return;
  }
  console.log('Building the browser client...');
  const r = spawnSync('npx', ['vite', 'build', '--config', config, '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    if (fs.existsSync(index)) console.warn('The client build failed; serving the previous build.');
    else console.warn('The client build failed; the API runs without the browser client.');
  }
}
main();
