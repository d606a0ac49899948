/**
 * The registry's side of UNB (docs/unb.md): base stations (host-level, seed 003 §2.2.19), the meters UNB comm
 * lines name, their SMP-M counters and the stations that hear them, downlink tasks, and the serial numbers
 * heard that no comm line names.
 *
 * - `UnbStations`: base stations — added by identifier and time-zone offset; the access token is issued by the
 *   HES, shown once and kept as its hash; a station is online when it was heard in the last 60 s.
 * - `UnbDirectory`: serial number → the device, its keys (opened with the master key, process memory only), its
 *   comm line's downlink settings, and its last accepted uplink counter. Loaded whole (one query; UNB fleets are
 *   a few hundred thousand meters at most) and used for `ttlMs`; a serial not found reloads sooner, at most every
 *   `missReloadMs`. Counters and receptions are kept in memory and written in one statement per `flush()`.
 * - `UnbDownlinks`: downlink tasks: queued → sent → success/error, cancelled while queued, offered to the
 *   comm line's station or the one that heard the meter best lately, and to the next best when not fetched in time.
 * - `UnknownUnbDevices`: packets of serials no comm line names, counted (registry/sighting-tally.ts), purged after a day.
 */
import type { Db } from './db.js';
import { newToken, tokenHash, type SecretBox } from './crypto.js';
import { openSecurityKey } from './project-data.js';
import { RegistryError } from './errors.js';
import { SightingTally, type Tallied } from './sighting-tally.js';

/** Seconds after its last exchange a station is shown offline (seed 003 §2.2.19.2). */
export const ONLINE_SECONDS = 60;

export interface BaseStation {
  id: string;
  identifier: string;
  tzOffsetMinutes: number;
  note: string;
  status: 'online' | 'offline';
  hasToken: boolean;
  tokenIssuedAt: string | null;
  firmware: string | null;
  latitude: number | null;
  longitude: number | null;
  lastSeen: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

interface StationRow {
  id: string; identifier: string; tz_offset_minutes: number; note: string; token_hash: string | null; token_issued_at: Date | null; firmware: string | null;
  latitude: number | null; longitude: number | null; last_seen: Date | null; created_at: Date; updated_at: Date; version: number;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function stationOf(r: StationRow, now: number): BaseStation {
  return {
    id: r.id, identifier: r.identifier, tzOffsetMinutes: r.tz_offset_minutes, note: r.note,
    status: r.last_seen && now - new Date(r.last_seen).getTime() <= ONLINE_SECONDS * 1000 ? 'online' : 'offline',
    hasToken: r.token_hash !== null, tokenIssuedAt: iso(r.token_issued_at), firmware: r.firmware, latitude: r.latitude, longitude: r.longitude,
    lastSeen: iso(r.last_seen), createdAt: iso(r.created_at)!, updatedAt: iso(r.updated_at)!, version: r.version,
  };
}

/** What a station tells of itself in an exchange. */
export interface StationReport {
  firmware?: string;
  latitude?: number;
  longitude?: number;
}

export class UnbStations {
  constructor(private readonly db: Db, private readonly now: () => number = Date.now) {}

  async list(limit: number, offset: number): Promise<{ total: number; items: BaseStation[] }> {
    const [count, rows] = await Promise.all([
      this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM unb_base_stations'),
      this.db.query<StationRow>('SELECT * FROM unb_base_stations ORDER BY lower(identifier), id LIMIT $1 OFFSET $2', [limit, offset]),
    ]);
    const now = this.now();
    return { total: count.rows[0]!.n, items: rows.rows.map((r) => stationOf(r, now)) };
  }

  async get(id: string): Promise<BaseStation> {
    const r = (await this.db.query<StationRow>('SELECT * FROM unb_base_stations WHERE id = $1', [id])).rows[0];
    if (!r) throw new RegistryError('NOT_FOUND', `no base station ${id}`, 404, 'params.stationId');
    return stationOf(r, this.now());
  }

  async create(s: { identifier: string; tzOffsetMinutes: number; note?: string }): Promise<BaseStation> {
    await this.#unique(s.identifier, null);
    const r = await this.db.query<StationRow>(
      'INSERT INTO unb_base_stations (identifier, tz_offset_minutes, note) VALUES ($1, $2, $3) RETURNING *', [s.identifier, s.tzOffsetMinutes, s.note ?? ''],
    );
    return stationOf(r.rows[0]!, this.now());
  }

