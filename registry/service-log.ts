/**
 * The service log (table service_logs, read at GET /service-logs and its CSV export): what the roles of a
 * running HES did that operators need to know — start and stop, configuration changes, connector errors,
 * launch failures, bursts of dead letters — with a level, the role (`app`) and the component (`logger`).
 * A write only queues the entry: entries are inserted in batches off the caller's path, so a hot path
 * (a session, a pipeline batch) never waits for the database. Entries older than the retention are pruned
 * periodically. Never put secrets in a message or its details.
 */
import type { Db } from './db.js';

export type ServiceLogLevel = 'info' | 'warning' | 'error';

/** Where the roles write their entries (ServiceLog, or nothing in tests that do not look). */
export interface ServiceLogWriter {
  write(level: ServiceLogLevel, app: string, logger: string, message: string, details?: Record<string, unknown>): void;
}

export interface ServiceLogOptions {
  /** Entries older than this many days are pruned (0 = kept for ever). */
  retentionDays: number;
  /** Queued entries are written this long after the first of them (default 1 s). */
  flushMs?: number;
  /** How often old entries are pruned (default hourly). */
  pruneMs?: number;
  /** Entries queued at most while the database does not answer; older ones are dropped and counted. */
  maxQueued?: number;
  now?: () => number;
  /** A batch that could not be written (the log cannot log its own failure). */
  onError?: (e: unknown) => void;
}

interface Entry { at: string; app: string; level: ServiceLogLevel; logger: string; message: string; details: Record<string, unknown> }

const DAY_MS = 86_400_000;

export class ServiceLog implements ServiceLogWriter {
  readonly #queue: Entry[] = [];
  #dropped = 0;
  #flushTimer: NodeJS.Timeout | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  readonly #o: Required<ServiceLogOptions>;

  constructor(private readonly db: Db, o: ServiceLogOptions) {
    this.#o = {
      retentionDays: o.retentionDays, flushMs: o.flushMs ?? 1000, pruneMs: o.pruneMs ?? 3_600_000, maxQueued: o.maxQueued ?? 10_000,
      now: o.now ?? Date.now, onError: o.onError ?? ((e) => process.stderr.write(`service log: entries not written: ${e instanceof Error ? e.message : String(e)}\n`)),
    };
  }

  write(level: ServiceLogLevel, app: string, logger: string, message: string, details: Record<string, unknown> = {}): void {
    if (this.#queue.length >= this.#o.maxQueued) {
      this.#queue.shift();
      this.#dropped++;
    }
    this.#queue.push({ at: new Date(this.#o.now()).toISOString(), app, level, logger, message, details });
    this.#flushTimer ??= setTimeout(() => void this.flush(), this.#o.flushMs).unref();
  }

  /** Writes what is queued (one INSERT); resolves when it and every earlier batch are written or given up. */
  flush(): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const batch = this.#queue.splice(0);
    if (this.#dropped) {
      batch.push({ at: new Date(this.#o.now()).toISOString(), app: 'hes', level: 'warning', logger: 'service-log', message: `${this.#dropped} service log entries dropped (the registry did not answer)`, details: { dropped: this.#dropped } });
      this.#dropped = 0;
    }
    if (!batch.length) return this.#writing;
    this.#writing = this.#writing.then(() => this.db.query(
      `INSERT INTO service_logs (at, app, level, logger, message, details)
       SELECT at, app, level, logger, message, details FROM jsonb_to_recordset($1::jsonb)
         AS x(at timestamptz, app text, level text, logger text, message text, details jsonb)`,
      [JSON.stringify(batch)],
    )).then(() => undefined, this.#o.onError);
    return this.#writing;
  }

  /** Deletes the entries older than the retention; returns how many. */
  async prune(): Promise<number> {
    if (!this.#o.retentionDays) return 0;
    const r = await this.db.query('DELETE FROM service_logs WHERE at < $1::timestamptz', [new Date(this.#o.now() - this.#o.retentionDays * DAY_MS).toISOString()]);
    return r.rowCount;
  }

  /** Prunes now and then every `pruneMs`. */
  start(): void {
    if (this.#pruneTimer) return;
    const prune = () => void this.prune().catch(this.#o.onError);
    prune();
    this.#pruneTimer = setInterval(prune, this.#o.pruneMs).unref();
  }

  /** Stops pruning and writes what is queued. */
  async close(): Promise<void> {
    clearInterval(this.#pruneTimer);
    this.#pruneTimer = undefined;
    await this.flush();
  }
}

/**
 * Something frequent (dead letters by reason) summed over a window and written as one entry per window, so
 * that a burst of thousands is one line with its counts, not thousands of lines.
 */
export class BurstLog {
  #counts = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: ServiceLogWriter,
    private readonly entry: { level: ServiceLogLevel; app: string; logger: string; what: string },
    private readonly windowMs = 60_000,
  ) {}

  add(reason: string, n = 1): void {
    this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + n);
    this.#timer ??= setTimeout(() => this.flush(), this.windowMs).unref();
  }

  /** Writes the window's counts, if any. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#counts.size) return;
    const counts = Object.fromEntries(this.#counts);
    this.#counts = new Map();
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const { level, app, logger, what } = this.entry;
    this.log.write(level, app, logger, `${total} ${what} in ${Math.round(this.windowMs / 1000)} s`, { total, byReason: counts });
  }
}
