/**
 * The CENC service's view of the registry: the `DeviceDirectory` (ingest/cenc/directory.ts) over the
 * devices, CENC channels, comm lines and port bindings of every project, and the AMR agents' sign-in.
 * Meters with dynamic addresses connect in and say who they are; CENC is system-wide, so a meter is looked
 * up across all projects — first by the identity on a CENC channel, then (serial number or IMEI) by the
 * device's serial number. An unknown meter on a port bound to a project registers itself there as a
 * device with its own CENC channel, the project's "CENC" DLMS protocol and a comm line joining them, which
 * the operator completes later (driver, keys). Connections and AMR agent accesses become general events.
 */
import type { AmrAgent } from '../ingest/cenc/agents.js';
import type { DeviceDirectory, DeviceEvent, DeviceIdentity, DeviceRecord } from '../ingest/cenc/directory.js';
import * as crud from './crud.js';
import { hashPassword, verifyPassword } from './crypto.js';
import { isUuid, type Db } from './db.js';
import { RegistryError } from './errors.js';
import { recordEvent, type GeneralEvent } from './events.js';
import { closeOutage, openOutage } from './outages.js';
import { createDevice, saveChannel } from './project-data.js';
import { commLineSpec, protocolSpec } from './specs.js';

export interface RegistryDeviceDirectoryOptions {
  /** Events that concern no device of the registry (unidentified meters, unbound ports) and last gasps. */
  log?: (level: 'info' | 'warn', message: string, fields: Record<string, unknown>) => void;
}

/** The user name of the events CENC records. */
const ACTOR = 'CENC';
/** The DLMS protocol self-registered devices of a project share. */
const PROTOCOL_NAME = 'CENC';
/** Registration attempts when a concurrent registration takes a name first (its own identity or the project's protocol). */
const REGISTER_ATTEMPTS = 3;
const CHANNEL_NAME_MAX = 100;

const SOURCES: Record<string, DeviceRecord['source']> = { MANUAL: 'manual', IMPORTED: 'imported', SELF_REGISTERED: 'self-registered' };

const CONNECTION_EVENTS: Partial<Record<DeviceEvent['type'], GeneralEvent>> = {
  connected: 'SET_CENC_DEVICE_CONNECTED',
  disconnected: 'SET_CENC_DEVICE_DISCONNECTED',
  'access-start': 'SET_CENC_DEVICE_ACCESS_START',
  'access-finish': 'SET_CENC_DEVICE_ACCESS_FINISH',
};

interface DeviceRow {
  id: string;
  project_id: string;
  serial_number: string;
  type: string;
  source: string;
  group_id: string;
  is_default: boolean;
}

const DEVICE_COLUMNS = 'd.id, d.project_id, d.serial_number, d.type, d.source, d.group_id, g.is_default';
const DEVICE_GROUP = 'JOIN device_groups g ON g.project_id = d.project_id AND g.id = d.group_id';

function toRecord(r: DeviceRow): DeviceRecord {
  return {
    deviceId: r.id,
    projectId: r.project_id,
    serial: r.serial_number,
    // AMR agents see the devices "in no group": the project's default group
    groupIds: r.is_default ? [] : [r.group_id],
    type: r.type,
    source: SOURCES[r.source] ?? 'manual',
  };
}

/** System titles are stored as upper-case hex; other identities as the meter sent them. */
const identityValue = (i: DeviceIdentity): string => (i.kind === 'system-title' ? i.value.toUpperCase() : i.value);

const isUniqueViolation = (e: unknown): boolean =>
  (e instanceof RegistryError && e.code === 'ALREADY_EXISTS') || (e as { code?: unknown } | null)?.code === '23505';

export class RegistryDeviceDirectory implements DeviceDirectory {
  private readonly log: NonNullable<RegistryDeviceDirectoryOptions['log']>;

  constructor(private readonly db: Db, options: RegistryDeviceDirectoryOptions = {}) {
    this.log = options.log ?? (() => undefined);
  }