  async update(id: string, s: { identifier?: string; tzOffsetMinutes?: number; note?: string }): Promise<BaseStation> {
    if (s.identifier !== undefined) await this.#unique(s.identifier, id);
    const r = await this.db.query<StationRow>(
      `UPDATE unb_base_stations SET identifier = coalesce($2, identifier), tz_offset_minutes = coalesce($3, tz_offset_minutes), note = coalesce($4, note),
              updated_at = now(), version = version + 1 WHERE id = $1 RETURNING *`,
      [id, s.identifier ?? null, s.tzOffsetMinutes ?? null, s.note ?? null],
    );
    if (!r.rows[0]) throw new RegistryError('NOT_FOUND', `no base station ${id}`, 404, 'params.stationId');
    return stationOf(r.rows[0], this.now());
  }

  /** Deletes stations; returns the identifiers of those that existed. */
  async remove(ids: string[]): Promise<string[]> {
    const r = await this.db.query<{ identifier: string }>('DELETE FROM unb_base_stations WHERE id = ANY($1::uuid[]) RETURNING identifier', [ids]);
    return r.rows.map((x) => x.identifier);
  }

  /** A new access token for the station (the old one stops working): returned once, only its hash is kept. */
  async issueToken(id: string): Promise<{ station: BaseStation; token: string }> {
    const token = newToken('unbbs');
    const r = await this.db.query<StationRow>(
      'UPDATE unb_base_stations SET token_hash = $2, token_issued_at = now(), updated_at = now(), version = version + 1 WHERE id = $1 RETURNING *', [id, tokenHash(token)],
    );
    if (!r.rows[0]) throw new RegistryError('NOT_FOUND', `no base station ${id}`, 404, 'params.stationId');
    return { station: stationOf(r.rows[0], this.now()), token };
  }

  /** The station with this identifier whose token this is, or null (unknown identifier, wrong or no token). */
  async authenticate(identifier: string, token: string): Promise<{ id: string; identifier: string; tzOffsetMinutes: number } | null> {
    const r = await this.db.query<{ id: string; identifier: string; tz_offset_minutes: number; token_hash: string | null }>(
      'SELECT id, identifier, tz_offset_minutes, token_hash FROM unb_base_stations WHERE lower(identifier) = lower($1)', [identifier],
    );
    const s = r.rows[0];
    if (!s?.token_hash || s.token_hash !== tokenHash(token)) return null;
    return { id: s.id, identifier: s.identifier, tzOffsetMinutes: s.tz_offset_minutes };
  }

  /** Records an exchange: last activity now, and what the station reported of itself. */
  async seen(id: string, report: StationReport): Promise<void> {
    await this.db.query(
      `UPDATE unb_base_stations SET last_seen = to_timestamp($2 / 1000.0), firmware = coalesce($3, firmware), latitude = coalesce($4, latitude), longitude = coalesce($5, longitude)
        WHERE id = $1`,
      [id, this.now(), report.firmware ?? null, report.latitude ?? null, report.longitude ?? null],
    );
  }

  async #unique(identifier: string, except: string | null): Promise<void> {
    const r = await this.db.query('SELECT 1 FROM unb_base_stations WHERE lower(identifier) = lower($1) AND id IS DISTINCT FROM $2', [identifier, except]);
    if (r.rows.length) throw new RegistryError('CONFLICT', `a base station with identifier ${identifier} exists`, 409, 'body.identifier');
  }
}

/** A meter a UNB comm line names, as the station service and the downlinks need it. */
export interface UnbDevice {
  num: number;
  deviceId: string;
  projectId: string;
  serial: number;
  /** Hex keys (process memory only); null when the device has none of that kind. */
  uplinkKey: string | null;
  downlinkKey: string | null;
  /** The comm line's UNB channel settings: the downlink station (identifier) or none (the best recent RSSI), radio settings. */
  downlink: Record<string, unknown>;
  /** The highest uplink counter accepted (−1: none yet). */
  lastCounter: number;
}

interface Reception {
  deviceId: string;
  stationId: string;
  rssi: number;
  snr: number | null;
  at: number;
}

export class UnbDirectory {
  #devices = new Map<number, UnbDevice>();
  #loadedAt = -Infinity;
  #missAt = -Infinity;
  #loading: Promise<void> | undefined;
  /** Counters and receptions not yet written. */
  #dirtyCounters = new Set<UnbDevice>();
  /** Per station, per device number: the best reception of the flush interval. */
  #receptions = new Map<string, Map<number, Reception>>();

