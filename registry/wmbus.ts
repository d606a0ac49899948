/**
 * The registry's side of the wireless M-Bus intake (ingest/wmbus):
 *
 * - `WmbusDirectory`: the meters a project's gateways may hear — comm lines on WMBUS channels, by the meter
 *   address they name (`ID-MAN`), with the device's number, the gateways the channel admits and the project's
 *   zone. Loaded per project in one query and kept as registry/directory-cache.ts keeps entries, so telegrams
 *   cost no query each.
 * - `UnknownMeters`: telegrams of addresses no comm line names, counted in memory and written in one upsert
 *   per `flushMs` (table wmbus_unknown_meters); `listUnknownMeters` serves them to installers, without the
 *   meters registered since.
 */
import type { Db } from './db.js';
import { DirectoryCache, type DirectoryCacheOptions } from './directory-cache.js';
import { SightingTally, type Tallied } from './sighting-tally.js';

export interface WmbusMeter {
  /** The device's number (`devices.num`): bus key and ClickHouse device_id. */
  num: number;
  deviceId: string;
  commLineId: string;
  /** Gateways the channel admits; null = any gateway of the project. */
  gateways: ReadonlySet<string> | null;
}

interface ProjectMeters {
  timeZone: string;
  meters: Map<string, WmbusMeter>;
}

export class WmbusDirectory {
  readonly #projects: DirectoryCache<ProjectMeters>;

  constructor(private readonly db: Db, o: DirectoryCacheOptions = {}) {
    this.#projects = new DirectoryCache((projectId) => this.#load(projectId), o);
  }

  async #load(projectId: string): Promise<ProjectMeters> {
    const [lines, project] = await Promise.all([
      this.db.query<{ address: string; num: string; device_id: string; id: string; gateways: string | null }>(
        `SELECT upper(cl.address) AS address, d.num, d.id AS device_id, cl.id, c.settings->>'gateways' AS gateways
           FROM comm_lines cl JOIN channels c ON c.id = cl.channel_id JOIN devices d ON d.id = cl.device_id
          WHERE cl.project_id = $1 AND c.kind = 'WMBUS' AND cl.enabled AND d.enabled AND d.status <> 'REMOVED'
          ORDER BY cl.priority DESC, cl.id`,
        [projectId],
      ),
      this.db.query<{ time_zone: string }>('SELECT time_zone FROM projects WHERE id = $1', [projectId]),
    ]);
    const meters = new Map<string, WmbusMeter>();
    for (const l of lines.rows) {
      if (meters.has(l.address)) continue; // the comm line of highest priority names the meter
      meters.set(l.address, { num: Number(l.num), deviceId: l.device_id, commLineId: l.id, gateways: l.gateways ? new Set(l.gateways.split(',')) : null });
    }
    return { timeZone: project.rows[0]?.time_zone ?? 'UTC', meters };
  }

  /** The meter named `ID-MAN` in the project, or undefined; an unknown address reloads the project's lines (throttled). */
  async lookup(projectId: string, address: string): Promise<WmbusMeter | undefined> {
    return (await this.#projects.lookup(projectId, (p) => p.meters.get(address))).found;
  }

  /** The project's time zone (IANA name). */
  async timeZone(projectId: string): Promise<string> {
    return (await this.#projects.get(projectId)).timeZone;
  }
}

export interface UnknownSighting {
  manufacturer: string;
  meterId: string;
  version: number;
  deviceType: number;
  securityMode: number;
  gateway: string;
  rssi: number | null;
  at: number;
}

export class UnknownMeters extends SightingTally<UnknownSighting> {
  protected keyOf(s: UnknownSighting): string {
    return `${s.manufacturer}|${s.meterId}|${s.version}|${s.deviceType}`;
  }

  protected takeNewer(t: Tallied<UnknownSighting>, s: UnknownSighting): void {
    Object.assign(t, { gateway: s.gateway, rssi: s.rssi, securityMode: s.securityMode });
  }

  protected async write(batch: Tallied<UnknownSighting>[]): Promise<void> {
    const col = <K extends keyof Tallied<UnknownSighting>>(k: K) => batch.map((t) => t[k]);
    await this.db.query(
      `INSERT INTO wmbus_unknown_meters (project_id, manufacturer, meter_id, version, device_type, first_seen, last_seen, telegrams, security_mode, last_gateway, last_rssi)
       SELECT u.p, u.m, u.i, u.v, u.t, to_timestamp(u.f / 1000.0), to_timestamp(u.l / 1000.0), u.n, u.s, u.g, u.r
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::int[], $6::float8[], $7::float8[], $8::bigint[], $9::int[], $10::text[], $11::int[])
           AS u(p, m, i, v, t, f, l, n, s, g, r)
       ON CONFLICT (project_id, manufacturer, meter_id, version, device_type) DO UPDATE SET
         first_seen = least(wmbus_unknown_meters.first_seen, EXCLUDED.first_seen),
         last_seen = greatest(wmbus_unknown_meters.last_seen, EXCLUDED.last_seen),
         telegrams = wmbus_unknown_meters.telegrams + EXCLUDED.telegrams,
         security_mode = EXCLUDED.security_mode, last_gateway = EXCLUDED.last_gateway, last_rssi = EXCLUDED.last_rssi`,
      [col('projectId'), col('manufacturer'), col('meterId'), col('version'), col('deviceType'), col('first'), col('at'), col('count'),
        col('securityMode'), col('gateway'), col('rssi')],
    );
  }
}

export interface UnknownMeterRow {
  manufacturer: string;
  meterId: string;
  /** What a comm line's address on a WMBUS channel must be to register the meter. */
  address: string;
  version: number;
  deviceType: number;
  firstSeen: string;
  lastSeen: string;
  telegrams: number;
  securityMode: number;
  lastGateway: string;
  lastRssi: number | null;
}

/** Meters heard but not registered (no comm line of the project names them now), most recently heard first. */
export async function listUnknownMeters(db: Db, projectId: string, limit: number, offset: number): Promise<{ total: number; items: UnknownMeterRow[] }> {
  const where = `u.project_id = $1 AND NOT EXISTS (
      SELECT 1 FROM comm_lines cl JOIN channels c ON c.id = cl.channel_id
       WHERE cl.project_id = u.project_id AND c.kind = 'WMBUS' AND upper(cl.address) = u.meter_id || '-' || u.manufacturer)`;
  const [count, rows] = await Promise.all([
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM wmbus_unknown_meters u WHERE ${where}`, [projectId]),
    db.query<{ manufacturer: string; meter_id: string; version: number; device_type: number; first_seen: Date; last_seen: Date; telegrams: string; security_mode: number; last_gateway: string; last_rssi: number | null }>(
      `SELECT * FROM wmbus_unknown_meters u WHERE ${where} ORDER BY last_seen DESC, meter_id LIMIT $2 OFFSET $3`, [projectId, limit, offset],
    ),
  ]);
  return {
    total: count.rows[0]!.n,
    items: rows.rows.map((r) => ({
      manufacturer: r.manufacturer, meterId: r.meter_id, address: `${r.meter_id}-${r.manufacturer}`, version: r.version, deviceType: r.device_type,
      firstSeen: new Date(r.first_seen).toISOString(), lastSeen: new Date(r.last_seen).toISOString(), telegrams: Number(r.telegrams),
      securityMode: r.security_mode, lastGateway: r.last_gateway, lastRssi: r.last_rssi,
    })),
  };
}
