/**
 * The registry's side of the ChirpStack intake (ingest/chirpstack):
 *
 * - `LorawanDirectory`: for a ChirpStack application id, the project whose LORAWAN channel names it (an
 *   application belongs to one project), the integration the channel takes uplinks from, the project's zone and
 *   the devices of its comm lines by DevEUI. Loaded per application in one query and kept as
 *   registry/directory-cache.ts keeps entries (an unknown DevEUI reloads sooner, throttled).
 * - `UnknownLorawanDevices`: uplinks of DevEUIs no comm line names, counted in memory and written in one upsert
 *   per `flushMs` (table lorawan_unknown_devices); `listUnknownLorawanDevices` serves them to installers, without
 *   the devices registered since.
 */
import type { Db } from './db.js';
import { DirectoryCache, type DirectoryCacheOptions } from './directory-cache.js';
import { SightingTally, type Tallied } from './sighting-tally.js';

export interface LorawanDevice {
  /** The device's number (`devices.num`): bus key and ClickHouse device_id. */
  num: number;
  deviceId: string;
  commLineId: string;
}

export interface LorawanApplication {
  projectId: string;
  /** The integration the channel takes uplinks from: an uplink arriving by the other is ignored (no double intake). */
  integration: 'mqtt' | 'http';
  timeZone: string;
  devices: Map<string, LorawanDevice>;
}

export class LorawanDirectory {
  readonly #apps: DirectoryCache<LorawanApplication | null>;

  constructor(private readonly db: Db, o: DirectoryCacheOptions = {}) {
    this.#apps = new DirectoryCache((applicationId) => this.#load(applicationId), o);
  }

  async #load(applicationId: string): Promise<LorawanApplication | null> {
    const ch = await this.db.query<{ id: string; project_id: string; integration: string | null; time_zone: string }>(
      `SELECT c.id, c.project_id, c.settings->>'integration' AS integration, p.time_zone
         FROM channels c JOIN projects p ON p.id = c.project_id
        WHERE c.kind = 'LORAWAN' AND lower(c.settings->>'applicationId') = $1 ORDER BY c.id`,
      [applicationId],
    );
    if (!ch.rows.length) return null;
    const { project_id: projectId, time_zone: timeZone } = ch.rows[0]!;
    const channels = ch.rows.filter((c) => c.project_id === projectId);
    const lines = await this.db.query<{ dev_eui: string; num: string; device_id: string; id: string }>(
      `SELECT upper(cl.address) AS dev_eui, d.num, d.id AS device_id, cl.id
         FROM comm_lines cl JOIN devices d ON d.id = cl.device_id
        WHERE cl.project_id = $1 AND cl.channel_id = ANY($2::uuid[]) AND cl.enabled AND d.enabled AND d.status <> 'REMOVED'
        ORDER BY cl.priority DESC, cl.id`,
      [projectId, channels.map((c) => c.id)],
    );
    const devices = new Map<string, LorawanDevice>();
    for (const l of lines.rows) {
      if (!devices.has(l.dev_eui)) devices.set(l.dev_eui, { num: Number(l.num), deviceId: l.device_id, commLineId: l.id });
    }
    return { projectId, integration: channels[0]!.integration === 'http' ? 'http' : 'mqtt', timeZone, devices };
  }

  /**
   * The application (null: no LORAWAN channel names it) and the device with the DevEUI (upper-case hex), if a
   * comm line names it; a miss reloads the application (throttled).
   */
  async lookup(applicationId: string, devEui: string): Promise<{ app: LorawanApplication | null; device: LorawanDevice | undefined }> {
    const { value, found } = await this.#apps.lookup(applicationId.toLowerCase(), (app) => app?.devices.get(devEui));
    return { app: value, device: found };
  }
}

export interface UnknownUplink {
  devEui: string;
  applicationId: string;
  deviceName: string;
  deviceProfile: string;
  fCnt: number | null;
  rssi: number | null;
  snr: number | null;
  at: number;
}

export class UnknownLorawanDevices extends SightingTally<UnknownUplink> {
  protected keyOf(s: UnknownUplink): string {
    return s.devEui;
  }

  protected takeNewer(t: Tallied<UnknownUplink>, s: UnknownUplink): void {
    Object.assign(t, s);
  }

