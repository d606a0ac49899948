/**
 * Power outages of devices (schemas/postgres/0016_outages.sql): a last gasp opens one (CENC's GASP: line, a
 * power-down push decoded by the pipeline), the first communication after it closes it (the meter connecting
 * to CENC again, any frame of it decoded by the pipeline). At most one is open per device; a close that
 * comes before the open (a replayed frame) leaves it open.
 */
import { OUTAGE_ARCHIVE, type StateChange } from '../decoders/protocol-decoder.js';
import { Conditions, isUuid, type Db } from './db.js';

export type OutageStart = 'last-gasp' | 'power-down-push';
export type OutageEnd = 'connected' | 'communication';

/** Opens an outage of the device (by id) at `atMs` unless one is open; true when it opened one. */
export async function openOutage(db: Db, deviceId: string, atMs: number, by: OutageStart): Promise<boolean> {
  if (!isUuid(deviceId)) return false;
  const r = await db.query(
    `INSERT INTO device_outages (device_id, project_id, started_at, started_by)
     SELECT id, project_id, to_timestamp($2::double precision / 1000), $3 FROM devices WHERE id = $1
     ON CONFLICT (device_id) WHERE ended_at IS NULL DO NOTHING`,
    [deviceId, atMs, by],
  );
  return (r.rowCount ?? 0) > 0;
}

/** Closes the device's open outage, if it started at or before `atMs`; true when it closed one. */
export async function closeOutage(db: Db, deviceId: string, atMs: number, by: OutageEnd): Promise<boolean> {
  if (!isUuid(deviceId)) return false;
  const r = await db.query(
    `UPDATE device_outages SET ended_at = to_timestamp($2::double precision / 1000), ended_by = $3
     WHERE device_id = $1 AND ended_at IS NULL AND started_at <= to_timestamp($2::double precision / 1000)`,
    [deviceId, atMs, by],
  );
  return (r.rowCount ?? 0) > 0;
}

/**
 * The outage state changes of a pipeline batch (devices by number, `state-outage` power off/on): per device
 * in time order, each change that differs from the one before it (the first `on` of a run: the first
 * communication), applied in rounds of one query each, in one transaction.
 */
export async function applyOutageStates(db: Db, changes: readonly StateChange[]): Promise<void> {
  const byDevice = new Map<number, StateChange[]>();
  for (const c of changes) {
    if (c.archive !== OUTAGE_ARCHIVE || (c.value !== 'on' && c.value !== 'off')) continue;
    let list = byDevice.get(c.deviceId);
    if (!list) byDevice.set(c.deviceId, (list = []));
    list.push(c);
  }
  const rounds: { on: [number, number][]; off: [number, number][] }[] = [];
  for (const [num, list] of byDevice) {
    list.sort((a, b) => a.at - b.at);
    let k = 0;
    list.forEach((c, i) => {
      if (i > 0 && c.value === list[i - 1]!.value) return;
      (rounds[k++] ??= { on: [], off: [] })[c.value as 'on' | 'off'].push([num, c.at]);
    });
  }
  if (!rounds.length) return;
  await db.transaction(async (tx) => {
    for (const { on, off } of rounds) {
      if (on.length) {
        await tx.query(
          `UPDATE device_outages o SET ended_at = to_timestamp(t.at / 1000), ended_by = 'communication'
           FROM unnest($1::bigint[], $2::double precision[]) AS t(num, at) JOIN devices d ON d.num = t.num
           WHERE o.device_id = d.id AND o.ended_at IS NULL AND o.started_at <= to_timestamp(t.at / 1000)`,
          [on.map((x) => x[0]), on.map((x) => x[1])],
        );
      }
      if (off.length) {
        await tx.query(
          `INSERT INTO device_outages (device_id, project_id, started_at, started_by)
           SELECT d.id, d.project_id, to_timestamp(t.at / 1000), 'power-down-push'
           FROM unnest($1::bigint[], $2::double precision[]) AS t(num, at) JOIN devices d ON d.num = t.num
           ON CONFLICT (device_id) WHERE ended_at IS NULL DO NOTHING`,
          [off.map((x) => x[0]), off.map((x) => x[1])],
        );
      }
    }
  });
}

export interface Outage {
  startedAt: string;
  startedBy: OutageStart;
  endedAt: string | null;
  endedBy: OutageEnd | null;
}

