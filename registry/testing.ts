/**
 * Test support: every database test runs on both engines. PostgreSQL tests use a freshly created,
 * uniquely named database on the server of BRIEF §3 and drop it afterwards; an unreachable server fails
 * the test (never skips). Override the server with HES_TEST_PG_URL.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDb, type Db } from './db.js';
import { migrate } from './migrate.js';
import { seed } from './seed.js';

export const ENGINES = ['pglite', 'postgres'] as const;
export type Engine = (typeof ENGINES)[number];

const serverUrl = process.env.HES_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDb {
  db: Db;
  /** The database URL (PostgreSQL only), for code that opens its own connections. */
  url?: string;
  drop(): Promise<void>;
}

export async function openTestDb(engine: Engine, opts: { seed?: boolean } = {}): Promise<TestDb> {
  let t: TestDb;
  if (engine === 'pglite') {
    const db = await openDb({});
    t = { db, drop: () => db.close() };
  } else {
    const name = `hes_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = '/' + name;
    const db = await openDb({ databaseUrl: url.toString() });
    t = {
      db,
      url: url.toString(),
      async drop() {
        await db.close();
        const c = new pg.Client({ connectionString: serverUrl });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  await migrate(t.db);
  if (opts.seed !== false) await seed(t.db, { defaultAccounts: true });
  return t;
}
