/**
 * Gap re-collection (issue 7 §6). When a launch has finished and the pipeline had time to store what it
 * read (`settleMs`), the expected slots of every device's interval, daily and monthly reads are looked up
 * in ClickHouse; the missing ones, coalesced into ranges, are read again by a re-collection launch of the
 * same task (trigger `gap`, `source_launch_id` = the launch it repairs) for only those devices and ranges.
 * Bounded: at most `maxRoundsPerDay` re-collection launches per task and local day (a re-collection's own
 * gaps count against the same cap, so a meter that never has the data is not asked forever), and at most
 * `maxRanges` ranges per device and archive (the closest ranges are merged).
 *
 * Claiming a launch for the check is one row update (`gaps_checked_at`), so several scheduler instances
 * check each launch once (they wait for, rather than skip, a row another one holds: a sweep that skipped
 * a launch briefly locked by a late heartbeat would leave it for the next poll); a re-collection launch
 * is inserted with its devices in one transaction.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../registry/db.js';
import type { ClickHouseEngine } from '../sinks/clickhouse/engine.js';
import { depthStart, type MeasurementItem, type TaskContent } from './content.js';
import { filledByDevice, filledByDeviceSlot, gridOf, slotsIn, tagSeries, type Grid } from './coverage.js';
import type { CollectItem, TimeRange } from './reader.js';
import { instantOf, wallTime } from './schedule.js';

/** What a re-collection launch reads from one device: an archive over the missing ranges. */
export interface GapRead {
  archive: MeasurementItem['archive'];
  tags?: string[];
  ranges: TimeRange[];
}

export interface GapOptions {
  db: Db;
  engine: ClickHouseEngine;
  /** Re-collection launches per task and day (the project's zone). */
  maxRoundsPerDay?: number;
  /** How long after a launch finished its readings are looked for (the pipeline stores asynchronously). */
  settleMs?: number;
  /** Ranges per device and archive in one re-collection. */
  maxRanges?: number;
  now?: () => number;
  /** Failures of a check (ClickHouse unreachable, ...); the launch is not checked again. */
  onError?: (error: unknown, launchId?: string) => void;
}

interface DueLaunch {
  id: string;
  projectId: string;
  taskId: string;
  trigger: string;
  result: string;
  scheduledAt: Date | string | null;
}

interface LaunchDevice {
  deviceId: string;
  num: number;
  startedAt: Date | string | null;
  finishedAt: Date | string | null;
  reads: GapRead[] | string | null;
}

const ms = (t: Date | string) => new Date(t).getTime();
/** The longest distance between neighbouring slots: a daylight-saving day, the longest month. */
const maxStep = (g: Grid) => (g.kind === 'interval' ? g.stepMs : g.kind === 'day' ? 25 * 3_600_000 : 32 * 86_400_000);
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

/** What a re-collection launch reads, by device id. */
export async function gapReads(db: Db, launchId: string): Promise<Map<string, GapRead[]>> {
  const r = await db.query<{ deviceId: string; reads: GapRead[] | string | null }>(
    'SELECT device_id AS "deviceId", reads FROM launch_devices WHERE launch_id = $1', [launchId],
  );
  return new Map(r.rows.map((x) => [x.deviceId, json(x.reads ?? [])]));
}

/** The collect items of a re-collection launch for one device. */
export function gapItems(reads: readonly GapRead[]): CollectItem[] {
  return reads.flatMap((r) => r.ranges.map((range): CollectItem => ({ kind: 'measurement', item: { archive: r.archive, ...(r.tags ? { tags: r.tags } : {}) }, range })));
}

/**
 * Runs of adjacent missing slots (next to each other in the expected slots and at most `maxStepMs`
 * apart) as [first, last], merging the runs closest to each other until at most `max` remain.
 */
export function coalesce(slots: readonly number[], missing: ReadonlySet<number>, max: number, maxStepMs: number): [number, number][] {
  const runs: [number, number][] = [];
  let prev: number | undefined;
  for (const s of slots) {
    const gap = missing.has(s);
    if (gap && prev !== undefined && s - prev <= maxStepMs) runs[runs.length - 1][1] = s;
    else if (gap) runs.push([s, s]);
    prev = gap ? s : undefined;
  }
  while (runs.length > Math.max(1, max)) {
    let best = 0;
    for (let i = 1; i < runs.length - 1; i++) if (runs[i + 1][0] - runs[i][1] < runs[best + 1][0] - runs[best][1]) best = i;
    runs.splice(best, 2, [runs[best][0], runs[best + 1][1]]);
  }
  return runs;
}