/** A device's outages, newest first, started within from/to (UTC). */
export async function deviceOutages(
  db: Db, projectId: string, deviceId: string, q: { from?: string; to?: string; limit: number; offset: number },
): Promise<{ items: Outage[]; total: number }> {
  const c = new Conditions({ 'project_id = ?': projectId, 'device_id = ?': deviceId });
  if (q.from) c.add('started_at >= ?::timestamptz', q.from);
  if (q.to) c.add('started_at < ?::timestamptz', q.to);
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM device_outages WHERE ${c.sql}`, c.params);
  const rows = await db.query<{ startedAt: Date | string; startedBy: OutageStart; endedAt: Date | string | null; endedBy: OutageEnd | null }>(
    `SELECT started_at AS "startedAt", started_by AS "startedBy", ended_at AS "endedAt", ended_by AS "endedBy" FROM device_outages WHERE ${c.sql}
     ORDER BY started_at DESC, id DESC LIMIT ${Number(q.limit)} OFFSET ${Number(q.offset)}`,
    c.params,
  );
  const iso = (t: Date | string) => new Date(t).toISOString();
  return {
    total: total.rows[0]?.n ?? 0,
    items: rows.rows.map((r) => ({ startedAt: iso(r.startedAt), startedBy: r.startedBy, endedAt: r.endedAt === null ? null : iso(r.endedAt), endedBy: r.endedBy })),
  };
}

export interface OutageIndices {
  groupId: string | null;
  group: string | null;
  /** Devices of the group (the customers served). */
  customers: number;
  /** Sustained outages overlapping the period. */
  interruptions: number;
  /** Their minutes within the period (an outage still open counts until `nowMs`). */
  minutes: number;
  /** System average interruption duration: minutes per customer served. */
  saidi: number;
  /** System average interruption frequency: interruptions per customer served. */
  saifi: number;
}

/**
 * Outage reliability indices per device group of a project over [fromMs, toMs) (IEEE 1366 style, every
 * meter a customer): outages shorter than `minMinutes` are momentary and left out. The last row (groupId
 * null) is the project (or the one group asked for) as a whole.
 */
export async function outageIndices(
  db: Db, projectId: string, q: { groupId?: string; fromMs: number; toMs: number; nowMs: number; minMinutes: number },
): Promise<OutageIndices[]> {
  const r = await db.query<{ group_id: string; name: string; customers: number; interruptions: number; minutes: number }>(
    `WITH served AS (
       SELECT group_id, count(*)::float8 AS customers FROM devices WHERE project_id = $1 AND ($2::uuid IS NULL OR group_id = $2) GROUP BY group_id
     ), o AS (
       SELECT d.group_id, greatest(o.started_at, $3) AS s, least(coalesce(o.ended_at, $5), $4) AS e
       FROM device_outages o JOIN devices d ON d.id = o.device_id
       WHERE o.project_id = $1 AND ($2::uuid IS NULL OR d.group_id = $2) AND o.started_at < $4 AND coalesce(o.ended_at, $5) > $3
         AND coalesce(o.ended_at, $5) - o.started_at >= make_interval(mins => $6)
     )
     SELECT g.id AS group_id, g.name, s.customers, count(o.s)::float8 AS interruptions, coalesce(sum(extract(epoch FROM o.e - o.s)), 0)::float8 / 60 AS minutes
     FROM served s JOIN device_groups g ON g.id = s.group_id LEFT JOIN o ON o.group_id = s.group_id
     GROUP BY g.id, g.name, s.customers ORDER BY g.name, g.id`,
    [projectId, q.groupId ?? null, new Date(q.fromMs), new Date(q.toMs), new Date(Math.min(q.nowMs, q.toMs)), q.minMinutes],
  );
  const row = (groupId: string | null, group: string | null, customers: number, interruptions: number, minutes: number): OutageIndices => ({
    groupId, group, customers, interruptions, minutes: Math.round(minutes * 100) / 100,
    saidi: customers ? Math.round((10_000 * minutes) / customers) / 10_000 : 0, saifi: customers ? Math.round((10_000 * interruptions) / customers) / 10_000 : 0,
  });
  const groups = r.rows.map((x) => row(x.group_id, x.name, Number(x.customers), Number(x.interruptions), Number(x.minutes)));
  const sum = (k: 'customers' | 'interruptions' | 'minutes') => groups.reduce((a, g) => a + g[k], 0);
  return [...groups, row(null, null, sum('customers'), sum('interruptions'), sum('minutes'))];
}
