/**
 * Full project configuration as JSON in the format of seed 003 appendix 1: Meta, Channels, Protocols,
 * DeviceProfiles (config-profiles.ts), Groups (each with its Devices and their CommLines). Settings are JSON strings of string values with the
 * seed's key names (CHAN_TYPE_TCP_OP_IP_ADDRESS, DLMS_WAIT_TIME, ...). A protocol's secrets are not in its
 * Settings but in `Secrets` (DLMS_PASSWORD → `{ "secretsSet": true }`, or wrapped under a transport key:
 * registry/secret-transport.ts). Import upserts by Id, then by name (serial + type for devices; device ×
 * channel × protocol × address for comm lines), in one transaction, and refuses a file naming one thing twice.
 */
import { randomUUID } from 'node:crypto';
import { isUuid, type Db, type Row } from './db.js';
import type { SecretBox } from './crypto.js';
import { RegistryError } from './errors.js';
import { exportSecret, importSecret, SECRET_PLACEHOLDER, type SecretExport } from './secret-transport.js';
import { ProtocolStore, channelSettings, defaultGroupId } from './project-data.js';
import { CHANNEL_KINDS, CHANNEL_SETTINGS, DEVICE_STATUSES, DEVICE_TYPES, PROTOCOL_KINDS, PROTOCOL_SECRETS, PROTOCOL_SETTINGS, withDefaults, type ChannelKind, type ProtocolKind } from './settings.js';
import { checkSettings, fromText } from './settings-check.js';
import { exportProfiles, importProfiles, type ProfileImportOptions } from './config-profiles.js';

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

/** Secrets in a file: placeholders, wrapped, or in clear — the latter only inside a passphrase-sealed file. */
export type SecretsInFile = SecretExport | { kind: 'clear' };

export interface ConfigExport {
  doc: Row;
  /** Secrets written wrapped or in clear (placeholders do not count): what the audit event names. */
  secrets: number;
}

interface ExportContext { db: Db; store: ProtocolStore; projectId: string; secrets: SecretsInFile; written: number }

const secretEntry = (mode: SecretsInFile, value: string): Row =>
  mode.kind === 'clear' ? { value } : mode.kind === 'wrap' ? { wrapped: exportSecret(mode, value) } : { secretsSet: true };

/**
 * The file's sections after Meta, in import order (a section may refer to the ones before it). A new section
 * (device profiles, ...) adds one entry here with its export and its import.
 */
const SECTIONS: ReadonlyArray<{ name: string; export(ctx: ExportContext): Promise<Row[]>; import(ctx: ImportContext, items: Row[], path: string): Promise<void> }> = [
  { name: 'Channels', export: exportChannels, import: importChannels },
  { name: 'Protocols', export: exportProtocols, import: importProtocols },
  { name: 'DeviceProfiles', export: ({ db, projectId }) => exportProfiles(db, projectId), import: importDeviceProfiles },
  { name: 'Groups', export: exportGroups, import: importGroups },
];

export async function exportConfig(db: Db, box: SecretBox, projectId: string, opts: { secrets?: SecretsInFile; appVersion?: string } = {}): Promise<ConfigExport> {
  const ctx: ExportContext = { db, store: new ProtocolStore(db, box), projectId, secrets: opts.secrets ?? { kind: 'placeholder' }, written: 0 };
  const doc: Row = { Meta: { AppName: 'hes', AppVersion: opts.appVersion ?? '0.1.0', SchemaVersion: 'v1', Created: new Date().toISOString() } };
  for (const s of SECTIONS) doc[s.name] = await s.export(ctx);
  return { doc, secrets: ctx.written };
}

async function exportChannels({ db, projectId }: ExportContext): Promise<Row[]> {
  const channels = await db.query<Row>('SELECT id, name, kind, exclusive, settings FROM channels WHERE project_id = $1 ORDER BY name', [projectId]);
  return channels.rows.map((c) => ({
    Id: c.id, Name: c.name, Type: `CHAN_TYPE_${c.kind}`, IsExclusive: c.exclusive, Settings: encodeSettings((k) => channelKey(String(c.kind), k), c.settings as Row),
  }));
}