  constructor(private readonly db: Db, private readonly box: SecretBox, private readonly o: { ttlMs?: number; missReloadMs?: number; now?: () => number } = {}) {}

  get #now(): number {
    return (this.o.now ?? Date.now)();
  }

  async #load(): Promise<void> {
    const r = await this.db.query<{
      num: string; device_id: string; project_id: string; serial: string; settings: Record<string, unknown>; last: string | null;
      up_id: string | null; up_enc: string | null; down_id: string | null; down_enc: string | null;
    }>(
      `SELECT DISTINCT ON (d.id) d.num, d.id AS device_id, d.project_id, d.serial_number AS serial, c.settings, u.uplink AS last,
              ku.id AS up_id, ku.key_enc AS up_enc, kd.id AS down_id, kd.key_enc AS down_enc
         FROM comm_lines cl JOIN channels c ON c.id = cl.channel_id AND c.kind = 'UNB'
         JOIN devices d ON d.id = cl.device_id AND d.enabled AND d.status <> 'REMOVED'
         LEFT JOIN unb_counters u ON u.device_id = d.id
         LEFT JOIN security_keys ku ON ku.device_id = d.id AND ku.project_id = d.project_id AND ku.kind = 'XTEA_UPLINK'
         LEFT JOIN security_keys kd ON kd.device_id = d.id AND kd.project_id = d.project_id AND kd.kind = 'XTEA_DOWNLINK'
        WHERE cl.enabled AND d.serial_number ~ '^[0-9]{1,10}$'
        ORDER BY d.id, cl.priority DESC, cl.id`,
    );
    const devices = new Map<number, UnbDevice>();
    for (const x of r.rows) {
      const serial = Number(x.serial);
      if (serial > 0xffffffff) continue;
      const known = this.#devices.get(serial);
      const stored = x.last === null ? -1 : Number(x.last);
      devices.set(serial, {
        num: Number(x.num), deviceId: x.device_id, projectId: x.project_id, serial,
        uplinkKey: x.up_id ? openSecurityKey(this.box, { id: x.up_id, keyEnc: x.up_enc! }) : null,
        downlinkKey: x.down_id ? openSecurityKey(this.box, { id: x.down_id, keyEnc: x.down_enc! }) : null,
        downlink: x.settings ?? {},
        // what this process accepted since the last flush is newer than the table
        lastCounter: known && known.deviceId === x.device_id ? Math.max(known.lastCounter, stored) : stored,
      });
    }
    this.#devices = devices;
    this.#loadedAt = this.#now;
  }

  async #reload(): Promise<void> {
    this.#loading ??= this.#load().finally(() => (this.#loading = undefined));
    return this.#loading;
  }

  /** The device a serial number names, or undefined (no enabled UNB comm line names it). */
  async lookup(serial: number): Promise<UnbDevice | undefined> {
    if (this.#now - this.#loadedAt > (this.o.ttlMs ?? 60_000)) await this.#reload();
    const hit = this.#devices.get(serial);
    if (hit || this.#now - this.#missAt < (this.o.missReloadMs ?? 10_000)) return hit;
    this.#missAt = this.#now;
    await this.#reload();
    return this.#devices.get(serial);
  }

  /** Takes `counter` as the device's last accepted uplink counter (written at the next flush). */
  accept(device: UnbDevice, counter: number): void {
    if (counter <= device.lastCounter) return;
    device.lastCounter = counter;
    this.#dirtyCounters.add(device);
  }

  /** How well a station heard a device (the best of the flush interval is kept per pair). */
  heard(device: UnbDevice, stationId: string, rssi: number, snr: number | null, at: number): void {
    let byDevice = this.#receptions.get(stationId);
    if (!byDevice) this.#receptions.set(stationId, (byDevice = new Map()));
    const r = byDevice.get(device.num);
    if (!r || rssi > r.rssi || at - r.at > 60_000) byDevice.set(device.num, { deviceId: device.deviceId, stationId, rssi, snr, at });
  }

  /** Writes counters and receptions gathered since the last flush (one statement each); on failure they wait for the next. */
  async flush(): Promise<void> {
    const dirty = this.#dirtyCounters;
    const receptions = this.#receptions;
    this.#dirtyCounters = new Set();
    this.#receptions = new Map();
    // A reload makes new objects: the same device may be here twice.
    const byDevice = new Map<string, number>();
    for (const d of dirty) byDevice.set(d.deviceId, Math.max(byDevice.get(d.deviceId) ?? -1, d.lastCounter));
    try {
      await this.#write([...byDevice].map(([deviceId, lastCounter]) => ({ deviceId, lastCounter })), [...receptions.values()].flatMap((m) => [...m.values()]));
    } catch (e) {
      for (const d of dirty) this.#dirtyCounters.add(d);
      for (const [station, m] of receptions) {
        const now = this.#receptions.get(station);
        if (!now) this.#receptions.set(station, m);
        else for (const [num, r] of m) if (!now.has(num)) now.set(num, r);
      }
      throw e;
    }
  }

  async #write(counters: { deviceId: string; lastCounter: number }[], receptions: Reception[]): Promise<void> {
    if (counters.length) {
      await this.db.query(
        `INSERT INTO unb_counters (device_id, uplink) SELECT * FROM unnest($1::uuid[], $2::bigint[])
         ON CONFLICT (device_id) DO UPDATE SET uplink = greatest(unb_counters.uplink, EXCLUDED.uplink)`,
        [counters.map((d) => d.deviceId), counters.map((d) => d.lastCounter)],
      );
    }
    if (receptions.length) {
      await this.db.query(
        `INSERT INTO unb_receptions (device_id, station_id, rssi, snr, heard_at)
         SELECT u.d, u.s, u.r, u.n, to_timestamp(u.a / 1000.0) FROM unnest($1::uuid[], $2::uuid[], $3::real[], $4::real[], $5::float8[]) AS u(d, s, r, n, a)
           JOIN unb_base_stations b ON b.id = u.s
         ON CONFLICT (device_id, station_id) DO UPDATE SET rssi = EXCLUDED.rssi, snr = EXCLUDED.snr, heard_at = EXCLUDED.heard_at`,
        [receptions.map((r) => r.deviceId), receptions.map((r) => r.stationId), receptions.map((r) => r.rssi), receptions.map((r) => r.snr), receptions.map((r) => r.at)],
      );
    }
  }
}

