/**
 * The registry's devices copied into ClickHouse (`devices_dim`, the `devices` dictionary over it) so SQL users
 * and Grafana name readings by serial, project, group, profile and channel kind (docs/sql.md). chDB cannot
 * reach PostgreSQL or PGlite, so the HES writes the copy: it compares a cheap fingerprint of the registry
 * every `clickhouse.devicesRefreshSeconds` and, when it changed, writes a complete copy into a scratch table
 * and swaps it in atomically (EXCHANGE TABLES), so readers never see a half-written list.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../../registry/db.js';
import type { ClickHouseEngine } from './engine.js';

/** Devices written per INSERT: bounds the memory of a refresh of a million devices. */
const PAGE = 20_000;

/**
 * Changes when any device, group, project, channel or comm line is added, removed or updated: updates bump
 * `version`, and the id hash tells a removal followed by an addition apart from no change.
 */
const FINGERPRINT = ['devices', 'device_groups', 'projects', 'channels', 'comm_lines']
  .map((t) => `(SELECT count(*) || ':' || coalesce(sum(version), 0) || ':' || coalesce(sum(('x' || left(md5(id::text), 8))::bit(32)::int::bigint), 0) FROM ${t})`)
  .join(` || '|' || `);

interface DeviceRow {
  device_id: number;
  device_uuid: string;
  serial: string;
  device_type: string;
  status: string;
  enabled: boolean;
  project_id: string;
  project: string;
  project_tz: string;
  group_id: string;
  group_name: string;
  profile_ids: string[];
  channel_kinds: string[];
}

// Comm lines in the scheduler's order of preference (priority descending); disabled ones left out.
const PAGE_SQL = `
  SELECT d.num AS device_id, d.id::text AS device_uuid, d.serial_number AS serial, d.type AS device_type, d.status, d.enabled,
         d.project_id::text AS project_id, p.name AS project, p.time_zone AS project_tz, d.group_id::text AS group_id, g.name AS group_name,
         coalesce(array_agg(cl.profile_id ORDER BY cl.priority DESC, cl.id) FILTER (WHERE cl.enabled AND cl.profile_id IS NOT NULL), '{}') AS profile_ids,
         coalesce(array_agg(ch.kind ORDER BY cl.priority DESC, cl.id) FILTER (WHERE cl.enabled), '{}') AS channel_kinds
    FROM devices d
    JOIN projects p ON p.id = d.project_id
    JOIN device_groups g ON g.id = d.group_id
    LEFT JOIN comm_lines cl ON cl.device_id = d.id
    LEFT JOIN channels ch ON ch.id = cl.channel_id
   WHERE d.num > $1
   GROUP BY d.id, p.id, g.id
   ORDER BY d.num
   LIMIT ${PAGE}`;

export class DevicesDimension {
  #fingerprint: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;
  // Unique per process: several HES processes may refresh one ClickHouse server.
  readonly #scratch = `devices_dim_next_${randomBytes(4).toString('hex')}`;

  constructor(private readonly db: Db, private readonly engine: ClickHouseEngine) {}

  /** Copies the registry's devices into `devices_dim` when they changed since the last copy; true when copied. */
  async refreshIfChanged(): Promise<boolean> {
    const { rows } = await this.db.query<{ f: string }>(`SELECT ${FINGERPRINT} AS f`);
    const fingerprint = rows[0]!.f;
    if (fingerprint === this.#fingerprint) return false;
    await this.refresh();
    this.#fingerprint = fingerprint;
    return true;
  }

  /** Writes every device of the registry into `devices_dim` (replacing its content) and reloads the dictionary. */
  async refresh(): Promise<number> {
    const scratch = this.#scratch;
    await this.engine.exec(`DROP TABLE IF EXISTS ${scratch}`);
    await this.engine.exec(`CREATE TABLE ${scratch} AS devices_dim`);
    let count = 0;
    try {
      for (let after = 0; ;) {
        const { rows } = await this.db.query<DeviceRow>(PAGE_SQL, [after]);
        if (!rows.length) break;
        const lines = rows.map((r) => JSON.stringify({ ...r, profile_id: r.profile_ids[0] ?? '', comm_kind: r.channel_kinds[0] ?? '' }));
        await this.engine.exec(`INSERT INTO ${scratch} FORMAT JSONEachRow\n${lines.join('\n')}`);
        count += rows.length;
        after = Number(rows[rows.length - 1]!.device_id);
      }
      await this.engine.exec(`EXCHANGE TABLES ${scratch} AND devices_dim`);
    } finally {
      await this.engine.exec(`DROP TABLE IF EXISTS ${scratch}`);
    }
    await this.engine.exec('SYSTEM RELOAD DICTIONARY devices');
    return count;
  }

  /** Checks now and then `seconds` after each check ends; a failed check is reported and tried again at the next. */
  start(seconds: number, onError: (message: string) => void): void {
    const tick = async (): Promise<void> => {
      try {
        await this.refreshIfChanged();
      } catch (e) {
        onError(`devices_dim refresh failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (this.#stopped) return;
      this.#timer = setTimeout(() => {
        this.#running = tick();
      }, seconds * 1000);
      this.#timer.unref();
    };
    this.#running = tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }
}
