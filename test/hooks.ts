import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { clearDatabase, connectDatabase } from '../server/db/database';
import { startEmbeddedDb, type EmbeddedDb } from '../server/db/ferretdb';
import { settleAll } from './fixtures/registry';

/**
 * The root hook: one real database for the whole run, either MONGODB_URI (a real MongoDB, with a
 * database of its own) or the embedded FerretDB over a fresh temporary folder. Collections are
 * emptied before every test.
 */
export let testDb: { uri: string; embedded: EmbeddedDb | null; dataDir: string | null } = { uri: '', embedded: null, dataDir: null };

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(10 * 60_000);
    if (process.env.MONGODB_URI) {
      const u = new URL(process.env.MONGODB_URI);
      u.pathname = `/fuchan_test_${process.pid}`;
      testDb = { uri: u.toString(), embedded: null, dataDir: null };
    } else {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuchan-test-'));
      const embedded = await startEmbeddedDb({ dataDir, cacheDir: path.resolve('.cache'), log: (m) => console.log(`      [db] ${m}`) });
      testDb = { uri: embedded.uri, embedded, dataDir };
    }
    process.env.FUCHAN_TEST_DB_URI = testDb.uri;
    await connectDatabase(testDb.uri, { timeoutMs: 5000 });
  },
  async beforeEach(this: Mocha.Context) {
    // a demo's projections can take longer than a test's default timeout to land on a loaded machine
    this.timeout(180_000);
    // projections of the previous test's services land before the collections are emptied, not after
    await settleAll();
    if (mongoose.connection.readyState === 1) await clearDatabase();
  },
  async afterAll() {
    if (process.env.MONGODB_URI) await mongoose.connection.db?.dropDatabase().catch(() => undefined);
    await mongoose.disconnect();
    await testDb.embedded?.stop();
    if (testDb.dataDir) fs.rmSync(testDb.dataDir, { recursive: true, force: true });
  },
};
