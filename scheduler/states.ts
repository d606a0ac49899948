/**
 * Device states (seed 003 §2.2.29): time, configuration, state, information and relay values read by the
 * scheduler's `state` items, stored only when they change. `device_states` holds the last value per device,
 * archive and code (its `changed_at` and the latest `read_at`); `device_state_history` gets a row per
 * change, the first read included. Tables: schemas/postgres/0007_device_states.sql.
 */
import { Conditions, pageSql, type Db } from '../registry/db.js';
import type { StateChange } from '../decoders/protocol-decoder.js';
import type { CollectedRecord } from './reader.js';

/**
 * Stores one state read; returns the codes whose value changed (or appeared). Concurrent reads of one
 * device are serialized by a transaction-scoped advisory lock, so a change is recorded once.
 */
export async function saveStates(
  db: Db, device: { id: string; projectId: string }, archive: string, records: readonly CollectedRecord[], readAtMs: number,
): Promise<string[]> {
  if (!records.length) return [];
  const readAt = new Date(readAtMs).toISOString();
  const codes = records.map((r) => r.code);
  const values = records.map((r) => JSON.stringify(r.value ?? null));
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [device.id]);
    const changed = await tx.query<{ code: string }>(
      `INSERT INTO device_state_history (device_id, project_id, archive, code, value, changed_at)
       SELECT $1, $2, $3, r.code, r.value, $6::timestamptz
       FROM unnest($4::text[], $5::jsonb[]) AS r(code, value)
       LEFT JOIN device_states s ON s.device_id = $1 AND s.archive = $3 AND s.code = r.code
       WHERE s.value IS DISTINCT FROM r.value
       RETURNING code`,
      [device.id, device.projectId, archive, codes, values, readAt],
    );
    await tx.query(
      `INSERT INTO device_states (device_id, project_id, archive, code, value, changed_at, read_at)
       SELECT $1, $2, $3, r.code, r.value, $6::timestamptz, $6::timestamptz FROM unnest($4::text[], $5::jsonb[]) AS r(code, value)
       ON CONFLICT (device_id, archive, code) DO UPDATE SET
         changed_at = CASE WHEN device_states.value = EXCLUDED.value THEN device_states.changed_at ELSE EXCLUDED.changed_at END,
         value = EXCLUDED.value, read_at = EXCLUDED.read_at`,
      [device.id, device.projectId, archive, codes, values, readAt],
    );
    return changed.rows.map((r) => r.code);
  });
}

/**
 * Stores the state changes the decoder pool found in frames (workers/pipeline.ts `states`), as reads of those
 * states at the time each frame gives. A value the device already has only moves its `read_at`, for the whole
 * batch in one statement (most frames repeat the state); the others go through `saveStates`, per device,
 * archive and time. Changes of devices the registry no longer has are dropped.
 */
export async function saveStateChanges(db: Db, changes: readonly StateChange[]): Promise<void> {
  if (!changes.length) return;
  const nums = [...new Set(changes.map((c) => c.deviceId))];
  const found = await db.query<{ num: string; id: string; project_id: string }>('SELECT num, id, project_id FROM devices WHERE num = ANY($1::bigint[])', [nums]);
  const devices = new Map(found.rows.map((d) => [Number(d.num), { id: d.id, projectId: d.project_id }]));
  const known = changes.filter((c) => devices.has(c.deviceId));
  const same = await db.query<{ i: number }>(
    `UPDATE device_states s SET read_at = greatest(s.read_at, r.at)
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[], $6::int[]) AS r(device_id, archive, code, value, at, i)
      WHERE s.device_id = r.device_id AND s.archive = r.archive AND s.code = r.code AND s.value = r.value
      RETURNING r.i`,
    [known.map((c) => devices.get(c.deviceId)!.id), known.map((c) => c.archive), known.map((c) => c.code), known.map((c) => JSON.stringify(c.value ?? null)),
      known.map((c) => new Date(c.at).toISOString()), known.map((_, i) => i)],
  );
  const unchanged = new Set(same.rows.map((r) => Number(r.i)));
  const reads = new Map<string, { device: { id: string; projectId: string }; archive: string; at: number; records: CollectedRecord[] }>();
  known.forEach((c, i) => {
    if (unchanged.has(i)) return;
    const key = `${c.deviceId}|${c.archive}|${c.at}`;
    let r = reads.get(key);
    if (!r) reads.set(key, (r = { device: devices.get(c.deviceId)!, archive: c.archive, at: c.at, records: [] }));
    r.records.push({ code: c.code, value: c.value });
  });
  for (const r of reads.values()) await saveStates(db, r.device, r.archive, r.records, r.at);
}

export interface StateQuery {
  archive?: string;
  code?: string;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

export interface DeviceState {
  archive: string;
  code: string;
  value: unknown;
  changedAt: string;
  /** Current values only: the latest read that found this value. */
  readAt?: string;
}

const iso = (t: Date | string) => new Date(t).toISOString();

/**
 * A device's states: the current values (by archive and code), or with `history` every change, newest
 * first, within from/to (change time, UTC).
 */
export async function deviceStates(db: Db, projectId: string, deviceId: string, q: StateQuery, history: boolean): Promise<{ items: DeviceState[]; total: number }> {
  const c = new Conditions({ 'project_id = ?': projectId, 'device_id = ?': deviceId });
  if (q.archive) c.add('archive = ?', q.archive);
  if (q.code) c.add('code = ?', q.code);
  if (q.from) c.add('changed_at >= ?::timestamptz', q.from);
  if (q.to) c.add('changed_at < ?::timestamptz', q.to);
  const table = history ? 'device_state_history' : 'device_states';
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${c.sql}`, c.params);
  const pageParams = [...c.params];
  const rows = await db.query<{ archive: string; code: string; value: unknown; changedAt: Date | string; readAt?: Date | string }>(
    `SELECT archive, code, value, changed_at AS "changedAt"${history ? '' : ', read_at AS "readAt"'} FROM ${table} WHERE ${c.sql}
     ORDER BY ${history ? 'changed_at DESC, id DESC' : 'archive, code'} ${pageSql(pageParams, q.limit, q.offset)}`,
    pageParams,
  );
  return {
    total: total.rows[0]?.n ?? 0,
    items: rows.rows.map((r) => ({ archive: r.archive, code: r.code, value: r.value, changedAt: iso(r.changedAt), ...(r.readAt ? { readAt: iso(r.readAt) } : {}) })),
  };
}
