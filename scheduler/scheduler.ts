/**
 * The scheduler role: fires due tasks into launches, claims launches, and runs them device by device
 * through the DeviceReader. Everything it decides is in PostgreSQL, so any number of instances may run:
 *   - a firing is a launch row unique on (task, scheduled_at), created in the same transaction that moves
 *     the task's persisted next_fire_at forward, with the task row locked (FOR UPDATE SKIP LOCKED); firings
 *     missed while no scheduler ran collapse into one launch at the latest missed time;
 *   - a launch is claimed with a row lock and kept by a heartbeat; a launch whose heartbeat went stale
 *     (crashed instance) is claimed again and continues with the devices that have no result yet;
 *   - cancellation (by user, or by the next scheduled launch) is a column every heartbeat reads;
 *   - the devices of a running launch are shared: its owner and any other instance with room claim them in
 *     batches (launch_devices.claimed_by, with a lease renewed by the heartbeat), so a device is read by one
 *     instance at a time and a dead instance's devices are taken over when their lease runs out; a device
 *     whose CENC connection a live node holds (cenc_connections) is claimed by that node only.
 * Devices are read over their enabled comm lines in priority order (higher first), falling back to the
 * next line when a session cannot be opened; rounds of retries follow the task's retry count and delay,
 * or repeat until success ("poll until success") until cancelled.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../registry/db.js';
import { launchProfileVersions } from '../registry/profiles.js';
import { nextFire, parseCron } from './schedule.js';
import { depthStart, type CommandFunction, type CommandItem, type STATE_ARCHIVES, type TaskContent } from './content.js';
import { gapItems, gapReads, type GapRead } from './gaps.js';
import { DEFAULT_CONTROL_SETTINGS } from './tasks.js';
import type { ServiceLogWriter } from '../registry/service-log.js';
import { HesMetrics } from '../metrics/index.js';
import { inSpan, launchContext } from '../telemetry/index.js';
import {
  LinkError, openGate, type CollectItem, type CommLineRef, type DeviceLink, type DeviceReader, type DeviceTarget, type ReadingSink, type SessionGate,
} from './reader.js';

export interface SchedulerOptions {
  db: Db;
  reader: DeviceReader;
  sink: ReadingSink;
  gate?: SessionGate;
  /** Unique per process; shown in claimed_by. */
  instanceId?: string;
  now?: () => number;
  /** How often due tasks and pending launches are looked for. */
  pollMs?: number;
  heartbeatMs?: number;
  /** A running launch whose heartbeat is older than this is taken over, as are the devices of a claim not renewed for this long. */
  leaseMs?: number;
  /**
   * What this instance does: 'all' fires tasks, owns launches and reads any device (the scheduler role);
   * 'held' only helps running launches with the devices whose CENC connection it holds (a CENC node
   * without the scheduler role). The node id in cenc_connections is the instanceId.
   */
  reads?: 'all' | 'held';
  /** Launches run at once by this instance. */
  launchConcurrency?: number;
  /** Devices read at once per launch (the gate still applies channel limits). */
  deviceConcurrency?: number;
  /** Milliseconds per second of a task's retry delay (tests shrink it). */
  delayUnitMs?: number;
  /** Looks at finished launches every poll and queues re-collections of their gaps (gaps.ts GapCollector). */
  gaps?: { sweep(): Promise<unknown> };
  /** The service log: launches that fail (a device in error, or the launch itself broke). */
  log?: ServiceLogWriter;
  /** Where the scheduler's metrics are registered (launches, sessions, device results, queue depth). */
  metrics?: HesMetrics;
  /** The HES clock as NTP sees it (ingest/ntp/clock.ts): while it is off, meters' clocks are not written. */
  hostClock?: { problem(): string | undefined };
}

export type DeviceResult = 'success' | 'partial' | 'error' | 'absent' | 'cancelled';
export type LaunchResult = 'absent' | 'error' | 'partial' | 'success' | 'cancelled-by-schedule' | 'cancelled-by-user';

interface ClaimedLaunch {
  id: string;
  taskId: string;
  projectId: string;
  trigger: 'schedule' | 'manual' | 'one-off' | 'gap';
  scheduledAt: Date | null;
  userId: string | null;
  username: string | null;
}

interface TaskRow {
  content: TaskContent;
  deviceIds: string[];
  groupIds: string[];
  priority: number;
  retries: number;
  retryDelaySeconds: number;
  pollUntilSuccess: boolean;
  initiator: 'console' | 'api' | 'iec';
  /** The project's clock drift policy (control_settings): refuse above the maximum, leave alone below the minimum. */
  clock: ClockPolicy;
  /** A gap re-collection: what to read from each device, by device id. */
  gapReads?: Map<string, GapRead[]>;
  /** The latest version of each device profile when the launch first started: what its comm lines without a pinned version use. */
  profileVersions?: ReadonlyMap<string, number>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The launch's result from its devices' results (seed 003 §2.2.23): any error wins, then partial. */
export function launchResult(results: readonly string[]): LaunchResult {
  const done = results.filter((r) => r !== 'absent' && r !== 'cancelled');
  if (!done.length) return 'absent';
  if (done.includes('error')) return 'error';
  if (done.includes('partial')) return 'partial';
  return 'success';
}

class Cancelled extends Error {}

interface DeviceResultRow {
  deviceId: string;
  result: DeviceResult;
  note: string;
  attempts: number;
  lineId: string | null;
  startedAt: string;
  finishedAt: string;
  log: string;
}

/** How long a finished device's result may wait to be written with others, and how many are written at most at once. */
const RESULT_FLUSH_MS = 200;
const RESULT_BATCH = 100;

/**
 * The per-device results of one launch, written to launch_devices together (one UPDATE per batch instead of
 * one per device): the first result after a quiet spell at once, the next ones within RESULT_FLUSH_MS, all
 * of them before the launch's end, cancellation or hand-back. A crash loses the results not written yet:
 * those devices are still pending and the next owner reads them again, as it does the devices in flight.
 */
class DeviceResults {
  #rows: DeviceResultRow[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #error: unknown;
  #lastWriteAt = -Infinity;
  #discarded = false;