async function exportProtocols(ctx: ExportContext): Promise<Row[]> {
  const protocols = await ctx.db.query<Row>('SELECT id, name, kind, settings, secrets_enc AS "secretsEnc" FROM protocols WHERE project_id = $1 ORDER BY name', [ctx.projectId]);
  return protocols.rows.map((p) => {
    const kind = String(p.kind);
    const secrets = Object.entries(ctx.store.secrets(p)).sort(([a], [b]) => a.localeCompare(b));
    if (ctx.secrets.kind !== 'placeholder') ctx.written += secrets.length;
    return {
      Id: p.id, Name: p.name, Type: `PROTO_${kind}`, Settings: encodeSettings((k) => protocolKey(kind, k), p.settings as Row),
      ...(secrets.length ? { Secrets: Object.fromEntries(secrets.map(([k, v]) => [protocolKey(kind, k), secretEntry(ctx.secrets, v)])) } : {}),
    };
  });
}

async function exportGroups({ db, projectId }: ExportContext): Promise<Row[]> {
  const groups = await db.query<Row>('SELECT id, name FROM device_groups WHERE project_id = $1 ORDER BY is_default DESC, name', [projectId]);
  const devices = await db.query<Row>('SELECT id, serial_number, type, status, added_at, enabled, group_id FROM devices WHERE project_id = $1 ORDER BY serial_number, type', [projectId]);
  const lines = await db.query<Row>('SELECT id, device_id, channel_id, protocol_id, profile_id, profile_version, protocol_map, enabled, address, priority, attempts FROM comm_lines WHERE project_id = $1 ORDER BY priority, id', [projectId]);
  const linesOf = new Map<unknown, Row[]>();
  for (const l of lines.rows) linesOf.set(l.device_id, [...(linesOf.get(l.device_id) ?? []), {
    Id: l.id, ChannelId: l.channel_id, ProtocolId: l.protocol_id, DeviceLib: l.profile_id ?? '', DeviceLibVersion: l.profile_version, ProtocolMap: l.protocol_map,
    Enabled: l.enabled, Address: l.address, Priority: l.priority, Attempts: l.attempts,
  }]);
  const devicesOf = new Map<unknown, Row[]>();
  for (const d of devices.rows) devicesOf.set(d.group_id, [...(devicesOf.get(d.group_id) ?? []), {
    Id: d.id, SerialNumber: d.serial_number, Type: `DT_${d.type}`, Status: statusCode[String(d.status)], PlugDate: (d.added_at as Date).toISOString(),
    Enabled: d.enabled, CommLines: linesOf.get(d.id) ?? [], Children: [],
  }]);
  return groups.rows.map((g) => ({ Id: g.id, Name: g.name, Devices: devicesOf.get(g.id) ?? [] }));
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


/** Rows per section that an import created, changed, or found as the file describes them. */
export interface ConfigCounts {
  channels: number;
  protocols: number;
  groups: number;
  devices: number;
  commLines: number;
  /** Device profile versions (config-profiles.ts): a version is never updated. */
  profileVersions: number;
}
export interface ConfigImportResult {
  created: ConfigCounts;
  updated: ConfigCounts;
  unchanged: ConfigCounts;
}
type Outcome = keyof ConfigImportResult;

interface ImportContext {
  tx: Db;
  store: ProtocolStore;
  projectId: string;
  transportKey?: Buffer;
  profiles: ProfileImportOptions;
  result: ConfigImportResult;
  /** File Id (lower case) → row id, per section referred to by later ones. */
  channelIds: Map<string, string>;
  protocolIds: Map<string, string>;
  /** Rows keep their Id when it is free or already this project's; otherwise they are found by name or get a new one. */
  resolve(table: string, id: string | null, where: string, params: unknown[]): Promise<{ id: string; exists: boolean }>;
}

const zero = (): ConfigCounts => ({ channels: 0, protocols: 0, groups: 0, devices: 0, commLines: 0, profileVersions: 0 });
/** An UPDATE guarded by `IS DISTINCT FROM` changes a row only when the file differs: 1 row is an update, 0 unchanged. */
const outcome = (rowCount: number): Outcome => (rowCount ? 'updated' : 'unchanged');
const pointer = (path: string) => path.replace(/^body/, '').replace(/\[(\d+)\]/g, '/$1').replace(/\./g, '/');

/** Remembers what identifies each entry of one kind; a second entry with the same identity is refused, naming both. */
class Once {
  readonly #seen = new Map<string, string>();
  constructor(private readonly what: string) {}
  check(key: string | null, path: string, field: string): void {
    if (key === null) return;
    const first = this.#seen.get(key);
    if (first !== undefined) {
      throw new RegistryError('DUPLICATE_IN_FILE', `${path} is the same ${this.what} as ${first} (${pointer(path)} and ${pointer(first)}); a file names each once`, 400, `${path}.${field}`);
    }
    this.#seen.set(key, path);
  }
}

const stable = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));

