/** Table specs (API field ↔ column) for every registry aggregate; see crud.ts. */
import type { TableSpec } from './crud.js';

const id = { column: 'id', filter: 'eq', sortable: true } as const;
const version = { column: 'version' } as const;
const w = (column: string, extra: object = {}) => ({ column, writable: true, ...extra });

export const projectSpec: TableSpec = {
  table: 'projects', projectScoped: false, noun: 'project', sort: 'name',
  fields: {
    id, name: w('name', { filter: 'prefix', sortable: true }), description: w('description'), timeZone: w('time_zone'),
    createdAt: { column: 'created_at', sortable: true }, version,
  },
  constraints: { projects_name: 'body.name' },
};

export const roleSpec: TableSpec = {
  table: 'roles', projectScoped: false, noun: 'role', sort: 'name',
  fields: { id, name: w('name', { filter: 'prefix', sortable: true }), description: w('description'), builtin: { column: 'builtin' }, version },
  constraints: { roles_name: 'body.name' },
};

export const userSpec: TableSpec = {
  table: 'users', projectScoped: false, noun: 'user', sort: 'username',
  fields: {
    id, username: w('username', { filter: 'prefix', sortable: true }), displayName: w('display_name'), email: w('email'),
    roleId: w('role_id', { filter: 'eq' }), enabled: w('enabled', { filter: 'eq' }), m2m: w('m2m', { filter: 'eq' }),
    mustChangePassword: { column: 'must_change_password' }, createdAt: { column: 'created_at', sortable: true },
    lastLoginAt: { column: 'last_login_at', sortable: true }, passwordHash: { column: 'password_hash', hidden: true }, version,
  },
  constraints: { users_username: 'body.username', users_role_id_fkey: 'body.roleId' },
};

export const groupSpec: TableSpec = {
  table: 'device_groups', projectScoped: true, noun: 'group', sort: 'name',
  fields: { id, name: w('name', { filter: 'prefix', sortable: true }), description: w('description'), isDefault: { column: 'is_default', filter: 'eq' }, version },
  constraints: { device_groups_name: 'body.name' },
};

export const deviceSpec: TableSpec = {
  table: 'devices', projectScoped: true, noun: 'device', sort: 'serialNumber',
  fields: {
    id, serialNumber: w('serial_number', { filter: 'prefix', sortable: true }), type: w('type', { filter: 'eq', sortable: true }),
    status: w('status', { filter: 'eq', sortable: true }), enabled: w('enabled', { filter: 'eq' }), source: { column: 'source', filter: 'eq', sortable: true },
    groupId: w('group_id', { filter: 'eq' }), addedAt: { column: 'added_at', sortable: true }, lastGaspAt: { column: 'last_gasp_at', sortable: true }, version,
  },
  constraints: { devices_serial_type: 'body.serialNumber', devices_project_id_group_id_fkey: 'body.groupId' },
};

export const channelSpec: TableSpec = {
  table: 'channels', projectScoped: true, noun: 'channel', sort: 'name',
  fields: {
    id, name: w('name', { filter: 'prefix', sortable: true }), kind: w('kind', { filter: 'eq', sortable: true }),
    exclusive: w('exclusive', { filter: 'eq' }), settings: w('settings'), version,
  },
  constraints: { channels_name: 'body.name', comm_lines_project_id_channel_id_fkey: 'id' },
};

export const protocolSpec: TableSpec = {
  table: 'protocols', projectScoped: true, noun: 'protocol', sort: 'name',
  fields: {
    id, name: w('name', { filter: 'prefix', sortable: true }), kind: w('kind', { filter: 'eq', sortable: true }), settings: w('settings'),
    secretsEnc: { column: 'secrets_enc', writable: true }, version,
  },
  constraints: { protocols_name: 'body.name', comm_lines_project_id_protocol_id_fkey: 'id' },
};

export const commLineSpec: TableSpec = {
  table: 'comm_lines', projectScoped: true, noun: 'comm line', sort: 'priority',
  fields: {
    id, deviceId: w('device_id', { filter: 'eq' }), channelId: w('channel_id', { filter: 'eq' }), protocolId: w('protocol_id', { filter: 'eq' }),
    profileId: w('profile_id', { filter: 'eq' }), profileVersion: w('profile_version'), protocolMap: w('protocol_map'), priority: w('priority', { sortable: true }),
    address: w('address'), enabled: w('enabled', { filter: 'eq' }), attempts: w('attempts'), version,
  },
  constraints: {
    comm_lines_project_id_device_id_fkey: 'body.deviceId', comm_lines_project_id_channel_id_fkey: 'body.channelId',
    comm_lines_project_id_protocol_id_fkey: 'body.protocolId', comm_lines_profile_id_fkey: 'body.profileId', comm_lines_profile_version_fkey: 'body.profileVersion',
  },
};

export const securityKeySpec: TableSpec = {
  table: 'security_keys', projectScoped: true, noun: 'security key', sort: 'createdAt',
  fields: {
    id, deviceId: w('device_id', { filter: 'eq' }), kind: w('kind', { filter: 'eq', sortable: true }), systemTitle: w('system_title'),
    keyEnc: { column: 'key_enc', hidden: true, writable: true }, createdAt: { column: 'created_at', sortable: true }, version,
  },
  constraints: { security_keys_device_kind: 'body.kind', security_keys_project_id_device_id_fkey: 'body.deviceId' },
};

export const archiveSpec: TableSpec = {
  table: 'archives', projectScoped: false, noun: 'archive', sort: 'name',
  fields: {
    id: { column: 'id', filter: 'eq', sortable: true }, kind: { column: 'kind', filter: 'eq', sortable: true }, name: w('name', { sortable: true }),
    isDefault: { column: 'is_default' }, active: w('active', { filter: 'eq' }), retentionSeconds: w('retention_seconds'),
    neverPurge: w('never_purge'), settings: { column: 'settings' }, version,
  },
};

export const amrAgentSpec: TableSpec = {
  table: 'amr_agents', projectScoped: true, noun: 'AMR agent', sort: 'name',
  fields: {
    id, name: w('name', { filter: 'prefix', sortable: true }), groupIds: w('group_ids'),
    passwordHash: { column: 'password_hash', hidden: true, writable: true }, version,
  },
  constraints: { amr_agents_name: 'body.name' },
};

export const profileSpec: TableSpec = {
  table: 'device_profiles', projectScoped: false, noun: 'device profile', sort: 'id',
  fields: {
    id: { column: 'id', sortable: true }, name: { column: 'name', filter: 'prefix', sortable: true }, deviceTypes: { column: 'device_types' },
    protocol: { column: 'protocol', filter: 'eq' }, protocolMaps: { column: 'protocol_maps' }, builtin: { column: 'builtin', filter: 'eq' },
    version: { column: 'version' }, createdAt: { column: 'created_at', sortable: true }, updatedAt: { column: 'updated_at', sortable: true }, body: { column: 'body' },
  },
};
