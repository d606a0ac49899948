/**
 * The two ClickHouse engines behind one interface, chosen by configuration: chDB in-process (embedded
 * mode) and a ClickHouse server or cluster over HTTP (@clickhouse/client). Inserts take a Native block
 * as bytes so neither path parses or re-encodes rows in JavaScript.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Session } from 'chdb';
import { createClient, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client';

export type Settings = Record<string, string | number>;

export interface ClickHouseEngine {
  /** Runs a statement without a result (DDL, OPTIMIZE, ...). */
  exec(sql: string, params?: Record<string, unknown>): Promise<void>;
  /** Rows of a SELECT as objects (JSONEachRow: 64-bit integers may come as numbers or strings). */
  query<T = Record<string, unknown>>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  /** Inserts a block in Native format. */
  insertNative(table: string, block: Uint8Array, settings?: Settings): Promise<void>;
  close(): Promise<void>;
}

const settingsClause = (s: Settings | undefined): string =>
  s && Object.keys(s).length
    ? ` SETTINGS ${Object.entries(s)
        .map(([k, v]) => `${identifier(k)} = ${typeof v === 'number' ? v : `'${String(v).replace(/[\\']/g, '\\$&')}'`}`)
        .join(', ')}`
    : '';

function identifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) throw new Error(`invalid identifier ${name}`);
  return name;
}

function parseRows<T>(text: string): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) if (line) out.push(JSON.parse(line) as T);
  return out;
}

/** chDB: the ClickHouse engine in this process, data under `path`. */
export class ChdbEngine implements ClickHouseEngine {
  readonly session: Session;
  private readonly spool: string;

  constructor(path: string) {
    this.session = new Session(path);
    // Native blocks reach the engine through a file in memory: chDB's public buffer insert accepts text
    // formats only (its internal raw-insert entry point truncates large binary payloads).
    this.spool = join(process.platform === 'linux' ? '/dev/shm' : tmpdir(), `hes-chdb-${process.pid}-${randomUUID().slice(0, 8)}`);
    mkdirSync(this.spool, { recursive: true });
  }

  async exec(sql: string, params?: Record<string, unknown>): Promise<void> {
    if (params) await this.session.queryBindAsync(sql, params);
    else await this.session.queryAsync(sql);
  }

  async query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]> {
    const opts = { format: 'JSONEachRow' };
    const r = params ? await this.session.queryBindAsync(sql, params, opts) : await this.session.queryAsync(sql, opts);
    return parseRows<T>(r.text());
  }

  async insertNative(table: string, block: Uint8Array, settings?: Settings): Promise<void> {
    const file = join(this.spool, `${randomUUID()}.native`);
    // Asynchronous: a block is megabytes, and a synchronous write would stall the event loop
    // (bus reads, other partitions' inserts) for milliseconds.
    await writeFile(file, block);
    try {
      await this.session.queryAsync(`INSERT INTO ${identifier(table)} FROM INFILE '${file}'${settingsClause(settings)} FORMAT Native`);
    } finally {
      await rm(file, { force: true });
    }
  }

  async close(): Promise<void> {
    this.session.close();
    rmSync(this.spool, { recursive: true, force: true });
  }
}

/** A ClickHouse server or cluster through its HTTP interface. */
export class ServerEngine implements ClickHouseEngine {
  readonly client: ClickHouseClient;

  constructor(config: ClickHouseClientConfigOptions) {
    this.client = createClient(config);
  }

  async exec(sql: string, params?: Record<string, unknown>): Promise<void> {
    await this.client.command({ query: sql, ...(params ? { query_params: params } : {}) });
  }

  async query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]> {
    const rs = await this.client.query({ query: sql, format: 'JSONEachRow', ...(params ? { query_params: params } : {}) });
    return rs.json<T>();
  }

  async insertNative(table: string, block: Uint8Array, settings?: Settings): Promise<void> {
    const r = await this.client.exec({
      query: `INSERT INTO ${identifier(table)} FORMAT Native`,
      values: Readable.from([Buffer.from(block.buffer, block.byteOffset, block.byteLength)]),
      ...(settings ? { clickhouse_settings: settings } : {}),
    });
    r.stream.resume();
    await new Promise((resolve, reject) => r.stream.on('end', resolve).on('error', reject));
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
