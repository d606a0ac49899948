/** Opens the registry for a configuration: connect (PGlite or PostgreSQL), migrate, seed. */
import { join } from 'node:path';
import type { HesConfig } from '../config/index.js';
import { masterKeyBytes } from '../config/index.js';
import { openDb, type Db } from './db.js';
import { migrate } from './migrate.js';
import { seed } from './seed.js';
import { SecretBox } from './crypto.js';

export interface Registry {
  db: Db;
  box: SecretBox;
}

export async function openRegistry(cfg: HesConfig, opts: { defaultAccounts?: boolean } = {}): Promise<Registry> {
  const db = await openDb({ databaseUrl: cfg.databaseUrl, pgliteDir: join(cfg.dataDir, 'registry') });
  try {
    await migrate(db);
    await seed(db, opts);
  } catch (e) {
    await db.close();
    throw e;
  }
  return { db, box: new SecretBox(masterKeyBytes(cfg)) };
}
