import { loadConfig } from '../server/config';
import { EmbeddedDbError } from '../server/db/ferretdb';
import { disconnectDatabase } from '../server/db/database';
import { loadDemo } from '../server/demo/demo.service';
import { createServices, openDatabase } from '../server/index';
import { createLogger } from '../server/logger';

/** `npm run seed [-- --seed N]`: replaces the configured database's content with the demo scenario. */
async function main() {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const i = process.argv.indexOf('--seed');
  const seed = i > 0 ? Number(process.argv[i + 1]) : config.demoSeed;
  if (!Number.isInteger(seed)) {
    console.error('--seed takes an integer');
    process.exit(2);
  }
  let db;
  try {
    db = await openDatabase(config, log);
  } catch (err) {
    console.error(err instanceof EmbeddedDbError ? `Cannot start the embedded database:\n${err.message}` : `Cannot reach the database: ${(err as Error).message}`);
    process.exit(1);
  }
  try {
    const services = createServices(config);
    await services.open();
    const s = await loadDemo(services, { seed });
    await services.projector.idle();
    console.log(`Loaded the demo scenario (seed ${seed}): ${s.organizations} organizations, ${s.offers} offers, ${s.demands} demands, ${s.proposals} proposals.`);
    console.log(`Demo logins (password: ${s.logins[0].password}):`);
    for (const l of s.logins) console.log(`  ${l.role.padEnd(11)} ${l.email}  (${l.organization})`);
    if (!db.embedded?.owned && !config.mongodbUri) console.log('A running Fuchan service uses this database: restart it to see the new data.');
  } finally {
    await disconnectDatabase();
    await db.embedded?.stop();
  }
}
void main();