export type DownlinkKind = 'relay-connect' | 'relay-disconnect' | 'time-correction';
export type DownlinkState = 'queued' | 'sent' | 'success' | 'error' | 'cancelled';

export interface DownlinkTask {
  id: number;
  projectId: string;
  deviceId: string;
  serialNumber: string;
  kind: DownlinkKind;
  params: Record<string, unknown>;
  state: DownlinkState;
  /** The station it is offered to now (identifier), and the one that fetched it. */
  offeredTo: string | null;
  sentBy: string | null;
  counter: number | null;
  note: string;
  username: string | null;
  launchId: string | null;
  createdAt: string;
  updatedAt: string;
}

const TASK_SELECT = `SELECT t.*, d.serial_number, o.identifier AS offered_identifier, s.identifier AS sent_identifier
  FROM unb_downlink_tasks t JOIN devices d ON d.id = t.device_id
  LEFT JOIN unb_base_stations o ON o.id = t.offered_to LEFT JOIN unb_base_stations s ON s.id = t.sent_by`;

interface TaskRow {
  id: string; project_id: string; device_id: string; serial_number: string; kind: DownlinkKind; params: Record<string, unknown>; state: DownlinkState;
  offered_identifier: string | null; sent_identifier: string | null; counter: string | null; note: string; username: string | null; launch_id: string | null;
  created_at: Date; updated_at: Date;
}

function taskOf(r: TaskRow): DownlinkTask {
  return {
    id: Number(r.id), projectId: r.project_id, deviceId: r.device_id, serialNumber: r.serial_number, kind: r.kind, params: r.params, state: r.state,
    offeredTo: r.offered_identifier, sentBy: r.sent_identifier, counter: r.counter === null ? null : Number(r.counter), note: r.note, username: r.username,
    launchId: r.launch_id, createdAt: iso(r.created_at)!, updatedAt: iso(r.updated_at)!,
  };
}