/** Devices are checked for repeats before anything is written: the same serial and type twice would merge two rows of the file into one device. */
function checkDeviceRepeats(doc: Row): void {
  const serials = new Once('device (serial number and type)');
  const ids = new Once('device Id');
  for (const [gi, g] of arr(doc.Groups, 'body.Groups').entries()) {
    for (const [di, d] of arr((g as Row)?.Devices, `body.Groups[${gi}].Devices`).entries()) {
      const path = `body.Groups[${gi}].Devices[${di}]`;
      if (typeof d?.SerialNumber !== 'string') continue; // reported with its field by the import
      serials.check(`${d.SerialNumber}\u0000${String(d.Type ?? '').replace(/^DT_/, '')}`, path, 'SerialNumber');
      ids.check(typeof d.Id === 'string' ? d.Id.toLowerCase() : null, path, 'Id');
    }
  }
}

export async function importConfig(
  db: Db, box: SecretBox, projectId: string, doc: Row, opts: { transportKey?: Buffer; profiles?: ProfileImportOptions } = {},
): Promise<ConfigImportResult> {
  if (!doc || typeof doc !== 'object' || (doc.Meta as Row | undefined)?.SchemaVersion !== 'v1') {
    throw new RegistryError('VALIDATION_ERROR', 'Meta.SchemaVersion must be "v1"', 400, 'body.Meta.SchemaVersion');
  }
  checkDeviceRepeats(doc);
  const result: ConfigImportResult = { created: zero(), updated: zero(), unchanged: zero() };
  return db.transaction(async (tx) => {
    const ctx: ImportContext = {
      tx, store: new ProtocolStore(tx, box), projectId, transportKey: opts.transportKey, profiles: opts.profiles ?? { by: null, mayWrite: false }, result,
      channelIds: new Map(), protocolIds: new Map(),
      async resolve(table, id, where, params) {
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
      },
    };
    for (const s of SECTIONS) await s.import(ctx, arr(doc[s.name], `body.${s.name}`), `body.${s.name}`);
    return result;
  });
}

