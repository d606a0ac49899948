/**
 * The registry's only door to SQL: one tiny interface implemented over PGlite (embedded, WASM) and over
 * node-postgres (server). Every repository is written against `Db`, so both engines run the same SQL.
 */
import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { querySpan } from '../telemetry/index.js';

export type Row = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `text` is a UUID: ids from outside are checked before PostgreSQL casts (and refuses) them. */
export const isUuid = (text: string): boolean => UUID.test(text);

export interface Db {
  readonly engine: 'pglite' | 'postgres';
  /** One statement with $n parameters. */
  query<T = Row>(sql: string, params?: readonly unknown[]): Promise<{ rows: T[]; rowCount: number }>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` in a transaction; a throw rolls back. Nested calls reuse the outer transaction. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The WHERE conditions of a filtered list with numbered parameters: `add('x = ?', v)` appends `x = $n`. */
export class Conditions {
  readonly #parts: string[] = [];
  readonly params: unknown[] = [];

  constructor(fixed: Record<string, unknown>) {
    for (const [sql, v] of Object.entries(fixed)) this.add(sql, v);
  }

  add(sql: string, value: unknown): void {
    this.params.push(value);
    this.#parts.push(sql.replace('?', `$${this.params.length}`));
  }

  get sql(): string {
    return this.#parts.join(' AND ');
  }
}

/** LIMIT and OFFSET bound as parameters (appended to `params`), never pasted into the SQL text. */
export function pageSql(params: unknown[], limit: number, offset: number): string {
  params.push(limit, offset);
  return `LIMIT $${params.length - 1} OFFSET $${params.length}`;
}

/** int8 and numeric as JS numbers on both engines (PGlite already does; pg returns strings). */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export async function openDb(opts: { databaseUrl?: string; pgliteDir?: string }): Promise<Db> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl);
  if (opts.pgliteDir) mkdirSync(opts.pgliteDir, { recursive: true, mode: 0o700 });
  const lite = opts.pgliteDir ? new PGlite(opts.pgliteDir) : new PGlite();
  await lite.waitReady;
  if (opts.pgliteDir) closeToOthers(opts.pgliteDir);
  return wrapPglite(lite);
}

/**
 * PGlite sets the modes of the database files it creates from its bundled data folder (0644), whatever
 * the umask: the registry is made readable by its owner only, as PostgreSQL keeps its own (0600/0700).
 */
function closeToOthers(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    chmodSync(path, entry.isDirectory() ? 0o700 : statSync(path).mode & 0o700);
  }
  chmodSync(dir, 0o700);
}

type LiteLike = Pick<PGlite, 'query' | 'exec'>;

function wrapPglite(lite: PGlite): Db {
  const over = (conn: LiteLike, inTx: boolean): Db => ({
    engine: 'pglite',
    async query<T>(sql: string, params: readonly unknown[] = []) {
      const r = await querySpan('pglite', sql, () => conn.query<T>(sql, params as unknown[]));
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(sql: string) {
      await conn.exec(sql);
    },
    transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      if (inTx) return fn(this);
      return lite.transaction((tx) => fn(over(tx, true)));
    },
    async close() {
      if (!inTx) await lite.close();
    },
  });
  return over(lite, false);
}

async function openPostgres(url: string): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, types: pgTypes, max: 10 });
  // An idle client whose connection the server ends (restart, database dropped) emits 'error' on the
  // pool; unhandled, that would kill the process. The pool drops that client and opens a new one.
  pool.on('error', (e) => process.emitWarning(`PostgreSQL idle client closed: ${e.message}`));
  // Fail loudly and early when the server is unreachable.
  (await pool.connect()).release();
  const overClient = (client: pg.PoolClient): Db => ({
    engine: 'postgres',
    async query<T>(sql: string, params: readonly unknown[] = []) {
      const r = await querySpan('postgresql', sql, () => client.query(sql, params as unknown[]));
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
    transaction<T>(fn: (tx: Db) => Promise<T>) {
      return fn(this);
    },
    async close() {},
  });
  return {
    engine: 'postgres',
    async query<T>(sql: string, params: readonly unknown[] = []) {
      const r = await querySpan('postgresql', sql, () => pool.query(sql, params as unknown[]));
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    async transaction<T>(fn: (tx: Db) => Promise<T>) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(overClient(client));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