export class GapCollector {
  readonly #o: Required<GapOptions>;

  constructor(o: GapOptions) {
    this.#o = {
      db: o.db, engine: o.engine, maxRoundsPerDay: o.maxRoundsPerDay ?? 3, settleMs: o.settleMs ?? 30_000, maxRanges: o.maxRanges ?? 8,
      now: o.now ?? Date.now, onError: o.onError ?? ((e, id) => console.error(`gap check${id ? ` of launch ${id}` : ''} failed:`, e)),
    };
  }

  /** Checks the finished launches that are due; returns how many re-collection launches were queued. Never throws. */
  async sweep(): Promise<number> {
    let queued = 0;
    for (let i = 0; i < 100; i++) {
      let l: DueLaunch | undefined;
      try {
        l = await this.#claim();
      } catch (e) {
        this.#o.onError(e);
        break;
      }
      if (!l) break;
      try {
        if (await this.#recollect(l)) queued++;
      } catch (e) {
        this.#o.onError(e, l.id);
      }
    }
    return queued;
  }

  async #claim(): Promise<DueLaunch | undefined> {
    const now = this.#o.now();
    const r = await this.#o.db.query<DueLaunch>(
      `UPDATE task_launches SET gaps_checked_at = $1::timestamptz WHERE id = (
         SELECT id FROM task_launches WHERE state = 'finished' AND gaps_checked_at IS NULL AND finished_at <= $2::timestamptz
         ORDER BY finished_at LIMIT 1 FOR UPDATE)
       RETURNING id, project_id AS "projectId", task_id AS "taskId", trigger, result, scheduled_at AS "scheduledAt"`,
      [new Date(now).toISOString(), new Date(now - this.#o.settleMs).toISOString()],
    );
    return r.rows[0];
  }

  /** Queues the re-collection of one finished launch's gaps, unless there are none or the day's cap is reached. */
  async #recollect(l: DueLaunch): Promise<boolean> {
    if (l.result !== 'success' && l.result !== 'partial' && l.result !== 'error') return false; // cancelled or nothing to do
    const gaps = await this.missing(l.id);
    if (!gaps.size) return false;
    const { db } = this.#o;
    const now = this.#o.now();
    return db.transaction(async (tx) => {
      const t = await tx.query<{ priority: number; tz: string }>(
        `SELECT t.priority, p.time_zone AS tz FROM collection_tasks t JOIN projects p ON p.id = t.project_id WHERE t.id = $1 FOR UPDATE OF t`, [l.taskId],
      );
      if (!t.rows.length) return false;
      const w = wallTime(t.rows[0].tz, now);
      const dayStart = instantOf(t.rows[0].tz, { ...w, hour: 0, minute: 0 });
      const rounds = await tx.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM task_launches WHERE task_id = $1 AND trigger = 'gap' AND created_at >= $2::timestamptz`,
        [l.taskId, new Date(dayStart).toISOString()],
      );
      if (rounds.rows[0].n >= this.#o.maxRoundsPerDay) return false;
      const ins = await tx.query<{ id: string }>(
        `INSERT INTO task_launches (project_id, task_id, trigger, priority, source_launch_id, created_at) VALUES ($1, $2, 'gap', $3, $4, $5::timestamptz)
         ON CONFLICT (source_launch_id) DO NOTHING RETURNING id`,
        [l.projectId, l.taskId, t.rows[0].priority, l.id, new Date(now).toISOString()],
      );
      if (!ins.rows.length) return false;
      await tx.query(
        `INSERT INTO launch_devices (launch_id, device_id, reads) SELECT $1, d, r FROM unnest($2::uuid[], $3::jsonb[]) AS x(d, r)`,
        [ins.rows[0].id, [...gaps.keys()], [...gaps.values()].map((r) => JSON.stringify(r))],
      );
      return true;
    });
  }

  /**
   * The missing ranges per device of a finished launch: for each measurement of an interval, daily or
   * monthly archive with a depth (or, for a re-collection, each range it read), the expected slots the
   * device was asked for that have no reading — or lack one of the item's tags — in ClickHouse.
   */
  async missing(launchId: string): Promise<Map<string, GapRead[]>> {
    const { db } = this.#o;
    const lr = await db.query<{ trigger: string; scheduledAt: Date | string | null; startedAt: Date | string | null; content: TaskContent | string; tz: string }>(
      `SELECT l.trigger, l.scheduled_at AS "scheduledAt", l.started_at AS "startedAt", t.content, p.time_zone AS tz
       FROM task_launches l JOIN collection_tasks t ON t.id = l.task_id JOIN projects p ON p.id = l.project_id WHERE l.id = $1`,
      [launchId],
    );
    const out = new Map<string, GapRead[]>();
    const launch = lr.rows[0];
    if (!launch) return out;
    const devices = await db.query<LaunchDevice>(
      `SELECT ld.device_id AS "deviceId", d.num, ld.started_at AS "startedAt", ld.finished_at AS "finishedAt", ld.reads
       FROM launch_devices ld JOIN devices d ON d.id = ld.device_id WHERE ld.launch_id = $1 AND ld.result IN ('success', 'partial', 'error')`,
      [launchId],
    );
    const content = json(launch.content);
    const ref = ms(launch.scheduledAt ?? launch.startedAt ?? new Date(this.#o.now()));
    // Checks grouped by identical expected slots, so a fleet read with one window costs one query per item.
    const checks = new Map<string, { grid: Grid; item: { archive: GapRead['archive']; tags?: string[] }; slots: number[]; devices: LaunchDevice[] }>();
    const add = (d: LaunchDevice, key: string, item: { archive: GapRead['archive']; tags?: string[] }, windows: TimeRange[]) => {
      const grid = gridOf(item.archive, launch.tz, ref);
      if (!grid) return;
      // Intervals keep half a step inside the window at both ends: a meter clock a little off has not closed
      // (or has just closed) the interval at the edge, and the next launch covers it. Days and months count
      // every slot the window holds, as the read asked for them: a 12-hour margin would drop the oldest or the
      // newest day whenever a launch runs in the wrong half of the day. A register a meter in another zone
      // stamped just outside the window costs at most the capped rounds (a re-collection reads ± 12 hours).
      const margin = grid.kind === 'interval' ? grid.toleranceMs : 0;
      const slots = [...new Set(windows.flatMap((w) => slotsIn(grid, w.fromMs + Math.max(0, margin - 1), w.toMs - margin)))].sort((a, b) => a - b);
      if (!slots.length) return;
      const k = `${key}|${createHash('sha1').update(new Float64Array(slots)).digest('base64')}`;
      const c = checks.get(k);
      if (c) c.devices.push(d);
      else checks.set(k, { grid, item, slots, devices: [d] });
    };
    for (const d of devices.rows) {
      if (launch.trigger === 'gap') {
        json(d.reads ?? [])!.forEach((r, i) => add(d, `r${i}|${r.archive}|${r.tags?.join(',') ?? ''}`, { archive: r.archive, tags: r.tags }, r.ranges));
        continue;
      }
      (content.measurements ?? []).forEach((m, i) => {
        if (!m.depth) return; // read without a range: nothing says which slots to expect
        // The window the device was read with: from the firing time, or (manual launches, whose depth counts
        // from each device's read) the part every read of it covered.
        const window = launch.scheduledAt
          ? { fromMs: depthStart(m.depth, ms(launch.scheduledAt)), toMs: ms(launch.scheduledAt) }
          : d.startedAt && d.finishedAt ? { fromMs: depthStart(m.depth, ms(d.finishedAt)), toMs: ms(d.startedAt) } : undefined;
        if (window) add(d, `m${i}`, { archive: m.archive, ...(m.tags?.length ? { tags: m.tags } : {}) }, [window]);
      });
    }
    for (const c of checks.values()) {
      const series = c.item.tags ? [...new Set(c.item.tags.map(tagSeries))] : undefined;
      const perSlot = series?.length ?? 1;
      const q = { grid: c.grid, slots: c.slots, series };
      const filled = await filledByDevice(this.#o.engine, { ...q, devices: c.devices.map((d) => d.num) });
      const incomplete = c.devices.filter((d) => (filled.get(d.num) ?? 0) < c.slots.length * perSlot);
      if (!incomplete.length) continue;
      const bySlot = await filledByDeviceSlot(this.#o.engine, { ...q, devices: incomplete.map((d) => d.num) });
      for (const d of incomplete) {
        const have = bySlot.get(d.num);
        const gaps = new Set(c.slots.filter((s) => (have?.get(s) ?? 0) < perSlot));
        const ranges = coalesce(c.slots, gaps, this.#o.maxRanges, maxStep(c.grid)).map(([a, b]) => ({ fromMs: a - c.grid.toleranceMs, toMs: b + c.grid.toleranceMs }));
        let reads = out.get(d.deviceId);
        if (!reads) out.set(d.deviceId, (reads = []));
        reads.push({ ...c.item, ranges });
      }
    }
    return out;
  }
}