  protected async write(batch: Tallied<UnknownUplink>[]): Promise<void> {
    const col = <K extends keyof Tallied<UnknownUplink>>(k: K) => batch.map((t) => t[k]);
    await this.db.query(
      `INSERT INTO lorawan_unknown_devices (project_id, dev_eui, application_id, device_name, device_profile, first_seen, last_seen, uplinks, last_f_cnt, last_rssi, last_snr)
       SELECT u.p, u.e, u.a, u.n, u.dp, to_timestamp(u.f / 1000.0), to_timestamp(u.l / 1000.0), u.c, u.fc, u.r, u.s
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::bigint[], $9::bigint[], $10::int[], $11::real[])
           AS u(p, e, a, n, dp, f, l, c, fc, r, s)
       ON CONFLICT (project_id, dev_eui) DO UPDATE SET
         first_seen = least(lorawan_unknown_devices.first_seen, EXCLUDED.first_seen),
         last_seen = greatest(lorawan_unknown_devices.last_seen, EXCLUDED.last_seen),
         uplinks = lorawan_unknown_devices.uplinks + EXCLUDED.uplinks,
         application_id = EXCLUDED.application_id, device_name = EXCLUDED.device_name, device_profile = EXCLUDED.device_profile,
         last_f_cnt = EXCLUDED.last_f_cnt, last_rssi = EXCLUDED.last_rssi, last_snr = EXCLUDED.last_snr`,
      [col('projectId'), col('devEui'), col('applicationId'), col('deviceName'), col('deviceProfile'), col('first'), col('at'), col('count'),
        col('fCnt'), col('rssi'), col('snr')],
    );
  }
}

export interface UnknownLorawanDeviceRow {
  /** What a comm line's address on the application's LORAWAN channel must be to register the device. */
  devEui: string;
  applicationId: string;
  /** The name and device profile ChirpStack gives the device. */
  deviceName: string;
  deviceProfile: string;
  firstSeen: string;
  lastSeen: string;
  uplinks: number;
  lastFCnt: number | null;
  lastRssi: number | null;
  lastSnr: number | null;
}

/** Devices whose uplinks arrive but that no comm line of the project names now, most recently heard first. */
export async function listUnknownLorawanDevices(db: Db, projectId: string, limit: number, offset: number): Promise<{ total: number; items: UnknownLorawanDeviceRow[] }> {
  const where = `u.project_id = $1 AND NOT EXISTS (
      SELECT 1 FROM comm_lines cl JOIN channels c ON c.id = cl.channel_id
       WHERE cl.project_id = u.project_id AND c.kind = 'LORAWAN' AND upper(cl.address) = u.dev_eui)`;
  const [count, rows] = await Promise.all([
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM lorawan_unknown_devices u WHERE ${where}`, [projectId]),
    db.query<{ dev_eui: string; application_id: string; device_name: string; device_profile: string; first_seen: Date; last_seen: Date; uplinks: string; last_f_cnt: string | null; last_rssi: number | null; last_snr: number | null }>(
      `SELECT * FROM lorawan_unknown_devices u WHERE ${where} ORDER BY last_seen DESC, dev_eui LIMIT $2 OFFSET $3`, [projectId, limit, offset],
    ),
  ]);
  return {
    total: count.rows[0]!.n,
    items: rows.rows.map((r) => ({
      devEui: r.dev_eui, applicationId: r.application_id, deviceName: r.device_name, deviceProfile: r.device_profile,
      firstSeen: new Date(r.first_seen).toISOString(), lastSeen: new Date(r.last_seen).toISOString(), uplinks: Number(r.uplinks),
      lastFCnt: r.last_f_cnt === null ? null : Number(r.last_f_cnt), lastRssi: r.last_rssi, lastSnr: r.last_snr === null ? null : Number(r.last_snr),
    })),
  };
}

/**
 * The outcome of a command queued as a LoRaWAN downlink (scheduler/lorawan-reader.ts records ChirpStack's queue
 * item id in the command's result): a `txack` adds that a gateway sent it, an `ack` closes it — acknowledged: done,
 * not acknowledged: error. Each is applied once (a redelivered event changes nothing).
 */
export class LorawanCommandOutcomes {
  constructor(private readonly db: Db) {}

  /** Applies a txack or ack event to the device's command with that queue item; false when there is none. */
  async settle(deviceId: string, e: { event: 'ack' | 'txack'; queueItemId: string; acknowledged: boolean; at: number; fields: Record<string, string> }): Promise<boolean> {
    const at = new Date(e.at).toISOString();
    const r = e.event === 'txack'
      ? await this.db.query(
        `UPDATE device_commands SET note = note || $3, result = result || jsonb_build_object('sentAt', $4::text)
          WHERE device_id = $1 AND result->>'queueItemId' = $2 AND NOT result ? 'sentAt'`,
        [deviceId, e.queueItemId, `; sent by gateway ${e.fields.gatewayId || '?'} (fCntDown ${e.fields.fCntDown})`, at],
      )
      : await this.db.query(
        `UPDATE device_commands SET state = $3, note = note || $4, result = result || jsonb_build_object('acknowledged', $5::boolean), finished_at = $6::timestamptz
          WHERE device_id = $1 AND result->>'queueItemId' = $2 AND NOT result ? 'acknowledged'`,
        [deviceId, e.queueItemId, e.acknowledged ? 'done' : 'error', e.acknowledged ? '; acknowledged by the device' : '; not acknowledged by the device', e.acknowledged, at],
      );
    return (r.rowCount ?? 0) > 0;
  }
}
