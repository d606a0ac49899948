/** Rules of the project-owned aggregates beyond plain CRUD: default group, protocol secrets, comm-line checks. */
import { randomUUID } from 'node:crypto';
import type { Db, Row } from './db.js';
import * as crud from './crud.js';
import { RegistryError } from './errors.js';
import type { SecretBox } from './crypto.js';
import { channelSpec, commLineSpec, deviceSpec, groupSpec, projectSpec, protocolSpec } from './specs.js';
import { parseMeterAddress, type MeterAddress } from '../decoders/mbus/address.js';
import { CHANNEL_SETTINGS, PROTOCOL_SECRETS, PROTOCOL_SETTINGS, withDefaults, type ChannelKind, type ProtocolKind } from './settings.js';

/** A project starts with its default group; its creator becomes a member. */
export async function createProject(db: Db, values: Row, creatorId: string | null): Promise<Row> {
  return db.transaction(async (tx) => {
    const p = await crud.insert(tx, projectSpec, null, values);
    await tx.query(`INSERT INTO device_groups (project_id, name, description, is_default) VALUES ($1, 'Default', 'Default group', true)`, [p.id]);
    if (creatorId) await tx.query('INSERT INTO project_members (project_id, user_id) VALUES ($1, $2)', [p.id, creatorId]);
    return p;
  });
}

export async function defaultGroupId(db: Db, projectId: string): Promise<string> {
  const r = await db.query<{ id: string }>('SELECT id FROM device_groups WHERE project_id = $1 AND is_default', [projectId]);
  if (!r.rows.length) throw new RegistryError('NO_DEFAULT_GROUP', 'the project has no default group', 409);
  return r.rows[0].id;
}

/** Making a group the default takes the flag from the previous default: exactly one per project. */
export async function saveGroup(db: Db, projectId: string, id: string | null, body: Row, version?: number): Promise<Row> {
  return db.transaction(async (tx) => {
    const { isDefault, ...rest } = body;
    if (isDefault === false && id) {
      const cur = await crud.get(tx, groupSpec, projectId, id);
      if (cur.isDefault) throw new RegistryError('DEFAULT_GROUP_REQUIRED', 'make another group the default instead', 409, 'body.isDefault');
    }
    if (isDefault === true) await tx.query('UPDATE device_groups SET is_default = false, version = version + 1 WHERE project_id = $1 AND is_default', [projectId]);
    const extra = isDefault === true ? { is_default: true } : {};
    return id ? crud.update(tx, groupSpec, projectId, id, rest, version, extra) : crud.insert(tx, groupSpec, projectId, rest, extra);
  });
}

/** Deleting a group moves its devices to the default group; the default group itself cannot be deleted. */
export async function deleteGroup(db: Db, projectId: string, id: string, version?: number): Promise<Row> {
  return db.transaction(async (tx) => {
    const g = await crud.get(tx, groupSpec, projectId, id);
    if (g.isDefault) throw new RegistryError('DEFAULT_GROUP_REQUIRED', 'the default group cannot be deleted; make another group the default first', 409, 'params.groupId');
    const def = await defaultGroupId(tx, projectId);
    await tx.query('UPDATE devices SET group_id = $3, version = version + 1 WHERE project_id = $1 AND group_id = $2', [projectId, id, def]);
    return crud.remove(tx, groupSpec, projectId, id, version);
  });
}

export async function createDevice(db: Db, projectId: string, body: Row, source = 'MANUAL'): Promise<Row> {
  const groupId = body.groupId ?? (await defaultGroupId(db, projectId));
  return crud.insert(db, deviceSpec, projectId, { ...body, groupId }, { source });
}

export function channelSettings(kind: ChannelKind, settings: Row): Row {
  return withDefaults(CHANNEL_SETTINGS[kind], settings);
}

export async function saveChannel(db: Db, projectId: string, id: string | null, body: Row, version?: number): Promise<Row> {
  if (!id) return crud.insert(db, channelSpec, projectId, { ...body, settings: channelSettings(body.kind as ChannelKind, (body.settings ?? {}) as Row) });
  const cur = await crud.get(db, channelSpec, projectId, id);
  if (body.kind !== undefined && body.kind !== cur.kind) throw new RegistryError('KIND_IMMUTABLE', 'a channel keeps its kind; create a new channel instead', 400, 'body.kind');
  const patch = body.settings ? { ...body, settings: channelSettings(cur.kind as ChannelKind, body.settings as Row) } : body;
  return crud.update(db, channelSpec, projectId, id, patch, version);
}

/** A security key (table security_keys) is its lower-case hex, AES-GCM-sealed in key_enc and bound to the key's id. */
export function sealSecurityKey(box: SecretBox, id: string, hex: string): string {
  return box.encrypt(hex.toLowerCase(), `security-key:${id}`);
}

/** The hex of a sealed security key (process memory only). */
export function openSecurityKey(box: SecretBox, row: { id: string; keyEnc: string }): string {
  return box.decrypt(row.keyEnc, `security-key:${row.id}`);
}