async function importChannels(ctx: ImportContext, items: Row[], base: string): Promise<void> {
  const { tx, projectId, result } = ctx;
  const names = new Once('channel name');
  const ids = new Once('channel Id');
  for (const [i, c] of items.entries()) {
    const path = `${base}[${i}]`;
    const kind = String(c.Type ?? '').replace(/^CHAN_TYPE_/, '') as ChannelKind;
    if (!CHANNEL_KINDS.includes(kind)) throw new RegistryError('VALIDATION_ERROR', `${path}.Type must be one of ${CHANNEL_KINDS.map((k) => 'CHAN_TYPE_' + k).join(', ')}`, 400, `${path}.Type`);
    const name = str(c.Name, `${path}.Name`);
    names.check(name.toLowerCase(), path, 'Name');
    ids.check(optId(c.Id, `${path}.Id`), path, 'Id');
    const settings = channelSettings(kind, decodeSettings(CHANNEL_SETTINGS[kind], (k) => channelKey(kind, k), c.Settings, `${path}.Settings`));
    checkSettings(CHANNEL_SETTINGS[kind], settings, `${path}.Settings`);
    const { id, exists } = await ctx.resolve('channels', optId(c.Id, `${path}.Id`), 'lower(name) = lower($2)', [name]);
    const values = [id, name, kind, !!c.IsExclusive, JSON.stringify(settings)];
    if (exists) {
      const u = await tx.query(`UPDATE channels SET name = $2, kind = $3, exclusive = $4, settings = $5::jsonb, version = version + 1
        WHERE id = $1 AND (name, kind, exclusive, settings) IS DISTINCT FROM ($2::text, $3::text, $4::boolean, $5::jsonb)`, values);
      result[outcome(u.rowCount)].channels++;
    } else {
      await tx.query('INSERT INTO channels (id, project_id, name, kind, exclusive, settings) VALUES ($1, $6, $2, $3, $4, $5)', [...values, projectId]);
      result.created.channels++;
    }
    if (c.Id) ctx.channelIds.set(String(c.Id).toLowerCase(), id);
  }
}

/** A protocol's `Secrets`: placeholders keep the stored value, wrapped values need the transport key, `{ value }` is taken as it is. */
function fileSecrets(ctx: ImportContext, kind: ProtocolKind, secrets: unknown, path: string): Row {
  if (secrets === undefined) return {};
  if (!secrets || typeof secrets !== 'object' || Array.isArray(secrets)) throw new RegistryError('VALIDATION_ERROR', `${path} must be an object`, 400, path);
  const names = new Map(PROTOCOL_SECRETS.filter((k) => k in (PROTOCOL_SETTINGS[kind] as { properties: object }).properties).map((k) => [protocolKey(kind, k), k]));
  const out: Row = {};
  for (const [key, entry] of Object.entries(secrets as Row)) {
    const at = `${path}.${key}`;
    const name = names.get(key);
    if (!name) throw new RegistryError('VALIDATION_ERROR', `${at} is not a secret of ${kind} (${[...names.keys()].join(', ') || 'it has none'})`, 400, at);
    const e = (entry ?? {}) as Row;
    const text = e.secretsSet === true ? SECRET_PLACEHOLDER : typeof e.wrapped === 'string' ? e.wrapped : typeof e.value === 'string' ? e.value : undefined;
    if (text === undefined || Object.keys(e).length !== 1) throw new RegistryError('VALIDATION_ERROR', `${at} must be { "secretsSet": true }, { "wrapped": "…" } or { "value": "…" }`, 400, at);
    const value = e.value === undefined ? importSecret(text, ctx.transportKey, at) : text;
    if (value !== undefined) out[name] = value;
  }
  return out;
}