  async find(identity: DeviceIdentity): Promise<DeviceRecord | undefined> {
    const value = identityValue(identity);
    // matches the expressions of the index channels_cenc_identity (schemas/postgres/0009_cenc.sql)
    const byChannel = await this.db.query<DeviceRow>(
      `SELECT ${DEVICE_COLUMNS}
         FROM channels c
         JOIN comm_lines l ON l.project_id = c.project_id AND l.channel_id = c.id
         JOIN devices d ON d.project_id = l.project_id AND d.id = l.device_id
         ${DEVICE_GROUP}
        WHERE c.kind = 'CENC' AND c.settings->>'identifyBy' = $1 AND upper(c.settings->>'identifier') = upper($2) AND d.status <> 'REMOVED'
        ORDER BY l.enabled DESC, d.status = 'IN_USE' DESC, d.enabled DESC, d.added_at DESC, d.id
        LIMIT 1`,
      [identity.kind, value],
    );
    if (byChannel.rows.length) return toRecord(byChannel.rows[0]);
    if (identity.kind !== 'serial' && identity.kind !== 'imei') return undefined;
    const bySerial = await this.db.query<DeviceRow>(
      `SELECT ${DEVICE_COLUMNS} FROM devices d ${DEVICE_GROUP}
        WHERE d.serial_number = $1 AND d.status <> 'REMOVED'
        ORDER BY d.status = 'IN_USE' DESC, d.added_at DESC, d.id
        LIMIT 1`,
      [value],
    );
    return bySerial.rows.length ? toRecord(bySerial.rows[0]) : undefined;
  }