/** Protocol secrets (passwords, keys) live AES-GCM-sealed in secrets_enc, bound to the protocol id. */
export class ProtocolStore {
  constructor(private readonly db: Db, private readonly box: SecretBox) {}

  secrets(row: { id?: unknown; secretsEnc?: unknown }): Record<string, string> {
    return row.secretsEnc ? (JSON.parse(this.box.decrypt(String(row.secretsEnc), `protocol:${row.id}`)) as Record<string, string>) : {};
  }

  #split(id: string, kind: ProtocolKind, settings: Row, previous: Record<string, string>): { settings: Row; secretsEnc: string | null } {
    const plain: Row = {};
    const secrets = { ...previous };
    for (const [k, v] of Object.entries(settings)) {
      if (!(PROTOCOL_SECRETS as readonly string[]).includes(k)) plain[k] = v;
      else if (v === null) delete secrets[k];
      else if (typeof v === 'string') secrets[k] = v;
    }
    const sealed = Object.keys(secrets).length ? this.box.encrypt(JSON.stringify(secrets), `protocol:${id}`) : null;
    return { settings: withDefaults(PROTOCOL_SETTINGS[kind], plain), secretsEnc: sealed };
  }

  async create(projectId: string, body: Row): Promise<Row> {
    const id = randomUUID();
    const { settings, secretsEnc } = this.#split(id, body.kind as ProtocolKind, (body.settings ?? {}) as Row, {});
    return crud.insert(this.db, protocolSpec, projectId, { ...body, settings }, { id, secrets_enc: secretsEnc });
  }

  /** New settings replace the old; secret fields left out are kept, null clears them. */
  async update(projectId: string, id: string, body: Row, version?: number): Promise<Row> {
    const cur = await this.db.query<Row>('SELECT id, kind, secrets_enc AS "secretsEnc" FROM protocols WHERE project_id = $1 AND id = $2', [projectId, id]);
    if (!cur.rows.length) throw crud.notFound(protocolSpec);
    if (body.kind !== undefined && body.kind !== cur.rows[0].kind) throw new RegistryError('KIND_IMMUTABLE', 'a protocol keeps its kind', 400, 'body.kind');
    if (!body.settings) return crud.update(this.db, protocolSpec, projectId, id, body, version);
    const { settings, secretsEnc } = this.#split(id, cur.rows[0].kind as ProtocolKind, body.settings as Row, this.secrets(cur.rows[0]));
    return crud.update(this.db, protocolSpec, projectId, id, { ...body, settings, secretsEnc }, version);
  }

  /** API view: secrets replaced by the list of which are set. */
  present(row: Row): Row {
    const { secretsEnc: _s, ...rest } = row;
    return { ...rest, secretsSet: Object.keys(this.secrets(row)).sort() };
  }
}

/**
 * A comm line's driver must fit the device type and the protocol kind; an M-Bus, LoRaWAN or UNB line's channel
 * and address (UNB: the device's serial number) must fit its protocol.
 */
export async function checkCommLine(db: Db, projectId: string, body: Row, currentId?: string): Promise<void> {
  const cur = currentId ? await crud.get(db, commLineSpec, projectId, currentId) : {};
  const merged = { ...cur, ...body };
  const pr = await db.query<{ kind: string }>('SELECT kind FROM protocols WHERE project_id = $1 AND id = $2', [projectId, merged.protocolId]);
  const ch = await db.query<{ kind: string }>('SELECT kind FROM channels WHERE project_id = $1 AND id = $2', [projectId, merged.channelId]);
  checkMbusLine(pr.rows[0]?.kind, ch.rows[0]?.kind, String(merged.address ?? ''));
  checkLorawanLine(pr.rows[0]?.kind, ch.rows[0]?.kind, String(merged.address ?? ''));
  if (ch.rows[0]?.kind === 'UNB') {
    const d = await db.query<{ serial_number: string }>('SELECT serial_number FROM devices WHERE project_id = $1 AND id = $2', [projectId, merged.deviceId]);
    checkUnbLine(pr.rows[0]?.kind, d.rows[0]?.serial_number);
  }
  if (!merged.profileId) {
    if (merged.profileVersion !== undefined && merged.profileVersion !== null) throw new RegistryError('VALIDATION_ERROR', 'a profile version needs a profile', 400, 'body.profileVersion');
    return;
  }
  // The version the line pins, else the latest: what its sessions use.
  const p = await db.query<{ device_types: string[]; protocol: string; protocol_maps: string[] }>(
    `SELECT v.body->'deviceTypes' AS device_types, v.body->>'protocol' AS protocol, v.body->'protocolMaps' AS protocol_maps
       FROM device_profiles dp JOIN device_profile_versions v ON v.profile_id = dp.id AND v.version = coalesce($2, dp.version) WHERE dp.id = $1`,
    [merged.profileId, merged.profileVersion ?? null],
  );
  if (!p.rows.length) {
    const exists = await db.query('SELECT 1 FROM device_profiles WHERE id = $1', [merged.profileId]);
    if (exists.rows.length) throw new RegistryError('REFERENCE_NOT_FOUND', `device profile ${merged.profileId} has no version ${merged.profileVersion}`, 400, 'body.profileVersion');
    throw new RegistryError('REFERENCE_NOT_FOUND', 'device profile does not exist', 400, 'body.profileId');
  }
  const d = await db.query<{ type: string }>('SELECT type FROM devices WHERE project_id = $1 AND id = $2', [projectId, merged.deviceId]);
  if (d.rows.length && !p.rows[0].device_types.includes(d.rows[0].type)) {
    throw new RegistryError('PROFILE_MISMATCH', `profile ${merged.profileId} does not drive ${d.rows[0].type} devices`, 400, 'body.profileId');
  }
  if (pr.rows.length && pr.rows[0].kind !== p.rows[0].protocol) {
    throw new RegistryError('PROFILE_MISMATCH', `profile ${merged.profileId} speaks ${p.rows[0].protocol}, the protocol is ${pr.rows[0].kind}`, 400, 'body.protocolId');
  }
  if (merged.protocolMap && !p.rows[0].protocol_maps.includes(String(merged.protocolMap))) {
    throw new RegistryError('PROFILE_MISMATCH', `protocol map must be one of ${p.rows[0].protocol_maps.join(', ')}`, 400, 'body.protocolMap');
  }
}