  constructor(private readonly db: Db, private readonly launchId: string) {}

  add(row: DeviceResultRow): void {
    if (this.#discarded) return;
    this.#rows.push(row);
    if (this.#rows.length >= RESULT_BATCH) this.#write();
    else this.#timer ??= setTimeout(() => this.#write(), Math.max(0, this.#lastWriteAt + RESULT_FLUSH_MS - performance.now()));
  }

  /** Writes every result added so far; throws when a write failed (its rows stay for the next flush). */
  async flush(): Promise<void> {
    this.#error = undefined;
    this.#write();
    await this.#writing;
    if (this.#error) throw this.#error;
  }

  /** Forgets the results not written yet, as a crash would (Scheduler.crash). */
  discard(): void {
    this.#discarded = true;
    clearTimeout(this.#timer);
    this.#rows = [];
  }

  #write(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#discarded || !this.#rows.length) return;
    const rows = this.#rows;
    this.#rows = [];
    this.#lastWriteAt = performance.now();
    const column = <K extends keyof DeviceResultRow>(k: K) => rows.map((r) => r[k]);
    this.#writing = this.#writing.then(() => this.db.query(
      `UPDATE launch_devices ld SET result = r.result, note = r.note, attempts = r.attempts, comm_line_id = r.line_id,
              started_at = r.started_at, finished_at = r.finished_at, exchange_log = r.log
       FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::uuid[], $7::timestamptz[], $8::timestamptz[], $9::text[])
         AS r(device_id, result, note, attempts, line_id, started_at, finished_at, log)
       WHERE ld.launch_id = $1 AND ld.device_id = r.device_id AND ld.result = 'pending'`,
      [this.launchId, column('deviceId'), column('result'), column('note'), column('attempts'), column('lineId'), column('startedAt'), column('finishedAt'), column('log')],
    )).then(() => undefined, (e: unknown) => {
      this.#error ??= e;
      this.#rows.unshift(...rows);
    });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Cancelled());
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new Cancelled());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class Scheduler {
  readonly instanceId: string;
  readonly #o: Required<Omit<SchedulerOptions, 'gate' | 'instanceId' | 'gaps' | 'log' | 'metrics' | 'hostClock'>> & Pick<SchedulerOptions, 'gaps' | 'log' | 'hostClock'> & { gate: SessionGate };
  readonly #m: ReturnType<typeof schedulerMetrics>;
  /** The launches this instance works on, as owner or as helper, by launch id. */
  readonly #running = new Map<string, { abort: AbortController; results: DeviceResults; done: Promise<void> }>();
  /** Set by crash(): nothing more starts here. */
  #crashed = false;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;

  constructor(o: SchedulerOptions) {
    this.instanceId = o.instanceId ?? `scheduler-${randomUUID().slice(0, 8)}`;
    this.#o = {
      db: o.db, reader: o.reader, sink: o.sink, gate: o.gate ?? openGate, now: o.now ?? Date.now,
      pollMs: o.pollMs ?? 1000, heartbeatMs: o.heartbeatMs ?? 5000, leaseMs: o.leaseMs ?? 30_000,
      launchConcurrency: o.launchConcurrency ?? 4, deviceConcurrency: o.deviceConcurrency ?? 64, delayUnitMs: o.delayUnitMs ?? 1000, gaps: o.gaps, log: o.log, hostClock: o.hostClock,
      reads: o.reads ?? 'all',
    };
    const m = o.metrics ?? new HesMetrics();
    this.#m = schedulerMetrics(m);
    m.gauge('hes_scheduler_launches_running', 'Launches this scheduler runs now', [], (g) => g.set(this.#running.size));
    m.gauge('hes_scheduler_launches_pending', 'Launches waiting to be claimed by a scheduler (the queue, over every scheduler process)', [], async (g) => {
      const r = await this.#o.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM task_launches WHERE state = 'pending'`).catch(() => undefined);
      if (r) g.set(r.rows[0]!.n);
    });
  }

  get runningLaunches(): number {
    return this.#running.size;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.tick(), this.#o.pollMs);
    void this.tick();
  }

  /**
   * Stops polling and, unless `wait`, aborts the launches in progress and hands them back (pending) so
   * that another instance — or this one after a restart — continues them at once.
   */
  async stop(opts: { wait?: boolean } = {}): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
    if (!opts.wait) for (const r of this.#running.values()) r.abort.abort(new Cancelled('stopping'));
    await Promise.all([...this.#running.values()].map((r) => r.done));
  }

  /** Abandons in-flight work without touching the database, as a crash would (tests). */
  crash(): void {
    this.#crashed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    for (const r of this.#running.values()) {
      r.results.discard();
      r.abort.abort(new Cancelled('crash'));
    }
  }

  /** One round: fire due tasks, queue gap re-collections, claim launches up to the concurrency, then help running ones. */
  tick(): Promise<void> {
    this.#ticking ??= (async () => {
      try {
        if (this.#o.reads === 'all') {
          await this.fireDue();
          await this.#o.gaps?.sweep();
          while (this.#running.size < this.#o.launchConcurrency) {
            const l = await this.claimNext();
            if (!l) break;
            this.#spawn(l, true);
          }
        }
        if (this.#running.size < this.#o.launchConcurrency) {
          for (const l of await this.#joinable(this.#o.launchConcurrency - this.#running.size)) this.#spawn(l, false);
        }
      } finally {
        this.#ticking = undefined;
      }
    })();
    return this.#ticking;
  }

  /** Runs ticks until no launch is pending and this instance runs none (tests, one-shot use). */
  async drain(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      await this.tick();
      await Promise.all([...this.#running.values()].map((r) => r.done));
      await this.#o.gaps?.sweep();
      const r = await this.#o.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM task_launches WHERE state = 'pending'`);
      if (!r.rows[0].n && !this.#running.size) return;
      if (Date.now() > until) throw new Error(`drain: ${r.rows[0].n} launches still pending`);
      await new Promise((res) => setTimeout(res, 10));
    }
  }

  /** Creates the launches of every task whose next firing is due; returns how many were created. */
  async fireDue(): Promise<number> {
    const now = this.#o.now();
    return this.#o.db.transaction(async (tx) => {
      const due = await tx.query<{ id: string; projectId: string; cron: string; nextFireAt: Date; priority: number; approval: string; timeZone: string }>(
        `SELECT t.id, t.project_id AS "projectId", t.schedule_cron AS cron, t.next_fire_at AS "nextFireAt", t.priority, t.approval, p.time_zone AS "timeZone"
         FROM collection_tasks t JOIN projects p ON p.id = t.project_id
         WHERE t.schedule_enabled AND t.next_fire_at <= $1::timestamptz
         ORDER BY t.next_fire_at LIMIT 100 FOR UPDATE OF t SKIP LOCKED`,
        [iso(now)],
      );
      let created = 0;
      for (const t of due.rows) {
        // Firings missed while no scheduler ran collapse into the latest one: one launch, its depth counted from there.
        const cron = parseCron(t.cron);
        let firing = new Date(t.nextFireAt).getTime();
        for (let n = nextFire(cron, t.timeZone, firing), i = 0; n !== undefined && n <= now && i < 100_000; n = nextFire(cron, t.timeZone, n), i++) firing = n;
        if (t.approval === 'not-required' || t.approval === 'approved') {
          // A new scheduled launch cancels the task's launch still waiting or running (seed 003 §2.2.22).
          await tx.query(
            `UPDATE task_launches SET state = 'finished', result = 'cancelled-by-schedule', finished_at = $2::timestamptz
             WHERE task_id = $1 AND state = 'pending'`,
            [t.id, iso(now)],
          );
          await tx.query(`UPDATE task_launches SET cancel_requested = 'schedule' WHERE task_id = $1 AND state = 'running' AND cancel_requested IS NULL`, [t.id]);
          const ins = await tx.query(
            `INSERT INTO task_launches (project_id, task_id, scheduled_at, trigger, priority) VALUES ($1, $2, $3::timestamptz, 'schedule', $4)
             ON CONFLICT (task_id, scheduled_at) DO NOTHING`,
            [t.projectId, t.id, iso(firing), t.priority],
          );
          created += ins.rowCount;
        }
        const next = nextFire(cron, t.timeZone, Math.max(now, firing));
        await tx.query('UPDATE collection_tasks SET next_fire_at = $2::timestamptz WHERE id = $1', [t.id, next === undefined ? null : iso(next)]);
      }
      return created;
    });
  }

  /** Claims the most urgent pending launch, or a running one whose owner stopped beating. */
  async claimNext(): Promise<ClaimedLaunch | undefined> {
    const now = this.#o.now();
    const r = await this.#o.db.transaction((tx) => tx.query<ClaimedLaunch>(
      `UPDATE task_launches SET state = 'running', claimed_by = $1, heartbeat_at = $2::timestamptz, started_at = coalesce(started_at, $2::timestamptz)
       WHERE id = (
         SELECT id FROM task_launches
         WHERE state = 'pending' OR (state = 'running' AND heartbeat_at < $3::timestamptz)
         ORDER BY priority DESC, created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING id, task_id AS "taskId", project_id AS "projectId", trigger, scheduled_at AS "scheduledAt", user_id AS "userId", username`,
      [this.instanceId, iso(now), iso(now - this.#o.leaseMs)],
    ));
    return r.rows[0];
  }

  /** The running launches of other instances with devices this one may claim (its routing: #claimable). */
  async #joinable(limit: number): Promise<ClaimedLaunch[]> {
    const now = this.#o.now();
    const r = await this.#o.db.query<ClaimedLaunch>(
      `SELECT l.id, l.task_id AS "taskId", l.project_id AS "projectId", l.trigger, l.scheduled_at AS "scheduledAt", l.user_id AS "userId", l.username
       FROM task_launches l
       WHERE l.state = 'running' AND l.claimed_by <> $1 AND l.heartbeat_at >= $3::timestamptz AND l.cancel_requested IS NULL AND NOT (l.id = ANY($4::uuid[]))
         AND EXISTS (SELECT 1 FROM launch_devices ld WHERE ld.launch_id = l.id AND ${this.#claimable()})
       ORDER BY l.priority DESC, l.created_at LIMIT $5`,
      [this.instanceId, iso(now), iso(now - this.#o.leaseMs), [...this.#running.keys()], limit],
    );
    return r.rows;
  }

  /**
   * The condition on launch_devices `ld` a device this instance may claim meets ($1 this instance, $2 now):
   * no result yet, no live claim, and its CENC connection, if a live node holds it, held here — or, for a
   * CENC-only node ('held'), held here without question.
   */
  #claimable(): string {
    const route = this.#o.reads === 'held'
      ? 'EXISTS (SELECT 1 FROM cenc_connections c WHERE c.device_id = ld.device_id AND c.node_id = $1 AND c.lease_until > $2::timestamptz)'
      : 'NOT EXISTS (SELECT 1 FROM cenc_connections c WHERE c.device_id = ld.device_id AND c.node_id <> $1 AND c.lease_until > $2::timestamptz)';
    return `ld.result = 'pending' AND (ld.claimed_by IS NULL OR ld.lease_until < $2::timestamptz) AND ${route}`;
  }

  /** Claims up to `limit` devices of a launch for this instance (a lease of leaseMs) and returns them. */
  async #claimDevices(launchId: string, limit: number): Promise<DeviceTarget[]> {
    const now = this.#o.now();
    const r = await this.#o.db.query<DeviceTarget>(
      `WITH claimed AS (
         UPDATE launch_devices SET claimed_by = $1, lease_until = $4::timestamptz
         WHERE launch_id = $3 AND device_id IN (
           SELECT ld.device_id FROM launch_devices ld WHERE ld.launch_id = $3 AND ${this.#claimable()}
           ORDER BY ld.device_id LIMIT $5 FOR UPDATE SKIP LOCKED)
         RETURNING device_id)
       SELECT d.id, d.num::float8 AS num, d.project_id AS "projectId", d.serial_number AS "serialNumber", d.type
       FROM claimed JOIN devices d ON d.id = claimed.device_id ORDER BY d.serial_number`,
      [this.instanceId, iso(now), launchId, iso(now + this.#o.leaseMs), limit],
    );
    return r.rows;
  }

  /** Renews the lease of the devices this instance holds in a launch. */
  #renewDevices(launchId: string): Promise<unknown> {
    return this.#o.db.query(
      `UPDATE launch_devices SET lease_until = $3::timestamptz WHERE launch_id = $1 AND claimed_by = $2 AND result = 'pending'`,
      [launchId, this.instanceId, iso(this.#o.now() + this.#o.leaseMs)],
    );
  }

  /** Lets go of the devices this instance claimed in a launch and has not read (stopping): the next claim takes them at once. */
  #releaseDevices(launchId: string): Promise<unknown> {
    return this.#o.db.query(
      `UPDATE launch_devices SET claimed_by = NULL, lease_until = NULL WHERE launch_id = $1 AND claimed_by = $2 AND result = 'pending'`,
      [launchId, this.instanceId],
    );
  }