async function importProtocols(ctx: ImportContext, items: Row[], base: string): Promise<void> {
  const { tx, store, projectId, result } = ctx;
  const names = new Once('protocol name');
  const ids = new Once('protocol Id');
  for (const [i, p] of items.entries()) {
    const path = `${base}[${i}]`;
    const kind = String(p.Type ?? '').replace(/^PROTO_/, '') as ProtocolKind;
    if (!PROTOCOL_KINDS.includes(kind)) throw new RegistryError('VALIDATION_ERROR', `${path}.Type must be one of ${PROTOCOL_KINDS.map((k) => 'PROTO_' + k).join(', ')}`, 400, `${path}.Type`);
    const name = str(p.Name, `${path}.Name`);
    names.check(name.toLowerCase(), path, 'Name');
    ids.check(optId(p.Id, `${path}.Id`), path, 'Id');
    // Secrets written into Settings (the seed's own files) are taken as they are.
    const settings = { ...decodeSettings(PROTOCOL_SETTINGS[kind], (k) => protocolKey(kind, k), p.Settings, `${path}.Settings`), ...fileSecrets(ctx, kind, p.Secrets, `${path}.Secrets`) };
    checkSettings(PROTOCOL_SETTINGS[kind], settings, `${path}.Settings`);
    const { id, exists } = await ctx.resolve('protocols', optId(p.Id, `${path}.Id`), 'lower(name) = lower($2)', [name]);
    if (exists) {
      const cur = (await tx.query<Row>('SELECT id, name, kind, settings, secrets_enc AS "secretsEnc" FROM protocols WHERE id = $1', [id])).rows[0];
      const secrets = (PROTOCOL_SECRETS as readonly string[]);
      const plain = withDefaults(PROTOCOL_SETTINGS[kind], Object.fromEntries(Object.entries(settings).filter(([k]) => !secrets.includes(k))));
      const given = Object.fromEntries(Object.entries(settings).filter(([k]) => secrets.includes(k)));
      const stored = store.secrets(cur);
      const same = cur.name === name && cur.kind === kind && stable(cur.settings) === stable(plain) && stable(stored) === stable({ ...stored, ...given });
      if (!same) {
        await tx.query('UPDATE protocols SET name = $2, kind = $3 WHERE id = $1', [id, name, kind]);
        await store.update(projectId, id, { settings });
      }
      result[same ? 'unchanged' : 'updated'].protocols++;
    } else {
      await tx.query(`INSERT INTO protocols (id, project_id, name, kind) VALUES ($1, $2, $3, $4)`, [id, projectId, name, kind]);
      await store.update(projectId, id, { settings });
      result.created.protocols++;
    }
    if (p.Id) ctx.protocolIds.set(String(p.Id).toLowerCase(), id);
  }
}

async function importGroups(ctx: ImportContext, items: Row[], base: string): Promise<void> {
  const { tx, projectId, result } = ctx;
  const defaultGroup = await defaultGroupId(tx, projectId);
  const names = new Once('group name');
  /** Comm lines are one per device × channel × protocol × address: a second one in the file is refused, an existing one is updated. */
  const lineKeys = new Once('comm line (device, channel, protocol and address)');
  for (const [gi, g] of items.entries()) {
    const gpath = `${base}[${gi}]`;
    let groupId = defaultGroup;
    if (g.Name !== null && g.Name !== undefined) {
      const name = str(g.Name, `${gpath}.Name`);
      names.check(name.toLowerCase(), gpath, 'Name');
      const r = await ctx.resolve('device_groups', optId(g.Id, `${gpath}.Id`), 'lower(name) = lower($2)', [name]);
      if (r.exists) result[outcome((await tx.query('UPDATE device_groups SET name = $2 WHERE id = $1 AND name IS DISTINCT FROM $2::text', [r.id, name])).rowCount)].groups++;
      else {
        await tx.query('INSERT INTO device_groups (id, project_id, name) VALUES ($1, $2, $3)', [r.id, projectId, name]);
        result.created.groups++;
      }
      groupId = r.id;
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
      const r = await ctx.resolve('devices', optId(d.Id, `${path}.Id`), 'serial_number = $2 AND type = $3', [serial, type]);
      const values = [r.id, serial, type, status, d.Enabled !== false, groupId];
      if (r.exists) {
        const u = await tx.query(`UPDATE devices SET serial_number = $2, type = $3, status = $4, enabled = $5, group_id = $6, version = version + 1
          WHERE id = $1 AND (serial_number, type, status, enabled, group_id) IS DISTINCT FROM ($2::text, $3::text, $4::text, $5::boolean, $6::uuid)`, values);
        result[outcome(u.rowCount)].devices++;
      } else {
        await tx.query(`INSERT INTO devices (id, project_id, serial_number, type, status, enabled, group_id, added_at, source) VALUES ($1, $7, $2, $3, $4, $5, $6, $8, 'IMPORTED')`, [...values, projectId, plug]);
        result.created.devices++;
      }
      for (const [li, l] of arr(d.CommLines, `${path}.CommLines`).entries()) await importCommLine(ctx, r.id, l, `${path}.CommLines[${li}]`, lineKeys);
    }
  }
}

async function importDeviceProfiles(ctx: ImportContext, items: Row[], base: string): Promise<void> {
  const n = await importProfiles(ctx.tx, items, base, ctx.profiles);
  ctx.result.created.profileVersions += n.created;
  ctx.result.unchanged.profileVersions += n.unchanged;
}