const MBUS_CHANNELS = ['MBUS_TCP', 'WMBUS'];

/** A UNB channel (meters heard by base stations) carries SMP-M; the packets name the meter by its serial number, a u32. */
function checkUnbLine(protocolKind: string | undefined, serial: string | undefined): void {
  if (protocolKind !== undefined && protocolKind !== 'SMP_M') {
    throw new RegistryError('PROTOCOL_MISMATCH', `a UNB channel needs an SMP_M protocol, not ${protocolKind}`, 400, 'body.protocolId');
  }
  if (serial !== undefined && !(/^[0-9]{1,10}$/.test(serial) && Number(serial) <= 0xffffffff)) {
    throw new RegistryError('VALIDATION_ERROR', `a UNB meter is named by its serial number in the packets, a number up to 4294967295; device serial ${serial} is not`, 400, 'body.deviceId');
  }
}

/** LoRaWAN protocols go over LORAWAN channels (a ChirpStack application) and back; the address is the device's DevEUI. */
function checkLorawanLine(protocolKind: string | undefined, channelKind: string | undefined, address: string): void {
  if (protocolKind === undefined || channelKind === undefined) return;
  if (protocolKind === 'LORAWAN' && channelKind !== 'LORAWAN') {
    throw new RegistryError('PROTOCOL_MISMATCH', `a LORAWAN protocol needs a LORAWAN channel, not ${channelKind}`, 400, 'body.channelId');
  }
  if (channelKind === 'LORAWAN' && protocolKind !== 'LORAWAN') {
    throw new RegistryError('PROTOCOL_MISMATCH', `a LORAWAN channel needs a LORAWAN protocol, not ${protocolKind}`, 400, 'body.protocolId');
  }
  if (protocolKind === 'LORAWAN' && !/^[0-9A-Fa-f]{16}$/.test(address)) {
    throw new RegistryError('VALIDATION_ERROR', 'address: a LoRaWAN device is named by its DevEUI, 16 hex digits, e.g. 0004A30B001C0530', 400, 'body.address');
  }
}

/** M-Bus protocols go over M-Bus channels and back; the address names the meter (decoders/mbus/address.ts). */
function checkMbusLine(protocolKind: string | undefined, channelKind: string | undefined, address: string): void {
  const mbusChannel = channelKind !== undefined && MBUS_CHANNELS.includes(channelKind);
  if (protocolKind === undefined || channelKind === undefined) return;
  if (protocolKind === 'MBUS' && !mbusChannel) {
    throw new RegistryError('PROTOCOL_MISMATCH', `an MBUS protocol needs an MBUS_TCP or WMBUS channel, not ${channelKind}`, 400, 'body.channelId');
  }
  if (mbusChannel && protocolKind !== 'MBUS') {
    throw new RegistryError('PROTOCOL_MISMATCH', `a ${channelKind} channel needs an MBUS protocol, not ${protocolKind}`, 400, 'body.protocolId');
  }
  if (protocolKind !== 'MBUS') return;
  let a: MeterAddress;
  try {
    a = parseMeterAddress(address);
  } catch (e) {
    throw new RegistryError('VALIDATION_ERROR', `address: ${(e as Error).message}`, 400, 'body.address');
  }
  if (channelKind === 'WMBUS' && (a.kind !== 'secondary' || !a.manufacturer || /F/.test(a.id))) {
    throw new RegistryError('VALIDATION_ERROR', 'address: a wireless meter is named by its ID and manufacturer as telegrams carry them, e.g. 12345678-ELS', 400, 'body.address');
  }
}