/** A task handed to a station: what it sends to which meter, sealed already. */
export interface FetchedTask {
  id: number;
  deviceId: string;
  serial: number;
  kind: DownlinkKind;
  params: Record<string, unknown>;
  counter: number;
  downlink: Record<string, unknown>;
  downlinkKey: string | null;
}

export class UnbDownlinks {
  constructor(private readonly db: Db, private readonly o: { offerSeconds?: number; receptionHours?: number } = {}) {}

  /** Queues a task for a device with an enabled UNB comm line; offers it at once to its station. */
  async create(t: { projectId: string; deviceId: string; kind: DownlinkKind; params?: Record<string, unknown>; userId?: string | null; username?: string | null; launchId?: string | null }): Promise<DownlinkTask> {
    const unb = await this.db.query(
      `SELECT 1 FROM comm_lines cl JOIN channels c ON c.id = cl.channel_id AND c.kind = 'UNB' WHERE cl.device_id = $1 AND cl.project_id = $2 AND cl.enabled`, [t.deviceId, t.projectId],
    );
    if (!unb.rows.length) throw new RegistryError('NOT_A_UNB_DEVICE', `device ${t.deviceId} has no enabled comm line on a UNB channel`, 422, 'params.deviceId');
    const r = await this.db.query<{ id: string }>(
      `INSERT INTO unb_downlink_tasks (project_id, device_id, kind, params, user_id, username, launch_id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [t.projectId, t.deviceId, t.kind, JSON.stringify(t.params ?? {}), t.userId ?? null, t.username ?? null, t.launchId ?? null],
    );
    const id = Number(r.rows[0]!.id);
    await this.#offer([id]);
    return this.get(t.projectId, id);
  }

  async get(projectId: string, id: number): Promise<DownlinkTask> {
    const r = await this.db.query<TaskRow>(`${TASK_SELECT} WHERE t.project_id = $1 AND t.id = $2`, [projectId, id]);
    if (!r.rows[0]) throw new RegistryError('NOT_FOUND', `no downlink task ${id}`, 404, 'params.taskId');
    return taskOf(r.rows[0]);
  }

  /** A device's tasks, or a station's (offered to or fetched by it), newest first. */
  async list(by: { projectId: string; deviceId: string } | { stationId: string }, limit: number, offset: number): Promise<{ total: number; items: DownlinkTask[] }> {
    const [where, args] = 'deviceId' in by ? ['t.project_id = $1 AND t.device_id = $2', [by.projectId, by.deviceId]] : ['(t.offered_to = $1 OR t.sent_by = $1)', [by.stationId]];
    const n = args.length;
    const [count, rows] = await Promise.all([
      this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM unb_downlink_tasks t WHERE ${where}`, args),
      this.db.query<TaskRow>(`${TASK_SELECT} WHERE ${where} ORDER BY t.created_at DESC, t.id DESC LIMIT $${n + 1} OFFSET $${n + 2}`, [...args, limit, offset]),
    ]);
    return { total: count.rows[0]!.n, items: rows.rows.map(taskOf) };
  }

  /** Cancels a queued task; a task a station fetched already cannot be called back (409). */
  async cancel(projectId: string, id: number, username: string | null): Promise<DownlinkTask> {
    const r = await this.db.query(
      `UPDATE unb_downlink_tasks SET state = 'cancelled', note = $3, updated_at = now() WHERE project_id = $1 AND id = $2 AND state = 'queued' RETURNING id`,
      [projectId, id, `cancelled by ${username ?? 'user'}`],
    );
    if (!r.rows.length) {
      const t = await this.get(projectId, id);
      throw new RegistryError('CONFLICT', `downlink task ${id} is ${t.state}: only a queued task can be cancelled`, 409, 'params.taskId');
    }
    return this.get(projectId, id);
  }

  /** Deletes a finished task (success, error, cancelled) from the list; an open one must finish or be cancelled first (409). */
  async remove(projectId: string, id: number): Promise<void> {
    const r = await this.db.query(`DELETE FROM unb_downlink_tasks WHERE project_id = $1 AND id = $2 AND state IN ('success', 'error', 'cancelled') RETURNING id`, [projectId, id]);
    if (!r.rows.length) {
      const t = await this.get(projectId, id);
      throw new RegistryError('CONFLICT', `downlink task ${id} is ${t.state}: only a finished task can be deleted`, 409, 'params.taskId');
    }
  }

  /**
   * Offers queued tasks to a station: the comm line's downlink station, else the station that heard the meter
   * best in the last `receptionHours` and was not tried yet; a task nobody can take stays queued unoffered.
   */
  async #offer(ids: number[] | null): Promise<void> {
    await this.db.query(
      `UPDATE unb_downlink_tasks t SET offered_to = pick.station, offered_at = now(), tried = CASE WHEN t.offered_to IS NULL THEN t.tried ELSE t.tried || t.offered_to END
         FROM (
           SELECT t2.id, coalesce(
             (SELECT b.id FROM comm_lines cl JOIN channels c ON c.id = cl.channel_id AND c.kind = 'UNB'
                JOIN unb_base_stations b ON lower(b.identifier) = lower(c.settings->>'baseStationId')
               WHERE cl.device_id = t2.device_id AND cl.enabled AND NOT b.id = ANY(t2.tried) AND b.id IS DISTINCT FROM t2.offered_to ORDER BY cl.priority DESC LIMIT 1),
             (SELECT r.station_id FROM unb_receptions r
               WHERE r.device_id = t2.device_id AND r.heard_at > now() - make_interval(hours => $2) AND NOT r.station_id = ANY(t2.tried)
                 AND r.station_id IS DISTINCT FROM t2.offered_to
               ORDER BY r.rssi DESC LIMIT 1)) AS station
             FROM unb_downlink_tasks t2
            WHERE t2.state = 'queued' AND ($1::bigint[] IS NULL OR t2.id = ANY($1::bigint[]))
         ) pick
        WHERE t.id = pick.id AND pick.station IS NOT NULL`,
      [ids, this.o.receptionHours ?? 24],
    );
  }

  /**
   * The queued tasks offered to this station, marked sent by it, each with a fresh downlink counter; first the
   * tasks offered elsewhere longer than `offerSeconds` go to their next best station.
   */
  async fetch(stationId: string, directory: UnbDirectory, limit = 100): Promise<FetchedTask[]> {
    const stale = await this.db.query<{ id: string }>(
      `SELECT id FROM unb_downlink_tasks WHERE state = 'queued' AND (offered_to IS NULL OR offered_at < now() - make_interval(secs => $1))`, [this.o.offerSeconds ?? 300],
    );
    if (stale.rows.length) {
      await directory.flush(); // the receptions of the last seconds choose the station too
      await this.#offer(stale.rows.map((r) => Number(r.id)));
    }
    const taken = await this.db.query<{ id: string; device_id: string; kind: DownlinkKind; params: Record<string, unknown>; serial: string; counter: string }>(
      `WITH picked AS (
         SELECT id, device_id FROM unb_downlink_tasks WHERE state = 'queued' AND offered_to = $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
       ), numbered AS (
         INSERT INTO unb_counters AS u (device_id, downlink) SELECT device_id, count(*) FROM picked GROUP BY device_id
         ON CONFLICT (device_id) DO UPDATE SET downlink = u.downlink + EXCLUDED.downlink RETURNING u.device_id, u.downlink
       )
       UPDATE unb_downlink_tasks t SET state = 'sent', sent_by = $1, updated_at = now(),
              counter = n.downlink - (SELECT count(*) FROM picked p2 WHERE p2.device_id = t.device_id AND p2.id > t.id)
         FROM picked p, numbered n, devices d
        WHERE t.id = p.id AND n.device_id = t.device_id AND d.id = t.device_id
        RETURNING t.id, t.device_id, t.kind, t.params, d.serial_number AS serial, t.counter`,
      [stationId, limit],
    );
    const out: FetchedTask[] = [];
    for (const r of taken.rows) {
      const device = await directory.lookup(Number(r.serial));
      out.push({
        id: Number(r.id), deviceId: r.device_id, serial: Number(r.serial), kind: r.kind, params: r.params, counter: Number(r.counter),
        downlink: device?.downlink ?? {}, downlinkKey: device?.downlinkKey ?? null,
      });
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /** What a station reports of tasks it fetched: success or error, with its note. Returns the ids it did not send (ignored). */
  async report(stationId: string, results: { taskId: number; state: 'success' | 'error'; note?: string }[]): Promise<number[]> {
    if (!results.length) return [];
    const r = await this.db.query<{ id: string }>(
      `UPDATE unb_downlink_tasks t SET state = u.s, note = u.n, updated_at = now()
         FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u(i, s, n)
        WHERE t.id = u.i AND t.sent_by = $1 AND t.state = 'sent' RETURNING t.id`,
      [stationId, results.map((x) => x.taskId), results.map((x) => x.state), results.map((x) => x.note ?? '')],
    );
    const done = new Set(r.rows.map((x) => Number(x.id)));
    return results.map((x) => x.taskId).filter((id) => !done.has(id));
  }
}

/** A packet of a serial number no comm line names. */
export interface UnknownPacket {
  serial: number;
  station: string;
  counter: number;
  rssi: number | null;
  packet: string;
  at: number;
}

export class UnknownUnbDevices extends SightingTally<UnknownPacket> {
  protected keyOf(s: UnknownPacket): string {
    return String(s.serial);
  }

  protected takeNewer(t: Tallied<UnknownPacket>, s: UnknownPacket): void {
    Object.assign(t, s);
  }

  protected async write(batch: Tallied<UnknownPacket>[]): Promise<void> {
    const col = <K extends keyof Tallied<UnknownPacket>>(k: K) => batch.map((t) => t[k]);
    await this.db.query(
      `INSERT INTO unb_unknown_devices (serial, first_seen, last_seen, packets, last_station, last_counter, last_rssi, last_packet)
       SELECT u.s, to_timestamp(u.f / 1000.0), to_timestamp(u.l / 1000.0), u.c, u.st, u.ct, u.r, u.p
         FROM unnest($1::bigint[], $2::float8[], $3::float8[], $4::bigint[], $5::text[], $6::bigint[], $7::real[], $8::text[]) AS u(s, f, l, c, st, ct, r, p)
       ON CONFLICT (serial) DO UPDATE SET
         first_seen = least(unb_unknown_devices.first_seen, EXCLUDED.first_seen), last_seen = greatest(unb_unknown_devices.last_seen, EXCLUDED.last_seen),
         packets = unb_unknown_devices.packets + EXCLUDED.packets, last_station = EXCLUDED.last_station, last_counter = EXCLUDED.last_counter,
         last_rssi = EXCLUDED.last_rssi, last_packet = EXCLUDED.last_packet`,
      [col('serial'), col('first'), col('at'), col('count'), col('station'), col('counter'), col('rssi'), col('packet')],
    );
    // Kept briefly, for diagnosis: a serial unheard for a day goes.
    await this.db.query(`DELETE FROM unb_unknown_devices WHERE last_seen < now() - interval '1 day'`);
  }
}

export interface UnknownUnbDeviceRow {
  serial: number;
  firstSeen: string;
  lastSeen: string;
  packets: number;
  lastStation: string;
  lastCounter: number | null;
  lastRssi: number | null;
  lastPacket: string;
}

/** Serial numbers heard in the last day that no UNB comm line names now, most recently heard first. */
export async function listUnknownUnbDevices(db: Db, limit: number, offset: number): Promise<{ total: number; items: UnknownUnbDeviceRow[] }> {
  const where = `NOT EXISTS (SELECT 1 FROM comm_lines cl JOIN channels c ON c.id = cl.channel_id AND c.kind = 'UNB' JOIN devices d ON d.id = cl.device_id
                              WHERE d.serial_number = u.serial::text)`;
  const [count, rows] = await Promise.all([
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM unb_unknown_devices u WHERE ${where}`),
    db.query<{ serial: string; first_seen: Date; last_seen: Date; packets: string; last_station: string; last_counter: string | null; last_rssi: number | null; last_packet: string }>(
      `SELECT * FROM unb_unknown_devices u WHERE ${where} ORDER BY last_seen DESC, serial LIMIT $1 OFFSET $2`, [limit, offset],
    ),
  ]);
  return {
    total: count.rows[0]!.n,
    items: rows.rows.map((r) => ({
      serial: Number(r.serial), firstSeen: iso(r.first_seen)!, lastSeen: iso(r.last_seen)!, packets: Number(r.packets), lastStation: r.last_station,
      lastCounter: r.last_counter === null ? null : Number(r.last_counter), lastRssi: r.last_rssi === null ? null : Number(r.last_rssi), lastPacket: r.last_packet,
    })),
  };
}
