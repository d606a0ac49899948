/**
 * Full project configuration as JSON in the format of seed 003 appendix 1: Meta, Channels, Protocols,
 * Groups (each with its Devices and their CommLines). Settings are JSON strings of string values with the
 * seed's key names (CHAN_TYPE_TCP_OP_IP_ADDRESS, DLMS_PASSWORD, ...). Import upserts by Id, then by name
 * (serial + type for devices), in one transaction.
 */
import { randomUUID } from 'node:crypto';
import { isUuid, type Db, type Row } from './db.js';
import type { SecretBox } from './crypto.js';
import { RegistryError } from './errors.js';
import { ProtocolStore, channelSettings, checkReadChannelKind, defaultGroupId } from './project-data.js';
import { CHANNEL_KINDS, CHANNEL_SETTINGS, DEVICE_STATUSES, DEVICE_TYPES, PROTOCOL_KINDS, PROTOCOL_SETTINGS, type ChannelKind, type ProtocolKind } from './settings.js';
import { checkSettings, fromText } from './settings-check.js';

const snake = (k: string) => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
/** The seed's names for TCP; other kinds follow the same CHAN_TYPE_<KIND>_OP_<SETTING> pattern. */
const channelKeyNames: Record<string, string> = { host: 'IP_ADDRESS', port: 'IP_PORT', use7E1: 'USE_7E1' };
const channelKey = (kind: string, k: string) => `CHAN_TYPE_${kind}_OP_${channelKeyNames[k] ?? snake(k)}`;
const protocolKey = (kind: string, k: string) => `${kind === 'DLMS' ? 'DLMS' : kind}_${snake(k)}`;
const statusCode: Record<string, string> = { IN_USE: 'DS_INUSE', STOCK: 'DS_STOCK', REMOVED: 'DS_REMOVED' };

/** "00:00:05" ⇄ 5 (DLMS_WAIT_TIME is a TimeSpan in the seed). */
const timeSpan = (s: number) => [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((n) => String(n).padStart(2, '0')).join(':');
const seconds = (t: string) => {
  const m = /^(\d+):(\d\d):(\d\d)$/.exec(t);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : fromNumber(t);
};
const fromNumber = (t: string) => (/^\d+$/.test(t) ? Number(t) : t);

function encodeSettings(keyOf: (k: string) => string, settings: Record<string, unknown>): string {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(settings)) {
    if (v === undefined || v === null) continue;
    if (k === 'authentication') out[keyOf(k)] = String(v)[0].toUpperCase() + String(v).slice(1);
    else if (k === 'waitTime') out[keyOf(k)] = timeSpan(Number(v));
    else out[keyOf(k)] = String(v);
  }
  return JSON.stringify(out);
}