  /**
   * A device of type UNIVERSAL in the project's default group, its CENC channel, the project's CENC protocol
   * and a comm line, in one transaction. When a concurrent registration wins the race for this identity, the
   * device it registered is returned; a race for the project's protocol or a channel name is tried again.
   */
  async register(identity: DeviceIdentity, projectId: string): Promise<DeviceRecord> {
    const value = identityValue(identity);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction((tx) => this.create(tx, { kind: identity.kind, value }, projectId));
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        const winner = await this.find({ kind: identity.kind, value });
        if (winner) return winner;
        if (attempt >= REGISTER_ATTEMPTS) throw e;
      }
    }
  }

  private async create(tx: Db, identity: DeviceIdentity, projectId: string): Promise<DeviceRecord> {
    const device = await createDevice(tx, projectId, { serialNumber: identity.value, type: 'UNIVERSAL' }, 'SELF_REGISTERED');
    const protocolId = await this.cencProtocol(tx, projectId);
    const channel = await saveChannel(tx, projectId, null, {
      name: await freeChannelName(tx, projectId, `CENC ${identity.value}`),
      kind: 'CENC',
      settings: { identifyBy: identity.kind, identifier: identity.value },
    });
    await crud.insert(tx, commLineSpec, projectId, { deviceId: device.id, channelId: channel.id, protocolId, address: '' });
    await recordEvent(tx, {
      category: 'general', code: 'SET_DEVICE_ADD', projectId, username: ACTOR,
      params: { deviceId: device.id, serialNumber: identity.value, source: 'SELF_REGISTERED', identity: { kind: identity.kind, value: identity.value } },
    });
    return { deviceId: String(device.id), projectId, serial: identity.value, groupIds: [], type: String(device.type), source: 'self-registered' };
  }

  /** The project's DLMS protocol named CENC, created (empty settings: the reader's defaults) by the first registration. */
  private async cencProtocol(tx: Db, projectId: string): Promise<string> {
    const found = await tx.query<{ id: string; kind: string }>('SELECT id, kind FROM protocols WHERE project_id = $1 AND lower(name) = lower($2)', [projectId, PROTOCOL_NAME]);
    if (found.rows.length) {
      if (found.rows[0].kind !== 'DLMS') throw new RegistryError('CENC_PROTOCOL_KIND', `the project's protocol "${PROTOCOL_NAME}" is ${found.rows[0].kind}, not DLMS`, 409);
      return found.rows[0].id;
    }
    const created = await crud.insert(tx, protocolSpec, projectId, { name: PROTOCOL_NAME, kind: 'DLMS', settings: {} });
    return String(created.id);
  }

  async get(deviceId: string): Promise<DeviceRecord | undefined> {
    if (!isUuid(deviceId)) return undefined;
    const r = await this.db.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices d ${DEVICE_GROUP} WHERE d.id = $1`, [deviceId]);
    return r.rows.length ? toRecord(r.rows[0]) : undefined;
  }

  async projectForPort(port: number): Promise<string | undefined> {
    if (!Number.isInteger(port)) return undefined;
    const r = await this.db.query<{ project_id: string }>('SELECT project_id FROM port_bindings WHERE port = $1', [port]);
    return r.rows[0]?.project_id;
  }

  async recordEvent(e: DeviceEvent): Promise<void> {
    const fields: Record<string, unknown> = {
      type: e.type, remote: e.remote, port: e.port,
      ...(e.deviceId !== undefined ? { deviceId: e.deviceId } : {}),
      ...(e.identity ? { identity: e.identity } : {}),
      ...(e.detail !== undefined ? { detail: e.detail } : {}),
    };
    if (e.type === 'registered') return; // register() recorded SET_DEVICE_ADD
    if (e.type === 'unidentified' || e.type === 'unbound') return this.log('warn', e.type === 'unbound' ? 'no device and no project bound to the port' : 'meter not identified', fields);
    const deviceId = e.deviceId !== undefined && isUuid(e.deviceId) ? e.deviceId : undefined;
    if (e.type === 'last-gasp') {
      const r = deviceId
        ? await this.db.query('UPDATE devices SET last_gasp_at = to_timestamp($2::double precision / 1000) WHERE id = $1 RETURNING id', [deviceId, e.at])
        : { rowCount: 0 };
      if (r.rowCount) await openOutage(this.db, deviceId!, e.at, 'last-gasp');
      return this.log(r.rowCount ? 'info' : 'warn', r.rowCount ? 'last gasp' : 'last gasp of an unknown device', fields);
    }
    const code = CONNECTION_EVENTS[e.type];
    if (!code) return;
    const device = deviceId
      ? await this.db.query<{ project_id: string }>(
        e.type === 'connected'
          // the last-gasp time shows until the meter is back
          ? 'UPDATE devices SET last_gasp_at = NULL WHERE id = $1 RETURNING project_id'
          : 'SELECT project_id FROM devices WHERE id = $1',
        [deviceId],
      )
      : undefined;
    const projectId = device?.rows[0]?.project_id;
    if (!projectId) return this.log('warn', `${e.type}: no such device`, fields);
    if (e.type === 'connected') await closeOutage(this.db, deviceId!, e.at, 'connected');
    await recordEvent(this.db, {
      category: 'general', code, projectId, username: ACTOR,
      params: {
        deviceId, remote: e.remote, port: e.port,
        ...(e.identity ? { identity: { kind: e.identity.kind, value: e.identity.value } } : {}),
        ...(e.detail !== undefined ? { detail: e.detail } : {}),
      },
    });
  }
}

/** `base`, else `base (2)`, `base (3)`, ...: the first name not taken in the project (names compare case-insensitively). */
async function freeChannelName(db: Db, projectId: string, base: string): Promise<string> {
  // every candidate starts with this much of `base`, even shortened to fit a suffix into the name's length
  const prefix = base.slice(0, CHANNEL_NAME_MAX - 10);
  const r = await db.query<{ name: string }>('SELECT lower(name) AS name FROM channels WHERE project_id = $1 AND lower(left(name, $3)) = lower($2)', [
    projectId, prefix, prefix.length,
  ]);
  const taken = new Set(r.rows.map((x) => x.name));
  for (let n = 1; ; n++) {
    const suffix = n === 1 ? '' : ` (${n})`;
    const name = base.slice(0, CHANNEL_NAME_MAX - suffix.length) + suffix;
    if (!taken.has(name.toLowerCase())) return name;
  }
}

let dummyHash: Promise<string> | undefined;

/** The AMR agent with this name (case-insensitive) and password, or undefined. */
export async function authenticateAgent(db: Db, name: string, password: string): Promise<AmrAgent | undefined> {
  const r = await db.query<{ name: string; project_id: string; group_ids: string[]; password_hash: string }>(
    'SELECT name, project_id, group_ids, password_hash FROM amr_agents WHERE lower(name) = lower($1)', [name],
  );
  const row = r.rows[0];
  // an unknown name costs one hash as well, so the answer's time does not tell which names exist
  const ok = await verifyPassword(password, row?.password_hash ?? (await (dummyHash ??= hashPassword('no such agent'))));
  return row && ok ? { name: row.name, projectId: row.project_id, groupIds: row.group_ids, extended: false } : undefined;
}