async function importCommLine(ctx: ImportContext, deviceId: string, l: Row, path: string, lineKeys: Once): Promise<void> {
  const { tx, projectId, result } = ctx;
  const ref = (v: unknown, ids: Map<string, string>, field: string) => {
    const id = optId(v, `${path}.${field}`);
    const mapped = id ? ids.get(id) : undefined;
    if (!mapped) throw new RegistryError('REFERENCE_NOT_FOUND', `${path}.${field} names no entry of the file`, 400, `${path}.${field}`);
    return mapped;
  };
  const channelId = ref(l.ChannelId, ctx.channelIds, 'ChannelId');
  const protocolId = ref(l.ProtocolId, ctx.protocolIds, 'ProtocolId');
  const address = String(l.Address ?? '');
  lineKeys.check([deviceId, channelId, protocolId, address].join('\u0000'), path, 'Address');
  const lineId = optId(l.Id, `${path}.Id`);
  const own = lineId ? await tx.query<{ project_id: string }>('SELECT project_id FROM comm_lines WHERE id = $1', [lineId]) : { rows: [] };
  // The line's Id when it is this project's; else the line the project has between the same device, channel, protocol and address.
  const existing = own.rows.length && own.rows[0].project_id === projectId
    ? lineId
    : (await tx.query<{ id: string }>('SELECT id FROM comm_lines WHERE project_id = $1 AND device_id = $2 AND channel_id = $3 AND protocol_id = $4 AND address = $5 ORDER BY id LIMIT 1',
      [projectId, deviceId, channelId, protocolId, address])).rows[0]?.id;
  const priority = Number.isInteger(l.Priority) ? Number(l.Priority) : 0;
  const attempts = Number.isInteger(l.Attempts) ? Number(l.Attempts) : 3;
  const profileVersion = Number.isInteger(l.DeviceLibVersion) && l.DeviceLib ? Number(l.DeviceLibVersion) : null;
  const values = [deviceId, channelId, protocolId, l.DeviceLib ? String(l.DeviceLib) : null, String(l.ProtocolMap ?? ''), l.Enabled !== false, address, priority, attempts, profileVersion];
  try {
    if (existing) {
      const u = await tx.query(`UPDATE comm_lines SET device_id = $2, channel_id = $3, protocol_id = $4, profile_id = $5, protocol_map = $6, enabled = $7, address = $8, priority = $9, attempts = $10,
          profile_version = $11, version = version + 1
        WHERE id = $1 AND (device_id, channel_id, protocol_id, profile_id, protocol_map, enabled, address, priority, attempts, profile_version)
          IS DISTINCT FROM ($2::uuid, $3::uuid, $4::uuid, $5::text, $6::text, $7::boolean, $8::text, $9::int, $10::int, $11::int)`, [existing, ...values]);
      result[outcome(u.rowCount)].commLines++;
    } else {
      await tx.query(`INSERT INTO comm_lines (id, project_id, device_id, channel_id, protocol_id, profile_id, protocol_map, enabled, address, priority, attempts, profile_version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, [
        own.rows.length || !lineId ? randomUUID() : lineId, projectId, ...values,
      ]);
      result.created.commLines++;
    }
  } catch (e) {
    if ((e as { constraint?: string }).constraint === 'comm_lines_profile_version_fkey') {
      throw new RegistryError('REFERENCE_NOT_FOUND', `${path}.DeviceLibVersion names no version of ${l.DeviceLib}`, 400, `${path}.DeviceLibVersion`);
    }
    if ((e as { code?: string }).code === '23503') throw new RegistryError('REFERENCE_NOT_FOUND', `${path}.DeviceLib names no device profile`, 400, `${path}.DeviceLib`);
    if ((e as { code?: string }).code === '23514') throw new RegistryError('VALIDATION_ERROR', `${path} has a value out of range (Priority 0–999, Attempts 1–100)`, 400, path);
    throw e;
  }
}
