/**
 * The reading sink of a HES without a bound pipeline: readings go to the registry database (table
 * `readings`, schemas/postgres/0005_readings.sql), keyed by device, archive, OBIS code and device time, so a
 * re-read replaces rather than doubles. The data API reads them back with `measurements`.
 */
import type { Db } from '../registry/db.js';
import type { CollectedRecord, CollectItem, DeviceTarget, ReadingSink } from './reader.js';

export class RegistryReadingSink implements ReadingSink {
  constructor(private readonly db: Db, private readonly now: () => number = Date.now) {}

  async write(device: DeviceTarget, item: CollectItem, records: CollectedRecord[]): Promise<void> {
    if (!records.length) return;
    const archive = item.kind === 'measurement' ? item.item.archive : item.kind === 'state' ? item.archive : 'events';
    const readAt = this.now();
    // One statement per batch; a batch never holds the same key twice (the reader emits one value per row and column).
    await this.db.query(
      `INSERT INTO readings (device_id, project_id, archive, code, tag, device_time, value)
       SELECT $1, $2, $3, r.code, r.tag, to_timestamp(r.ms / 1000.0), r.value
       FROM unnest($4::text[], $5::text[], $6::float8[], $7::jsonb[]) AS r(code, tag, ms, value)
       ON CONFLICT (device_id, archive, code, device_time) DO UPDATE SET tag = EXCLUDED.tag, value = EXCLUDED.value, received_at = now()`,
      [
        device.id, device.projectId, archive,
        records.map((r) => r.code), records.map((r) => r.tag ?? null), records.map((r) => r.deviceTimeMs ?? readAt),
        records.map((r) => JSON.stringify(r.value ?? null)),
      ],
    );
  }
}

export interface MeasurementQuery {
  archive?: string;
  tag?: string;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

export interface Measurement {
  archive: string;
  code: string;
  tag: string | null;
  deviceTime: string;
  value: unknown;
  receivedAt: string;
}

/** A device's readings, newest first, with the total for paging. Times are UTC. */
export async function measurements(db: Db, projectId: string, deviceId: string, q: MeasurementQuery): Promise<{ items: Measurement[]; total: number }> {
  const where = ['project_id = $1', 'device_id = $2'];
  const params: unknown[] = [projectId, deviceId];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (q.archive) add('archive = ?', q.archive);
  if (q.tag) add('tag = ?', q.tag);
  if (q.from) add('device_time >= ?::timestamptz', q.from);
  if (q.to) add('device_time < ?::timestamptz', q.to);
  const cond = where.join(' AND ');
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM readings WHERE ${cond}`, params);
  const rows = await db.query<{ archive: string; code: string; tag: string | null; deviceTime: Date | string; value: unknown; receivedAt: Date | string }>(
    `SELECT archive, code, tag, device_time AS "deviceTime", value, received_at AS "receivedAt" FROM readings WHERE ${cond}
     ORDER BY device_time DESC, archive, code LIMIT ${Number(q.limit)} OFFSET ${Number(q.offset)}`,
    params,
  );
  const iso = (t: Date | string) => new Date(t).toISOString();
  return {
    total: total.rows[0]?.n ?? 0,
    items: rows.rows.map((r) => ({ ...r, deviceTime: iso(r.deviceTime), receivedAt: iso(r.receivedAt) })),
  };
}