  #spawn(l: ClaimedLaunch, owner: boolean): void {
    // A tick that was under way when the process "crashed" (tests) starts nothing more.
    if (this.#crashed) return;
    if (owner) this.#m.launchesStarted.inc({ trigger: l.trigger });
    const abort = new AbortController();
    const results = new DeviceResults(this.#o.db, l.id);
    const attributes = { 'hes.launch.id': l.id, 'hes.task.id': l.taskId, 'hes.project.id': l.projectId, 'hes.launch.trigger': l.trigger, 'hes.scheduler.instance': this.instanceId };
    const launch = launchContext(l.id);
    const done = inSpan(owner ? 'launch' : 'launch.help', attributes, () => (owner ? this.#run(l, abort, results) : this.#help(l, abort, results)), launch ? { parent: launch } : {}).catch((e: unknown) => {
      this.#o.log?.write('error', 'scheduler', 'launch', `launch ${l.id} broke off: ${e instanceof Error ? e.message : String(e)}`, { launchId: l.id, taskId: l.taskId, projectId: l.projectId });
      throw e;
    }).finally(() => this.#running.delete(l.id));
    this.#running.set(l.id, { abort, results, done });
  }

  /**
   * Reads the devices of a launch this instance can claim, in batches, until none is left to claim
   * (or the signal aborts); every result is written before it returns.
   */
  async #readDevices(l: ClaimedLaunch, task: TaskRow, results: DeviceResults, signal: AbortSignal): Promise<void> {
    const queue: DeviceTarget[] = [];
    let exhausted = false;
    let reading = 0;
    let claiming: Promise<void> | undefined;
    // Claims only what idle workers can read now: a device claimed here is one no other instance may read
    // until its lease runs out, so claiming ahead of capacity would hold devices back (and strand them on a crash).
    const refill = async () => {
      const batch = await this.#claimDevices(l.id, Math.max(1, this.#o.deviceConcurrency - reading - queue.length));
      if (!batch.length) exhausted = true;
      queue.push(...batch);
    };
    const worker = async () => {
      while (!signal.aborted) {
        const d = queue.shift();
        if (d) {
          reading++;
          try {
            await inSpan('device', { 'hes.device.id': d.id }, () => this.#device(l, task, d, results, signal));
          } finally {
            reading--;
          }
          continue;
        }
        if (exhausted) return;
        await (claiming ??= refill().finally(() => (claiming = undefined)));
      }
    };
    await Promise.all(Array.from({ length: this.#o.deviceConcurrency }, worker));
    await results.flush();
  }

  /** Helps another instance's launch with the devices this one may claim, then leaves it (the owner ends it). */
  async #help(l: ClaimedLaunch, abort: AbortController, results: DeviceResults): Promise<void> {
    const { db } = this.#o;
    const beat = setInterval(() => {
      void this.#renewDevices(l.id).then(() => db.query<{ state: string; cancel: string | null }>(
        'SELECT state, cancel_requested AS cancel FROM task_launches WHERE id = $1', [l.id],
      )).then((r) => {
        if (r.rows[0]?.state !== 'running' || r.rows[0].cancel) abort.abort(new Cancelled());
      }, () => undefined);
    }, this.#o.heartbeatMs);
    try {
      const task = await this.#task(l);
      if (!task) return;
      task.profileVersions = await launchProfileVersions(db, l.id);
      if (l.trigger === 'gap') task.gapReads = await gapReads(db, l.id);
      await this.#readDevices(l, task, results, abort.signal);
    } finally {
      clearInterval(beat);
      await results.flush().catch(() => undefined);
      if ((abort.signal.reason as Error | undefined)?.message === 'stopping') await this.#releaseDevices(l.id).catch(() => undefined);
    }
  }

  /** Runs one claimed launch to its end (or until cancelled, stopped, or taken over). */
  async #run(l: ClaimedLaunch, abort: AbortController, results: DeviceResults): Promise<void> {
    const { db } = this.#o;
    let cancelledBy: 'user' | 'schedule' | undefined;
    let lost = false;
    const beat = setInterval(() => {
      void this.#renewDevices(l.id).catch(() => undefined);
      void db.query<{ cancel: string | null }>(
        `UPDATE task_launches SET heartbeat_at = $3::timestamptz WHERE id = $1 AND claimed_by = $2 AND state = 'running' RETURNING cancel_requested AS cancel`,
        [l.id, this.instanceId, iso(this.#o.now())],
      ).then((r) => {
        if (!r.rows.length) lost = true;
        else if (r.rows[0].cancel) cancelledBy = r.rows[0].cancel as 'user' | 'schedule';
        if (lost || cancelledBy) abort.abort(new Cancelled());
      }, () => undefined);
    }, this.#o.heartbeatMs);
    try {
      const task = await this.#task(l);
      if (!task) return; // the task was deleted with its launches
      task.profileVersions = await launchProfileVersions(db, l.id);
      // A gap re-collection was created with its devices and what to read from each (gaps.ts).
      if (l.trigger === 'gap') task.gapReads = await gapReads(db, l.id);
      else {
        await db.query(
          `INSERT INTO launch_devices (launch_id, device_id)
           SELECT $1, d.id FROM devices d
           WHERE d.project_id = $2 AND d.enabled AND d.status = 'IN_USE' AND (d.id = ANY($3::uuid[]) OR d.group_id = ANY($4::uuid[]))
           ON CONFLICT DO NOTHING`,
          [l.id, l.projectId, task.deviceIds, task.groupIds],
        );
      }
      // Devices other instances hold (helpers, CENC nodes, or a dead instance until its lease runs out) are waited for.
      for (;;) {
        await this.#readDevices(l, task, results, abort.signal);
        if (abort.signal.aborted) break;
        const left = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM launch_devices WHERE launch_id = $1 AND result = 'pending'`, [l.id]);
        if (!left.rows[0]!.n) break;
        await sleep(this.#o.pollMs, abort.signal).catch(() => undefined);
      }
      // Every device read so far has its result before anything is decided (cancel, hand-back, the launch's result).
      await results.flush();
      // A last look: a cancel that arrived after the last heartbeat still counts.
      const c = await db.query<{ cancel: string | null; owner: string | null }>(
        'SELECT cancel_requested AS cancel, claimed_by AS owner FROM task_launches WHERE id = $1', [l.id],
      );
      if (c.rows[0]?.owner !== this.instanceId) lost = true;
      cancelledBy ??= (c.rows[0]?.cancel ?? undefined) as 'user' | 'schedule' | undefined;
      if (lost) return;
      if (abort.signal.aborted && !cancelledBy) {
        // Stopping: hand the launch back untouched (devices without a result are read by the next owner).
        if ((abort.signal.reason as Error)?.message === 'stopping') {
          await db.query(`UPDATE task_launches SET state = 'pending', claimed_by = NULL WHERE id = $1 AND claimed_by = $2`, [l.id, this.instanceId]);
          await this.#releaseDevices(l.id);
        }
        return;
      }
      const now = iso(this.#o.now());
      if (cancelledBy) {
        await db.query(`UPDATE launch_devices SET result = 'cancelled', finished_at = $2::timestamptz WHERE launch_id = $1 AND result = 'pending'`, [l.id, now]);
      }
      const rs = await db.query<{ result: string }>('SELECT result FROM launch_devices WHERE launch_id = $1', [l.id]);
      const result: LaunchResult = cancelledBy === 'user' ? 'cancelled-by-user' : cancelledBy === 'schedule' ? 'cancelled-by-schedule' : launchResult(rs.rows.map((r) => r.result));
      await db.query(
        `UPDATE task_launches SET state = 'finished', result = $3, finished_at = $4::timestamptz WHERE id = $1 AND claimed_by = $2`,
        [l.id, this.instanceId, result, now],
      );
      this.#m.launchesFinished.inc({ result });
      if (result === 'error') {
        const failed = await db.query<{ note: string; n: number }>(
          `SELECT note, count(*)::int AS n FROM launch_devices WHERE launch_id = $1 AND result = 'error' GROUP BY note ORDER BY n DESC LIMIT 3`, [l.id],
        );
        const errors = rs.rows.filter((r) => r.result === 'error').length;
        this.#o.log?.write('error', 'scheduler', 'launch', `launch ${l.id} failed: ${errors} of ${rs.rows.length} devices in error (${failed.rows.map((r) => r.note).join('; ')})`, {
          launchId: l.id, taskId: l.taskId, projectId: l.projectId, trigger: l.trigger, devices: rs.rows.length, errors, notes: failed.rows,
        });
      }
    } finally {
      clearInterval(beat);
    }
  }

  async #task(l: ClaimedLaunch): Promise<TaskRow | undefined> {
    const r = await this.#o.db.query<Omit<TaskRow, 'clock'> & { clockMaxDrift: number | null; clockMinDrift: number | null }>(
      `SELECT t.content, t.device_ids AS "deviceIds", t.group_ids AS "groupIds", t.priority, t.retries, t.retry_delay_seconds AS "retryDelaySeconds",
              t.poll_until_success AS "pollUntilSuccess", t.initiator, cs.clock_max_drift_seconds AS "clockMaxDrift", cs.clock_min_drift_seconds AS "clockMinDrift"
       FROM collection_tasks t LEFT JOIN control_settings cs ON cs.project_id = t.project_id WHERE t.id = $1`,
      [l.taskId],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    const { clockMaxDrift, clockMinDrift, ...t } = row;
    if (typeof t.content === 'string') t.content = JSON.parse(t.content) as TaskContent;
    return { ...t, clock: { maxDriftSeconds: clockMaxDrift ?? DEFAULT_CONTROL_SETTINGS.clockMaxDriftSeconds, minDriftSeconds: clockMinDrift ?? DEFAULT_CONTROL_SETTINGS.clockMinDriftSeconds } };
  }

  /** Reads one device: rounds of retries, each trying the comm lines in priority order. */
  async #device(l: ClaimedLaunch, task: TaskRow, device: DeviceTarget, results: DeviceResults, signal: AbortSignal): Promise<void> {
    const { db } = this.#o;
    const startedAt = iso(this.#o.now());
    let lines = await commLines(db, device.id, task.profileVersions);
    // Commands act on the meter: their devices' results are written at once, so a crash repeats no command
    // but the one in flight; readings may be read again (the pipeline stores them once).
    const save = async (result: DeviceResult, note: string, attempts: number, lineId: string | null, log: string) => {
      results.add({ deviceId: device.id, result, note, attempts, lineId, startedAt, finishedAt: iso(this.#o.now()), log });
      this.#m.deviceResults.inc({ result });
      if (!task.gapReads && task.content.commands?.length) await results.flush();
    };
    if (!lines.length) {
      await save('absent', 'no enabled comm line', 0, null, '');
      return;
    }
    if (!task.gapReads && !this.#items(l, task, device).length && !task.content.commands?.length) {
      // Only pushed archives: nothing to read now; the gap check reads what no push brought.
      await save('success', 'pushed archives: expected from the meter, what is missing is read by the gap check', 0, null, '');
      return;
    }
    const logs: string[] = [];
    let round = 0;
    let last: { result: DeviceResult; note: string; lineId: string | null } = { result: 'error', note: '', lineId: null };
    let final = false;
    try {
      for (;;) {
        round++;
        // A retry round sees the comm lines, channels and protocols as they are now (an operator may have fixed them).
        if (round > 1) lines = await commLines(db, device.id, task.profileVersions);
        const notes: string[] = [];
        last = { result: 'error', note: '', lineId: null };
        // When no session opens, the row keeps the comm line of the last failure (the notes name them all).
        let failedLine: string | null = null;
        for (const line of lines) {
          const header = `--- attempt ${round}, comm line ${line.id} (${line.channelKind}, priority ${line.priority}) ---`;
          const r = await this.#o.gate.run(
            { channelId: line.channelId, exclusive: line.exclusive, segment: segmentOf(line), priority: 1000 - task.priority },
            () => inSpan('session', { 'hes.comm_line.id': line.id, 'hes.channel.kind': line.channelKind, 'hes.attempt': round }, () => this.#session(l, task, device, line, signal)),
          );
          logs.push(header, r.log);
          if (signal.aborted) throw new Cancelled();
          if (r.linkFailed) {
            notes.push(r.note);
            failedLine = line.id;
            continue; // fall back to the next comm line
          }
          last = { result: r.result, note: r.note, lineId: line.id };
          final = r.final === true;
          break;
        }
        if (!last.lineId) last = { result: 'error', note: notes.join('; ') || 'no enabled comm line', lineId: failedLine };
        if (last.result !== 'error' || final || (!task.pollUntilSuccess && round > task.retries)) break;
        await sleep(task.retryDelaySeconds * this.#o.delayUnitMs, signal);
      }
    } catch (e) {
      // Cancelled: the launch marks what has no result; stopped: the device stays pending for the next owner.
      if (e instanceof Cancelled) return;
      throw e;
    }
    await save(last.result, last.note, round, last.lineId, logs.join('\n'));
  }

  /** One session over one comm line: the task's collection items, then its commands. */
  async #session(
    l: ClaimedLaunch, task: TaskRow, device: DeviceTarget, line: CommLineRef, signal: AbortSignal,
  ): Promise<{ linkFailed: boolean; result: DeviceResult; note: string; log: string; final?: boolean }> {
    if (signal.aborted) throw new Cancelled();
    let link: DeviceLink;
    try {
      link = await this.#o.reader.open(device, line, signal);
      this.#m.sessions.inc({ channel_kind: line.channelKind, outcome: 'opened' });
    } catch (e) {
      if (!(e instanceof LinkError)) throw e;
      this.#m.sessions.inc({ channel_kind: line.channelKind, outcome: 'failed' });
      return { linkFailed: true, result: 'error', note: e.message, log: e.exchangeLog };
    }
    const notes: string[] = [];
    let errors = 0, unsupported = 0, refused = false;
    let log = '';
    try {
      for (const item of this.#items(l, task, device)) {
        if (signal.aborted) throw new Cancelled();
        const out = await link.collect(item);
        // A cancel drops the session's transport: what the cut read says is the cancel, not the meter.
        if (signal.aborted) throw new Cancelled();
        if (out.records.length || out.frames?.length) await this.#o.sink.write(device, item, out.records, out.frames ?? []);
        if (out.status === 'error') errors++;
        if (out.status === 'unsupported') unsupported++;
        if (out.status !== 'ok') notes.push(`${itemName(item)}: ${out.note ?? out.status}`);
      }
      const commands = task.gapReads ? [] : task.content.commands ?? [];
      for (let step = 0; step < commands.length; step++) {
        if (signal.aborted) throw new Cancelled();
        const cmd = commands[step];
        const c = await this.#command(l, task, device, link, step, cmd);
        if (c.state === 'error') {
          if (c.partial) unsupported++;
          else errors++;
          refused ||= c.refused === true;
          notes.push(`${cmd.function}: ${c.note}`);
          continue;
        }
        // The state the command changed, read back from the meter now: the device's state is the meter's at once,
        // not at the next state read. A read-back that fails leaves the command done, with a note.
        const archive = STATE_AFTER[cmd.function];
        if (!archive) continue;
        const item: CollectItem = { kind: 'state', archive };
        const out = await link.collect(item);
        if (out.records.length) await this.#o.sink.write(device, item, out.records);
        if (out.status === 'error') notes.push(`${cmd.function}: ${archive} not read back: ${out.note ?? 'error'}`);
      }
    } finally {
      log = await link.close().catch((e: Error) => `close failed: ${e.message}`);
    }
    const result: DeviceResult = errors ? 'error' : unsupported ? 'partial' : 'success';
    // A refusal by policy or by the hardware lock does not change on retry.
    return { linkFailed: false, result, note: notes.join('; '), log, final: refused };
  }

  #items(l: ClaimedLaunch, task: TaskRow, device: DeviceTarget): CollectItem[] {
    if (task.gapReads) return gapItems(task.gapReads.get(device.id) ?? []);
    const { content } = task;
    // Depth counts back from the firing time (or now), so a late or repeated launch reads the same window.
    const end = l.scheduledAt ? new Date(l.scheduledAt).getTime() : this.#o.now();
    const items: CollectItem[] = [];
    for (const m of content.measurements ?? []) {
      if (!m.pushed) items.push({ kind: 'measurement', item: m, range: m.depth ? { fromMs: depthStart(m.depth, end), toMs: end } : undefined });
    }
    if (content.events) {
      const e = content.events;
      items.push({ kind: 'events', journals: e.journals ?? [], depth: e.depth, range: e.depth ? { fromMs: depthStart(e.depth, end), toMs: end } : undefined });
    }
    for (const s of content.states ?? []) items.push({ kind: 'state', archive: s });
    return items;
  }

  /** Executes one command and records it in the device's command history (one row per launch, device and step). */
  async #command(
    l: ClaimedLaunch, task: TaskRow, device: DeviceTarget, link: DeviceLink, step: number, cmd: CommandItem,
  ): Promise<{ state: 'done' | 'error'; note: string; partial?: boolean; refused?: boolean }> {
    const { db } = this.#o;
    const launchType = l.trigger === 'schedule' ? 'schedule' : task.initiator === 'console' ? 'user' : task.initiator;
    await db.query(
      `INSERT INTO device_commands (project_id, device_id, launch_id, step, function, params, user_id, username, launch_type, state, started_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'running', $10::timestamptz)
       ON CONFLICT (launch_id, device_id, step) DO UPDATE SET state = 'running', started_at = EXCLUDED.started_at, finished_at = NULL`,
      [l.projectId, device.id, l.id, step, cmd.function, JSON.stringify(cmd.params ?? {}), l.userId, l.username, launchType, iso(this.#o.now())],
    );
    const hostClockProblem = this.#o.hostClock?.problem();
    const out = await executeCommand(link, cmd, { ...task.clock, ...(hostClockProblem ? { hostClockProblem } : {}) }, this.#o.now());
    await db.query(
      `UPDATE device_commands SET state = $4, result = $5, note = $6, finished_at = $7::timestamptz WHERE launch_id = $1 AND device_id = $2 AND step = $3`,
      [l.id, device.id, step, out.state, JSON.stringify(out.value ?? null), out.note, iso(this.#o.now())],
    );
    return out;
  }
}

/** The scheduler's counters (docs/operations.md). */
function schedulerMetrics(m: HesMetrics) {
  return {
    launchesStarted: m.counter('hes_scheduler_launches_started_total', 'Launches claimed and started, by trigger (schedule, manual, one-off, gap)', ['trigger']),
    launchesFinished: m.counter('hes_scheduler_launches_finished_total', 'Launches finished, by result (success, partial, error, absent, cancelled-by-user, cancelled-by-schedule)', ['result']),
    sessions: m.counter('hes_scheduler_sessions_total', 'Meter sessions, by channel kind and outcome (opened; failed: no connection or association)', ['channel_kind', 'outcome']),
    deviceResults: m.counter('hes_scheduler_device_results_total', 'Devices done in launches, by result (success, partial, error, absent)', ['result']),
  };
}

/**
 * A device's enabled comm lines in priority order (higher first), each with its channel and protocol: one
 * query gives the reader all a session needs but the device profile. A line that pins no profile version
 * gets the one `profileVersions` (the latest ones when the launch started) names, so that a new version
 * changes no running launch; a profile created since is read at its latest.
 */
export async function commLines(db: Db, deviceId: string, profileVersions?: ReadonlyMap<string, number>): Promise<CommLineRef[]> {
  const r = await db.query<CommLineRef>(
    `SELECT cl.id, cl.channel_id AS "channelId", c.kind AS "channelKind", c.exclusive, c.settings AS "channelSettings",
            cl.protocol_id AS "protocolId", p.kind AS "protocolKind", p.settings AS "protocolSettings", p.secrets_enc AS "secretsEnc",
            cl.profile_id AS "profileId", cl.profile_version AS "profileVersion", cl.protocol_map AS "protocolMap", cl.address, cl.priority, cl.attempts
     FROM comm_lines cl JOIN channels c ON c.id = cl.channel_id JOIN protocols p ON p.id = cl.protocol_id
     WHERE cl.device_id = $1 AND cl.enabled ORDER BY cl.priority DESC, cl.id`,
    [deviceId],
  );
  for (const l of r.rows) if (l.profileId && l.profileVersion === null) l.profileVersion = profileVersions?.get(l.profileId) ?? null;
  return r.rows;
}

/** The state archive each state-changing command (and the relay read) changes, read back after it. */
const STATE_AFTER: Partial<Record<CommandFunction, (typeof STATE_ARCHIVES)[number]>> = {
  'relay-connect': 'state-relay', 'relay-disconnect': 'state-relay', 'relay-read': 'state-relay',
  'clock-sync': 'state-time',
  'tariff-write-passive': 'state-configuration', 'tariff-activate': 'state-configuration', 'limits-write': 'state-configuration',
};

/** The network segment a comm line's channel belongs to (channel settings `segment`), if any. */
export function segmentOf(line: CommLineRef): string | undefined {
  const segment = (line.channelSettings as { segment?: unknown }).segment;
  return typeof segment === 'string' ? segment : undefined;
}

function itemName(i: CollectItem): string {
  return i.kind === 'measurement' ? i.item.archive : i.kind === 'events' ? 'events' : i.archive;
}

/**
 * When clock sync writes a meter's clock: not above the maximum drift (unless forced), not below the minimum,
 * and never while the HES clock itself is off (forced or not).
 */
export interface ClockPolicy {
  maxDriftSeconds: number;
  minDriftSeconds: number;
  /** Why the HES clock is not to be trusted now (its offset from NTP is above the threshold). */
  hostClockProblem?: string;
}

/**
 * A command's meaning on top of the link: relays report their hardware-lock state (seed 003 §2.2.10: 0 =
 * remote control allowed, 1–3 = locked) and "relay absent" as such; clock sync first reads the clock and
 * refuses a drift above the maximum unless forced (a large drift may mean tampering or a wrong zone), leaves a
 * drift below the minimum alone, and records the drift either way.
 */
export async function executeCommand(
  link: DeviceLink, cmd: CommandItem, policy: ClockPolicy, nowMs: number,
): Promise<{ state: 'done' | 'error'; value?: unknown; note: string; partial?: boolean; refused?: boolean }> {
  if (cmd.function === 'clock-sync') {
    const read = await link.control({ function: 'clock-read' });
    if (!read.ok) return { state: 'error', note: read.note ?? 'clock read failed' };
    const deviceMs = (read.value as { utcMs: number }).utcMs;
    const drift = Math.round((deviceMs - nowMs) / 1000);
    const max = Number(cmd.params?.maxDriftSeconds ?? policy.maxDriftSeconds);
    const min = Number(cmd.params?.minDriftSeconds ?? policy.minDriftSeconds);
    if (policy.hostClockProblem) {
      return { state: 'error', value: { driftSeconds: drift, synced: false }, note: `${policy.hostClockProblem}: the meter's clock is not written from it`, refused: true };
    }
    if (Math.abs(drift) > max && cmd.params?.force !== true) {
      return { state: 'error', value: { driftSeconds: drift, synced: false }, note: `clock drift ${drift} s exceeds the maximum ${max} s (force to sync anyway)`, refused: true };
    }
    if (Math.abs(drift) < min) {
      return { state: 'done', value: { driftSeconds: drift, synced: false }, note: `clock drift ${drift} s is within the minimum ${min} s: not written` };
    }
    const w = await link.control({ function: 'clock-write', params: { utcMs: nowMs } });
    return w.ok
      ? { state: 'done', value: { driftSeconds: drift, synced: true }, note: '' }
      : { state: 'error', value: { driftSeconds: drift, synced: false }, note: w.note ?? 'clock write failed' };
  }
  const out = await link.control(cmd);
  if (out.ok) return { state: 'done', value: out.value ?? null, note: out.note ?? '' };
  switch (out.reason) {
    case 'relay-absent':
      return { state: 'error', value: { relay: '-' }, note: 'relay absent', partial: true };
    case 'unsupported':
      return { state: 'error', value: out.value, note: out.note ?? 'not supported by the device', partial: true };
    case 'refused':
      return { state: 'error', value: out.value, note: out.note ?? 'refused', refused: true };
    case 'locked':
      return { state: 'error', value: out.value, note: `relay locked by hardware (lock state ${(out.value as { lockState?: number })?.lockState ?? '?'})`, refused: true };
    default:
      return { state: 'error', value: out.value, note: out.note ?? 'command failed' };
  }
}