function decodeSettings(schema: object, keyOf: (k: string) => string, text: unknown, path: string): Record<string, unknown> {
  let raw: Record<string, unknown>;
  try {
    raw = typeof text === 'string' ? (JSON.parse(text) as Record<string, unknown>) : ((text ?? {}) as Record<string, unknown>);
  } catch {
    throw new RegistryError('VALIDATION_ERROR', `${path} is not valid JSON`, 400, path);
  }
  const props = Object.keys((schema as { properties: object }).properties);
  const byKey = new Map(props.map((p) => [keyOf(p), p]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const p = byKey.get(k);
    if (!p) throw new RegistryError('VALIDATION_ERROR', `${path}.${k} is not a known setting`, 400, `${path}.${k}`);
    const s = String(v);
    out[p] = p === 'authentication' ? s.toLowerCase() : p === 'waitTime' ? seconds(s) : fromText(schema, p, s);
  }
  checkSettings(schema, out, path);
  return out;
}

export async function exportConfig(db: Db, box: SecretBox, projectId: string, appVersion = '0.1.0'): Promise<Row> {
  const store = new ProtocolStore(db, box);
  const channels = await db.query<Row>('SELECT id, name, kind, exclusive, settings FROM channels WHERE project_id = $1 ORDER BY name', [projectId]);
  const protocols = await db.query<Row>('SELECT id, name, kind, settings, secrets_enc AS "secretsEnc" FROM protocols WHERE project_id = $1 ORDER BY name', [projectId]);
  const groups = await db.query<Row>('SELECT id, name FROM device_groups WHERE project_id = $1 ORDER BY is_default DESC, name', [projectId]);
  const devices = await db.query<Row>('SELECT id, serial_number, type, status, added_at, enabled, group_id FROM devices WHERE project_id = $1 ORDER BY serial_number, type', [projectId]);
  const lines = await db.query<Row>('SELECT id, device_id, channel_id, protocol_id, profile_id, protocol_map, enabled, address, priority, attempts FROM comm_lines WHERE project_id = $1 ORDER BY priority, id', [projectId]);
  const linesOf = new Map<unknown, Row[]>();
  for (const l of lines.rows) linesOf.set(l.device_id, [...(linesOf.get(l.device_id) ?? []), {
    Id: l.id, ChannelId: l.channel_id, ProtocolId: l.protocol_id, DeviceLib: l.profile_id ?? '', ProtocolMap: l.protocol_map,
    Enabled: l.enabled, Address: l.address, Priority: l.priority, Attempts: l.attempts,
  }]);
  const devicesOf = new Map<unknown, Row[]>();
  for (const d of devices.rows) devicesOf.set(d.group_id, [...(devicesOf.get(d.group_id) ?? []), {
    Id: d.id, SerialNumber: d.serial_number, Type: `DT_${d.type}`, Status: statusCode[String(d.status)], PlugDate: (d.added_at as Date).toISOString(),
    Enabled: d.enabled, CommLines: linesOf.get(d.id) ?? [], Children: [],
  }]);
  return {
    Meta: { AppName: 'hes', AppVersion: appVersion, SchemaVersion: 'v1', Created: new Date().toISOString() },
    Channels: channels.rows.map((c) => ({
      Id: c.id, Name: c.name, Type: `CHAN_TYPE_${c.kind}`, IsExclusive: c.exclusive, Settings: encodeSettings((k) => channelKey(String(c.kind), k), c.settings as Row),
    })),
    Protocols: protocols.rows.map((p) => ({
      Id: p.id, Name: p.name, Type: `PROTO_${p.kind}`, Settings: encodeSettings((k) => protocolKey(String(p.kind), k), { ...(p.settings as Row), ...store.secrets(p) }),
    })),
    Groups: groups.rows.map((g) => ({ Id: g.id, Name: g.name, Devices: devicesOf.get(g.id) ?? [] })),
  };
}

const str = (v: unknown, path: string, max = 100): string => {
  if (typeof v !== 'string' || v.length < 1 || v.length > max) throw new RegistryError('VALIDATION_ERROR', `${path} must be a string of 1 to ${max} characters`, 400, path);
  return v;
};
const optId = (v: unknown, path: string): string | null => {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string' || !isUuid(v)) throw new RegistryError('VALIDATION_ERROR', `${path} must be a GUID`, 400, path);
  return v.toLowerCase();
};
const arr = (v: unknown, path: string): Row[] => {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new RegistryError('VALIDATION_ERROR', `${path} must be a list`, 400, path);
  return v as Row[];
};

export interface ConfigImportResult {
  channels: number;
  protocols: number;
  groups: number;
  devices: number;
  commLines: number;
}

export async function importConfig(db: Db, box: SecretBox, projectId: string, doc: Row): Promise<ConfigImportResult> {
  if (!doc || typeof doc !== 'object' || (doc.Meta as Row | undefined)?.SchemaVersion !== 'v1') {
    throw new RegistryError('VALIDATION_ERROR', 'Meta.SchemaVersion must be "v1"', 400, 'body.Meta.SchemaVersion');
  }
  const count: ConfigImportResult = { channels: 0, protocols: 0, groups: 0, devices: 0, commLines: 0 };
  return db.transaction(async (tx) => {
    const store = new ProtocolStore(tx, box);
    /** Rows keep their Id when it is free or already this project's; otherwise they get a new one. */
    const resolve = async (table: string, id: string | null, where: string, params: unknown[]): Promise<{ id: string; exists: boolean }> => {
      if (id) {
        const r = await tx.query<{ project_id: string }>(`SELECT project_id FROM ${table} WHERE id = $1`, [id]);
        if (r.rows.length && r.rows[0].project_id === projectId) return { id, exists: true };
        if (!r.rows.length) {
          const byName = await tx.query<{ id: string }>(`SELECT id FROM ${table} WHERE project_id = $1 AND ${where}`, [projectId, ...params]);
          return byName.rows.length ? { id: byName.rows[0].id, exists: true } : { id, exists: false };
        }
      }
      const byName = await tx.query<{ id: string }>(`SELECT id FROM ${table} WHERE project_id = $1 AND ${where}`, [projectId, ...params]);
      return byName.rows.length ? { id: byName.rows[0].id, exists: true } : { id: randomUUID(), exists: false };
    };
    const channelIds = new Map<string, string>();
    const channelKinds = new Map<string, ChannelKind>();
    for (const [i, c] of arr(doc.Channels, 'body.Channels').entries()) {
      const path = `body.Channels[${i}]`;
      const kind = String(c.Type ?? '').replace(/^CHAN_TYPE_/, '') as ChannelKind;
      if (!CHANNEL_KINDS.includes(kind)) throw new RegistryError('VALIDATION_ERROR', `${path}.Type must be one of ${CHANNEL_KINDS.map((k) => 'CHAN_TYPE_' + k).join(', ')}`, 400, `${path}.Type`);
      const name = str(c.Name, `${path}.Name`);
      const settings = channelSettings(kind, decodeSettings(CHANNEL_SETTINGS[kind], (k) => channelKey(kind, k), c.Settings, `${path}.Settings`));
      checkSettings(CHANNEL_SETTINGS[kind], settings, `${path}.Settings`);
      const { id, exists } = await resolve('channels', optId(c.Id, `${path}.Id`), 'lower(name) = lower($2)', [name]);
      if (exists) await tx.query('UPDATE channels SET name = $2, kind = $3, exclusive = $4, settings = $5, version = version + 1 WHERE id = $1', [id, name, kind, !!c.IsExclusive, JSON.stringify(settings)]);
      else await tx.query('INSERT INTO channels (id, project_id, name, kind, exclusive, settings) VALUES ($1, $2, $3, $4, $5, $6)', [id, projectId, name, kind, !!c.IsExclusive, JSON.stringify(settings)]);
      if (c.Id) channelIds.set(String(c.Id).toLowerCase(), id);
      channelKinds.set(id, kind);
      count.channels++;
    }
    const protocolIds = new Map<string, string>();
    for (const [i, p] of arr(doc.Protocols, 'body.Protocols').entries()) {
      const path = `body.Protocols[${i}]`;
      const kind = String(p.Type ?? '').replace(/^PROTO_/, '') as ProtocolKind;
      if (!PROTOCOL_KINDS.includes(kind)) throw new RegistryError('VALIDATION_ERROR', `${path}.Type must be one of ${PROTOCOL_KINDS.map((k) => 'PROTO_' + k).join(', ')}`, 400, `${path}.Type`);
      const name = str(p.Name, `${path}.Name`);
      const settings = decodeSettings(PROTOCOL_SETTINGS[kind], (k) => protocolKey(kind, k), p.Settings, `${path}.Settings`);
      const { id, exists } = await resolve('protocols', optId(p.Id, `${path}.Id`), 'lower(name) = lower($2)', [name]);
      if (exists) {
        await tx.query('UPDATE protocols SET name = $2, kind = $3 WHERE id = $1', [id, name, kind]);
        await store.update(projectId, id, { settings });
      } else {
        await tx.query(`INSERT INTO protocols (id, project_id, name, kind) VALUES ($1, $2, $3, $4)`, [id, projectId, name, kind]);
        await store.update(projectId, id, { settings });
      }
      if (p.Id) protocolIds.set(String(p.Id).toLowerCase(), id);
      count.protocols++;
    }
    const defaultGroup = await defaultGroupId(tx, projectId);
    for (const [gi, g] of arr(doc.Groups, 'body.Groups').entries()) {
      const gpath = `body.Groups[${gi}]`;
      let groupId = defaultGroup;
      if (g.Name !== null && g.Name !== undefined) {
        const name = str(g.Name, `${gpath}.Name`);
        const r = await resolve('device_groups', optId(g.Id, `${gpath}.Id`), 'lower(name) = lower($2)', [name]);
        if (r.exists) await tx.query('UPDATE device_groups SET name = $2 WHERE id = $1', [r.id, name]);
        else await tx.query('INSERT INTO device_groups (id, project_id, name) VALUES ($1, $2, $3)', [r.id, projectId, name]);
        groupId = r.id;
        count.groups++;
      }
      for (const [di, d] of arr(g.Devices, `${gpath}.Devices`).entries()) {
        const path = `${gpath}.Devices[${di}]`;
        const serial = str(d.SerialNumber, `${path}.SerialNumber`);
        const type = String(d.Type ?? '').replace(/^DT_/, '');
        if (!(DEVICE_TYPES as readonly string[]).includes(type)) throw new RegistryError('VALIDATION_ERROR', `${path}.Type must be one of ${DEVICE_TYPES.map((t) => 'DT_' + t).join(', ')}`, 400, `${path}.Type`);
        const status = Object.entries(statusCode).find(([, v]) => v === d.Status)?.[0] ?? (d.Status === undefined ? 'IN_USE' : undefined);
        if (!status || !(DEVICE_STATUSES as readonly string[]).includes(status)) throw new RegistryError('VALIDATION_ERROR', `${path}.Status must be DS_INUSE, DS_STOCK or DS_REMOVED`, 400, `${path}.Status`);
        const plug = d.PlugDate === undefined ? new Date() : new Date(String(d.PlugDate));
        if (Number.isNaN(plug.getTime())) throw new RegistryError('VALIDATION_ERROR', `${path}.PlugDate must be a date-time`, 400, `${path}.PlugDate`);
        const r = await resolve('devices', optId(d.Id, `${path}.Id`), 'serial_number = $2 AND type = $3', [serial, type]);
        if (r.exists) {
          await tx.query('UPDATE devices SET serial_number = $2, type = $3, status = $4, enabled = $5, group_id = $6, version = version + 1 WHERE id = $1', [r.id, serial, type, status, d.Enabled !== false, groupId]);
        } else {
          await tx.query(`INSERT INTO devices (id, project_id, serial_number, type, status, enabled, group_id, added_at, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'IMPORTED')`, [
            r.id, projectId, serial, type, status, d.Enabled !== false, groupId, plug,
          ]);
        }
        count.devices++;
        for (const [li, l] of arr(d.CommLines, `${path}.CommLines`).entries()) {
          const lpath = `${path}.CommLines[${li}]`;
          const ref = (v: unknown, ids: Map<string, string>, field: string) => {
            const id = optId(v, `${lpath}.${field}`);
            const mapped = id ? ids.get(id) : undefined;
            if (!mapped) throw new RegistryError('REFERENCE_NOT_FOUND', `${lpath}.${field} names no entry of the file`, 400, `${lpath}.${field}`);
            return mapped;
          };
          const channelId = ref(l.ChannelId, channelIds, 'ChannelId');
          checkReadChannelKind(channelKinds.get(channelId)!, `${lpath}.ChannelId`);
          const protocolId = ref(l.ProtocolId, protocolIds, 'ProtocolId');
          const lineId = optId(l.Id, `${lpath}.Id`);
          const own = lineId ? await tx.query<{ project_id: string }>('SELECT project_id FROM comm_lines WHERE id = $1', [lineId]) : { rows: [] };
          const priority = Number.isInteger(l.Priority) ? Number(l.Priority) : 0;
          const attempts = Number.isInteger(l.Attempts) ? Number(l.Attempts) : 3;
          const values = [r.id, channelId, protocolId, l.DeviceLib ? String(l.DeviceLib) : null, String(l.ProtocolMap ?? ''), l.Enabled !== false, String(l.Address ?? ''), priority, attempts];
          try {
            if (own.rows.length && own.rows[0].project_id === projectId) {
              await tx.query(`UPDATE comm_lines SET device_id = $2, channel_id = $3, protocol_id = $4, profile_id = $5, protocol_map = $6, enabled = $7, address = $8, priority = $9, attempts = $10, version = version + 1 WHERE id = $1`, [lineId, ...values]);
            } else {
              await tx.query(`INSERT INTO comm_lines (id, project_id, device_id, channel_id, protocol_id, profile_id, protocol_map, enabled, address, priority, attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, [
                own.rows.length || !lineId ? randomUUID() : lineId, projectId, ...values,
              ]);
            }
          } catch (e) {
            if ((e as { code?: string }).code === '23503') throw new RegistryError('REFERENCE_NOT_FOUND', `${lpath}.DeviceLib names no device profile`, 400, `${lpath}.DeviceLib`);
            if ((e as { code?: string }).code === '23514') throw new RegistryError('VALIDATION_ERROR', `${lpath} has a value out of range (Priority 0–999, Attempts 1–100)`, 400, lpath);
            throw e;
          }
          count.commLines++;
        }
      }
    }
    return count;
  });
}
