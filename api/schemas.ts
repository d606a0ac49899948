/**
 * Response schemas: they document the replies in /docs/json and serialize them. Fastify's serializer
 * drops every property a schema does not list (and writes a null string as ""), so each schema lists
 * every field its route returns, nullable ones as [type, 'null']; free-form JSON (settings, params)
 * is `additionalProperties: true`. Shapes that repeat are components (app.addSchema, referenced by $id).
 */
import type { FastifyInstance } from 'fastify';
import { errorSchema } from './http.js';
import { CHANNEL_KINDS, DEVICE_SOURCES, DEVICE_STATUSES, DEVICE_TYPES, KEY_KINDS, PROTOCOL_KINDS } from '../registry/settings.js';
import { COMMANDS, contentSchema } from '../scheduler/content.js';
import { CHANNELS, DELIVERY_STATUSES, SEVERITIES } from '../registry/notifications.js';

type Schema = Record<string, unknown>;

const int = { type: 'integer' } as const;
const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;
const id = { type: 'string', format: 'uuid' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const strings = { type: 'array', items: str } as const;
const ids = { type: 'array', items: id } as const;
const oneOf = (values: readonly string[]) => ({ type: 'string', enum: values });
const nullable = (s: { type: string }, description?: string) => ({ ...s, type: [s.type, 'null'], ...(description ? { description } : {}) });
const json = (description: string) => ({ type: 'object', additionalProperties: true, description });
/** A reference to a component, optionally null. */
export const ref = (name: string, description?: string): Schema => ({ ...(description ? { description } : {}), $ref: `${name}#` });
const refOrNull = (name: string, description?: string) => ({ ...(description ? { description } : {}), anyOf: [{ $ref: `${name}#` }, { type: 'null' }] });

/** An object whose listed properties are always present (null when empty), except `optional` ones. */
const record = (properties: Schema, optional: string[] = [], description?: string): Schema => ({
  type: 'object', ...(description ? { description } : {}), required: Object.keys(properties).filter((k) => !optional.includes(k)), properties,
});

/** Request schemas reused for responses must never drop or invent data: no defaults, unknown properties kept. */
function open(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(open);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'default') continue;
    out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, open(s)])) : open(v);
  }
  if (out.type === 'object') out.additionalProperties = true;
  return out;
}

const cellError = record({ row: { ...int, description: 'worksheet row, 1-based' }, column: { ...int, description: 'worksheet column, 1-based' }, message: str });
const counts = (names: string[]) => ({ type: 'object', properties: Object.fromEntries(names.map((n) => [n, int])) });
const created = counts(['devices', 'channels', 'protocols', 'groups', 'commLines']);
const updated = counts(['devices', 'channels', 'protocols']);
const zonedTime = record({ local: { ...str, description: 'project time zone, with offset' }, utc: time, offsetMinutes: int });
const taskProperties = {
  id, projectId: id, name: str, kind: oneOf(['scheduled', 'one-off']), deviceIds: ids, groupIds: ids, content: ref('TaskContent'),
  priority: { ...int, description: 'higher runs first' }, retries: int, retryDelaySeconds: int, pollUntilSuccess: bool,
  initiator: oneOf(['console', 'api', 'iec']), source: oneOf(['tasks', 'device-list', 'action-builder', 'template', 'command']),
  templateTaskId: nullable(id), approval: oneOf(['not-required', 'awaiting', 'approved', 'rejected']),
  approvedBy: nullable(id), approvedAt: nullable(time), createdBy: nullable(id), createdAt: time, version: int,
  lastLaunch: {
    type: ['object', 'null'], description: 'the newest launch',
    properties: { id, state: str, result: str, startedAt: nullable(time), finishedAt: nullable(time) },
  },
  schedule: {
    type: ['object', 'null'], description: 'null: the task has no schedule',
    properties: {
      cron: str, text: { ...str, description: 'the schedule in words' }, timeZone: str, enabled: bool,
      enabledAt: nullable(time), disabledAt: nullable(time), nextFire: refOrNull('ZonedTime', 'the next firing; null when none or disabled'),
    },
  },
};
/** Objects of the appendix 1 format; properties other tools add are kept. */
const appendix1 = (properties: Schema) => ({ type: 'object', additionalProperties: true, properties });
const configCounts = record({ channels: int, protocols: int, groups: int, devices: int, commLines: int, profileVersions: { ...int, description: 'device profile versions' } });
const settingsText = { ...str, description: 'JSON object as text: setting name (e.g. CHAN_TYPE_TCP_OP_IP_PORT) → value as a string' };
const launchResults = ['pending', 'absent', 'error', 'partial', 'success', 'cancelled-by-schedule', 'cancelled-by-user'];

/** Component schemas by $id. */
export const components: Record<string, Schema> = {
  Error: { ...errorSchema, description: 'error.code is stable (see docs/api.md); error.field names the offending input, e.g. body.settings.port' },
  TokenPair: record({
    accessToken: str, refreshToken: str, tokenType: { ...str, enum: ['Bearer'] }, expiresIn: { ...int, description: 'access token lifetime, seconds' },
    sessionId: id, mustChangePassword: { ...bool, description: 'login only: change the password before anything else' },
  }, ['mustChangePassword']),
  Me: record({
    id, username: str, displayName: str, email: str, m2m: bool, mustChangePassword: bool, roleId: id, roleName: str, permissions: strings,
    projects: { type: 'array', items: record({ id, name: str }) },
  }),
  Session: record({ id, ip: str, userAgent: str, createdAt: time, lastSeenAt: time, expiresAt: time }),
  ApiToken: record({ id, name: str, createdAt: time, lastUsedAt: nullable(time) }),
  User: record({
    id, username: str, displayName: str, email: str, roleId: id, enabled: bool, m2m: bool, mustChangePassword: bool,
    createdAt: time, lastLoginAt: nullable(time), version: int,
  }),
  Permission: record({ name: str, description: str }),
  Role: record({ id, name: str, description: str, builtin: { ...bool, description: 'built-in roles cannot be deleted' }, permissions: strings, version: int }),
  Project: record({ id, name: str, description: str, timeZone: str, createdAt: time, version: int }),
  Member: record({ id, username: str, displayName: str, roleName: str }),
  Archive: record({
    id: str, kind: oneOf(['measurement', 'event', 'state']), name: str, isDefault: bool, active: bool, retentionSeconds: int, neverPurge: bool,
    settings: json('archive-specific settings'), version: int,
  }),
  DeviceProfile: record({
    id: str, name: str, deviceTypes: strings, protocol: str, protocolMaps: strings,
    builtin: { ...bool, description: 'shipped with the HES: read-only (copy it to change it)' }, version: { ...int, description: 'the latest version' },
    createdAt: time, updatedAt: time, body: json('the latest version: a device profile (schemas/device-profile.schema.json, docs/profiles.md)'),
  }),
  DeviceProfileVersion: record({
    version: int, body: json('a device profile (schemas/device-profile.schema.json)'), createdAt: time, createdBy: nullable(str, 'who wrote it (null: shipped)'),
  }),
  PortBinding: record({ port: int, projectId: id, createdAt: time }),
  CencConnection: record({
    deviceId: id, projectId: id, serialNumber: str,
    identity: record({ kind: oneOf(['imei', 'serial', 'system-title', 'logical-device-name']), value: str }, [], 'what the meter identified itself with'),
    remote: { ...str, description: 'tcp:ip:port or udp:ip:port of the meter (its modem)' }, port: { ...int, description: 'the listening port it came in on' },
    framing: oneOf(['wrapper', 'hdlc']), since: time, busy: { ...bool, description: 'a session (HES or AMR agent) is using the connection' },
    node: { ...str, description: 'the CENC node holding the connection (listed from the registry on a process without CENC)' },
  }, ['identity', 'framing', 'busy', 'node']),
  WmbusIntakeResult: record({
    accepted: { ...int, description: 'telegrams of registered meters, now on the bus' },
    unknown: { ...int, description: 'telegrams of meters no comm line names (listed at /wmbus/unknown-meters)' },
    ignored: { ...int, description: 'telegrams of registered meters from a gateway their channel does not admit' },
  }),
  LorawanEventResult: record({
    event: str,
    outcome: {
      ...oneOf(['accepted', 'duplicate', 'unknownDevice', 'unknownApplication', 'ignored']),
      description: 'accepted: on the bus; duplicate: its deduplicationId was taken already; unknownDevice: no comm line names the DevEUI (listed at /lorawan/unknown-devices); unknownApplication: no LORAWAN channel of the project names the application; ignored: an event other than up, status and join, an uplink without payload, or an application whose channel takes the MQTT integration',
    },
  }),
  LorawanUnknownDevice: record({
    devEui: { ...str, description: 'the comm line address that registers it on the application\'s LORAWAN channel' },
    applicationId: str, deviceName: str, deviceProfile: { ...str, description: 'the device profile ChirpStack names' },
    firstSeen: time, lastSeen: time, uplinks: int, lastFCnt: nullable(int), lastRssi: nullable(int), lastSnr: nullable({ type: 'number' }),
  }),
  UnbBaseStation: record({
    id, identifier: { ...str, description: 'what the station reports in its exchanges' }, tzOffsetMinutes: { ...int, description: 'the station\'s time zone, minutes east of UTC' },
    note: str, status: { ...oneOf(['online', 'offline']), description: 'online: an exchange in the last 60 s' },
    hasToken: { ...bool, description: 'a token was issued (it is never shown again)' }, tokenIssuedAt: nullable(time),
    firmware: nullable(str, 'as the station reports it'), latitude: nullable({ type: 'number' }), longitude: nullable({ type: 'number' }),
    lastSeen: nullable(time, 'the last exchange'), createdAt: time, updatedAt: time, version: int,
  }),
  UnbDownlinkTask: record({
    id: int, projectId: id, deviceId: id, serialNumber: str, kind: oneOf(['relay-connect', 'relay-disconnect', 'time-correction']), params: json('time-correction: {shiftSeconds}'),
    state: { ...oneOf(['queued', 'sent', 'success', 'error', 'cancelled']), description: 'queued: no station fetched it yet; sent: a station fetched it; success/error: as the station reported' },
    offeredTo: nullable(str, 'identifier of the station it is offered to'), sentBy: nullable(str, 'identifier of the station that fetched it'),
    counter: nullable(int, 'the SMP-M downlink counter it was sealed with'), note: str, username: nullable(str), launchId: nullable(id, 'the task launch that queued it (relay commands through the approval workflow)'),
    createdAt: time, updatedAt: time,
  }),
  UnbUnknownDevice: record({
    serial: { ...int, description: 'the serial number the packets name: a device with it and a UNB comm line registers it' },
    firstSeen: time, lastSeen: time, packets: int, lastStation: str, lastCounter: nullable(int), lastRssi: nullable({ type: 'number' }), lastPacket: { ...str, description: 'hex, for hes decode --protocol smp-m' },
  }),
  UnbStationMessage: {
    type: 'object', required: ['version', 'stationId'], description: 'a base station\'s post, version 1 (docs/unb.md)',
    properties: {
      version: { type: 'integer', enum: [1] }, stationId: { ...str, maxLength: 64, description: 'the station identifier registered in the HES' },
      sentAt: { ...str, description: 'ISO 8601; informative' },
      status: { type: 'object', properties: { firmware: str, latitude: { type: 'number', minimum: -90, maximum: 90 }, longitude: { type: 'number', minimum: -180, maximum: 180 } } },
      packets: {
        type: 'array', maxItems: 5000,
        items: {
          type: 'object', required: ['id', 'receivedAt', 'data', 'rssi'],
          properties: {
            id: { ...str, maxLength: 100, description: 'the station\'s id of the reception: repeated on a retry, taken once' },
            receivedAt: { ...str, description: 'ISO 8601; without an offset it is in the station\'s time zone' },
            data: { ...str, pattern: '^([0-9A-Fa-f]{2})+$', description: 'the packet as received, hex' },
            rssi: { type: 'number', description: 'dBm' }, snr: { type: ['number', 'null'], description: 'dB' }, frequency: { type: ['number', 'null'], description: 'Hz' },
          },
        },
      },
      results: {
        type: 'array', maxItems: 1000,
        items: { type: 'object', required: ['taskId', 'state'], properties: { taskId: int, state: oneOf(['success', 'error']), note: { ...str, maxLength: 500 } } },
      },
    },
  },
  UnbExchangeAnswer: record({
    version: { ...int, enum: [1] }, serverTime: time,
    packets: record({ accepted: int, duplicate: int, unknownDevice: int, foreign: int }, [], 'accepted: on the bus (a failing MAC or a replayed counter is a dead letter there); duplicate: heard already (another station, a retry); unknownDevice: no UNB comm line names the serial; foreign: not an SMP-M uplink'),
    results: record({ taken: int, ignored: { type: 'array', items: int, description: 'task ids this station did not fetch or that are finished' } }),
    tasks: {
      type: 'array', description: 'downlink tasks to transmit; report each one\'s outcome in a later post',
      items: record({ taskId: int, serial: int, packet: { ...str, description: 'sealed SMP-M downlink packet, hex' }, frequency: int, power: int, baudRate: int, modulation: str }),
    },
  }),
  WmbusUnknownMeter: record({
    manufacturer: str, meterId: str, address: { ...str, description: 'the comm line address that registers it on a WMBUS channel' },
    version: int, deviceType: int, firstSeen: time, lastSeen: time, telegrams: int, securityMode: int, lastGateway: str, lastRssi: nullable(int),
  }),
  Event: record({
    id: int, code: str, level: oneOf(['info', 'warning', 'error']), at: time, projectId: nullable(id), userId: nullable(id),
    username: nullable(str), ip: nullable(str), params: json('event details'),
  }),
  ServiceLog: record({ id: int, at: time, app: str, level: str, logger: str, message: str, details: json('structured details') }),
  EmailSettings: record({
    senderEmail: str, senderName: str, username: str, smtpHost: str, smtpPort: int, security: oneOf(['auto', 'none', 'ssl', 'starttls']),
    passwordSet: { ...bool, description: 'a password is stored (it is never returned)' }, version: int,
  }),
  Group: record({ id, name: str, description: str, isDefault: { ...bool, description: 'exactly one per project' }, version: int }),
  Device: record({
    id, serialNumber: str, type: oneOf(DEVICE_TYPES), status: oneOf(DEVICE_STATUSES), enabled: bool, source: oneOf(DEVICE_SOURCES),
    groupId: id, addedAt: time, lastGaspAt: nullable(time), version: int,
  }),
  Channel: record({ id, name: str, kind: oneOf(CHANNEL_KINDS), exclusive: bool, settings: json('typed by kind, as in the request body'), version: int }),
  Protocol: record({
    id, name: str, kind: oneOf(PROTOCOL_KINDS), settings: json('typed by kind, as in the request body, without secrets'),
    secretsSet: { ...strings, description: 'which secrets (passwords, keys) are stored; they are never returned' }, version: int,
  }),
  CommLine: record({
    id, deviceId: id, channelId: id, protocolId: id, profileId: nullable(str), profileVersion: nullable(int, 'the pinned profile version; null: the latest at each launch\'s start'), protocolMap: str, priority: int, address: str,
    enabled: bool, attempts: int, version: int,
  }),
  SecurityKey: record({ id, deviceId: nullable(id), kind: oneOf(KEY_KINDS), systemTitle: nullable(str), createdAt: time, version: int }, [], 'the key itself is never returned'),
  AmrAgent: record({ id, name: str, groupIds: ids, version: int }),
  CellError: cellError,
  ImportSummary: record({ ok: bool, rows: int, created, updated, unchanged: updated, errors: { type: 'array', items: ref('CellError') } }),
  ImportInvalid: {
    type: 'object', description: 'Bad cells, nothing imported',
    properties: {
      error: errorSchema.properties.error, errorCount: { ...int, description: 'bad cells in all' },
      errors: { type: 'array', items: ref('CellError'), description: 'the first 1,000 bad cells (the workbook marks them all)' },
      errorWorkbook: { ...str, description: 'the marked workbook, base64' },
    },
  },
  ImportJob: record({
    id, projectId: id, update: bool,
    state: { ...oneOf(['running', 'succeeded', 'invalid', 'failed']), description: 'invalid: bad cells, nothing imported (see errors and errorWorkbookUrl); failed: unreadable file or registry error' },
    progress: record({
      phase: oneOf(['reading', 'checking', 'writing', 'marking', 'done']),
      rowsRead: { ...int, description: 'data rows read and validated so far' },
      devicesWritten: int,
      devicesToWrite: { ...int, description: 'new devices to write, known once the file is read and checked' },
    }),
    createdAt: time, finishedAt: time,
    result: { type: 'object', properties: { rows: int, created, updated, unchanged: updated } },
    errorCount: int,
    errors: { type: 'array', items: ref('CellError'), description: 'the first 1,000 bad cells' },
    errorWorkbookUrl: str,
    error: { type: 'object', properties: { code: str, message: str } },
  }, ['finishedAt', 'result', 'errorCount', 'errors', 'errorWorkbookUrl', 'error']),
  ConfigImport: record({ created: configCounts, updated: configCounts, unchanged: configCounts }, [], 'rows per section the import created, changed, or found as the file describes them'),
  SealedConfiguration: record({
    Sealed: record({
      format: { ...str, enum: ['hes-config-scrypt-aes256gcm-v1'] },
      kdf: record({ name: { ...str, enum: ['scrypt'] }, N: int, r: int, p: int, salt: { ...str, description: 'base64' } }),
      iv: { ...str, description: 'base64, 12 bytes' }, tag: { ...str, description: 'base64, the GCM tag' },
      ciphertext: { ...str, description: 'base64: the Configuration as UTF-8 JSON, secrets as { "value": … }; associated data: the format name' },
    }),
  }, [], 'A configuration sealed with a passphrase (docs/security.md "Secret export")'),
  Configuration: {
    type: 'object', additionalProperties: true, description: 'Full configuration in the format of seed 003 appendix 1; protocol secrets in Secrets (placeholders unless asked for)',
    properties: {
      Meta: { type: 'object', additionalProperties: true, properties: { AppName: str, AppVersion: str, SchemaVersion: { ...str, enum: ['v1'] }, Created: time } },
      Channels: { type: 'array', items: appendix1({ Id: id, Name: str, Type: { ...str, description: 'CHAN_TYPE_TCP, ...' }, IsExclusive: bool, Settings: settingsText }) },
      Protocols: {
        type: 'array',
        items: appendix1({
          Id: id, Name: str, Type: { ...str, description: 'PROTO_DLMS, ...' }, Settings: settingsText,
          Secrets: {
            type: 'object', description: 'secret name (DLMS_PASSWORD, DLMS_AUTHENTICATION_KEY, …) → { "secretsSet": true } (a re-import keeps the stored value), { "wrapped": "A256KW:<base64>" | "A256KWP:<base64>" } (under the transport key) or { "value": … } (inside a sealed file)',
            additionalProperties: {
              type: 'object', additionalProperties: false, minProperties: 1, maxProperties: 1,
              properties: { secretsSet: { type: 'boolean', enum: [true] }, wrapped: str, value: str },
            },
          },
        }),
      },
      DeviceProfiles: {
        type: 'array', description: 'custom device profiles the comm lines name, with every version (shipped ones are not exported)',
        items: appendix1({ Id: str, Name: str, Versions: { type: 'array', items: appendix1({ Version: int, Body: json('a device profile (schemas/device-profile.schema.json)') }) } }),
      },
      Groups: {
        type: 'array',
        items: appendix1({
          Id: id, Name: str,
          Devices: {
            type: 'array',
            items: appendix1({
              Id: id, SerialNumber: str, Type: { ...str, description: 'DT_CE307, ...' }, Status: { ...str, description: 'DS_INUSE, DS_STOCK, DS_REMOVED' },
              PlugDate: time, Enabled: bool, Children: { type: 'array', items: json('a child device') },
              CommLines: {
                type: 'array',
                items: appendix1({
                  Id: id, ChannelId: id, ProtocolId: id, DeviceLib: { ...str, description: 'device profile id' },
                  DeviceLibVersion: nullable(int, 'the pinned profile version (null: the latest)'), ProtocolMap: str,
                  Enabled: bool, Address: str, Priority: int, Attempts: int,
                }),
              },
            }),
          },
        }),
      },
    },
  },
  TaskContent: { ...(open(contentSchema) as Schema), description: 'what a task collects or does (as in the request body)' },
  ZonedTime: zonedTime,
  Task: record(taskProperties),
  TaskRun: record({ ...taskProperties, launch: refOrNull('Launch', 'the launch started at once; null while awaiting approval') }, ['launch'], 'A task and the launch it started'),
  Launch: record({
    id, taskId: id, taskName: str, taskKind: oneOf(['scheduled', 'one-off']), initiator: oneOf(['console', 'api', 'iec']), scheduledAt: nullable(time),
    trigger: oneOf(['schedule', 'manual', 'one-off', 'gap']),
    sourceLaunchId: nullable(id, 'trigger gap: the launch whose missing readings this one collects again'), priority: int, userId: nullable(id), username: nullable(str),
    state: oneOf(['pending', 'running', 'finished']), result: oneOf(launchResults), cancelRequested: nullable(str),
    createdAt: time, startedAt: nullable(time), finishedAt: nullable(time), claimedBy: nullable(str, 'the scheduler instance running it'),
    progress: { ...int, minimum: 0, maximum: 100, description: 'percent of devices done' },
    statistics: record({ total: int, success: int, partial: int, error: int, absent: int, cancelled: int }),
  }),
  LaunchDevice: record({
    deviceId: id, serialNumber: str, type: str, result: oneOf(['pending', 'absent', 'error', 'partial', 'success', 'cancelled']), note: str,
    attempts: int, commLineId: nullable(id), startedAt: nullable(time), finishedAt: nullable(time),
  }),
  DeviceCommand: record({
    id, function: oneOf(Object.keys(COMMANDS)), username: nullable(str), startedAt: time, finishedAt: nullable(time),
    launchType: oneOf(['user', 'schedule', 'api', 'iec']), state: oneOf(['running', 'done', 'error', 'cancelled']),
    params: json('command parameters'), result: { description: 'what the device answered (JSON), null until done' }, note: str, launchId: nullable(id),
  }),
  ControlSettings: record({
    relayDisconnectApproval: bool, clockMaxDriftSeconds: int, clockMinDriftSeconds: int,
    eventSeverities: { type: 'object', additionalProperties: { type: 'string', enum: ['critical', 'major', 'minor', 'info'] } }, version: int,
  }),
  NotificationRule: record({
    id, projectId: id, name: str, enabled: bool, channel: oneOf(CHANNELS),
    eventCodes: { type: 'array', items: int }, severities: { type: 'array', items: oneOf(SEVERITIES) }, groupIds: { ...ids, description: 'empty: every group' },
    recipients: { ...strings, description: 'email: addresses (one message to all); sms: phone numbers (one message each)' },
    url: { ...str, description: 'webhook: where the JSON is posted; sms: the gateway URL template' },
    method: oneOf(['GET', 'POST']), headers: { type: 'object', additionalProperties: str, description: 'sms: request header templates' },
    bodyTemplate: { ...str, description: 'sms: the request body template' },
    secretSet: { ...bool, description: 'a signing secret (webhook) or gateway credential (sms) is stored; it is never returned' },
    quietPeriod: { type: ['object', 'null'], properties: { from: str, to: str }, description: 'daily, project time zone; null: none' },
    dedupSeconds: int, createdAt: time, version: int,
  }, ['recipients', 'url', 'method', 'headers', 'bodyTemplate']),
  Notification: record({
    id: int, ruleId: nullable(id, 'null once the rule is deleted'), channel: oneOf(CHANNELS),
    recipient: { ...str, description: 'email: the addresses; sms: the phone number; webhook: the URL when recorded' },
    deviceId: nullable(id), eventCode: int, eventAt: time,
    status: { ...oneOf(DELIVERY_STATUSES), description: 'failed: every attempt failed (the dead-letter list; replay it)' },
    reason: nullable(str, 'suppressed: duplicate or quiet-period; pending (retrying) and failed: the last error'),
    attempts: int, nextAttemptAt: nullable(time), createdAt: time, sentAt: nullable(time),
    payload: json('what is sent: type, project, rule, device, event (as the webhook body, without id)'),
  }),
  FirmwareImage: record({
    id, projectId: id, sha256: { ...str, description: 'SHA-256 of the image, hex: the bytes are stored once under it' }, name: str, vendor: str,
    deviceTypes: strings, version: { ...str, description: 'the version the meter reports once it runs the image' },
    imageIdentifier: { ...str, description: 'image_identifier of image_transfer_initiate: text, or 0x + hex' },
    signature: nullable(str, 'hex; null: unsigned'), size: { ...int, description: 'bytes' }, uploadedBy: nullable(id), uploadedAt: time,
  }),
  FirmwareUpdate: record({
    id, projectId: id, deviceId: id, serialNumber: str, deviceType: str, imageId: id, campaignId: nullable(id), wave: nullable(int, 'the campaign wave, 0-based'),
    settings: json('attempts, blockAttempts, forceClean, versionOnly, maxPdu, activateAt'),
    state: oneOf(['stopped', 'running', 'waiting-collection', 'success', 'error']),
    action: { type: ['string', 'null'], enum: ['version-query', 'clean', 'initiate', 'send-blocks', 'verify', 'activate', 'confirm', null], description: 'the current action' },
    initiated: { ...bool, description: 'this HES initiated the image on the meter: a new session keeps the blocks the meter holds' },
    blocksTotal: int, blocksDone: int, progress: { ...int, description: 'percent of blocks the meter holds' },
    blocksSent: int, blocksResent: int, bytesSent: int, sessions: int, transferMs: int, attempts: { ...int, description: 'sessions that failed' },
    versionBefore: nullable(str), versionAfter: nullable(str), note: str,
    createdAt: time, startedAt: nullable(time), finishedAt: nullable(time), lastActivityAt: nullable(time),
  }),
  FirmwareUpdateEvent: record({ id: int, updateId: id, deviceId: id, at: time, state: str, action: nullable(str), note: str }),
  FirmwareStatistics: record({
    total: int, stopped: int, running: int, waitingCollection: int, success: int, error: int, blocksSent: int, blocksResent: int, bytesSent: int, transferMs: int,
  }),
  FirmwareCampaign: record({
    id, projectId: id, name: str, imageId: id, deviceIds: ids, groupIds: ids,
    waves: { type: 'array', items: { type: 'object', additionalProperties: true, properties: { percent: { type: 'number' }, count: int } } },
    successThreshold: { type: 'number' }, errorThreshold: { type: 'number' }, maxParallel: int,
    window: { type: ['object', 'null'], properties: { from: str, to: str }, description: 'daily HH:MM–HH:MM in the project time zone; null: any time' },
    settings: json('update settings of every device'), state: oneOf(['running', 'paused', 'cancelled', 'stopped', 'finished']),
    currentWave: { ...int, description: '0-based' }, note: str, createdAt: time, finishedAt: nullable(time), version: int,
    progress: {
      type: 'object', description: 'update counts in total and per wave (1-based)',
      properties: {
        total: int, stopped: int, running: int, waitingCollection: int, success: int, error: int,
        waves: {
          type: 'array',
          items: record({ wave: int, total: int, stopped: int, running: int, waitingCollection: int, success: int, error: int, blocksDone: int, blocksTotal: int }),
        },
      },
    },
  }, ['progress']),
  SchedulePreview: record({ cron: str, text: str, timeZone: str, next: { type: 'array', items: ref('ZonedTime') } }),
};

export function addComponentSchemas(app: FastifyInstance): void {
  for (const [name, schema] of Object.entries(components)) app.addSchema({ $id: name, ...schema });
}

/** A list page of the registry lists (crud.list): exact totals up to 10,000 rows, an estimate beyond. */
export const page = (item: string, description?: string): Schema => record({
  items: { type: 'array', items: ref(item) }, total: { ...int, description: 'exact when totalExact, else the planner\'s estimate' },
  totalExact: bool, hasMore: { ...bool, description: 'rows follow this page' }, limit: int, offset: int,
}, [], description);

/** A list page with an exact total. */
export const counted = (item: string, description?: string): Schema =>
  record({ items: { type: 'array', items: ref(item) }, total: int, limit: int, offset: int }, [], description);

/** A whole list (no paging), with optional extra fields. */
export const all = (item: string, extra: Schema = {}, description?: string): Schema =>
  record({ items: { type: 'array', items: ref(item) }, ...extra }, [], description);

export const noContent = { type: 'null', description: 'Done; no content' } as const;

/** A non-JSON reply (file download, text). */
export const download = (contentType: string, description: string): Schema => ({
  description, content: { [contentType]: { schema: contentType.startsWith('text/') ? str : { type: 'string', format: 'binary' } } },
});

/**
 * Every route under `app` documents its errors with the Error schema: 400 when it takes input, 401/403
 * unless public, 404 when it has path parameters, 413 with its body limit when it takes a body, and any
 * other 4xx/5xx; codes a route declares win.
 */
export function documentErrors(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema = (route.schema ??= {}) as Schema;
    const errors: Record<string, Schema> = {};
    if (schema.body || schema.querystring || schema.params) errors[400] = ref('Error', 'Invalid input (VALIDATION_ERROR names the field)');
    if (route.config?.access !== 'public') {
      errors[401] = ref('Error', 'Not signed in, or the token is invalid or expired');
      errors[403] = ref('Error', 'A permission is missing, or the password must be changed first');
    }
    if (schema.params) errors[404] = ref('Error', 'Not found (also a project you are not a member of)');
    if ([route.method].flat().some((m) => m === 'POST' || m === 'PUT' || m === 'PATCH')) {
      const limit = route.bodyLimit ?? app.initialConfig.bodyLimit ?? 0;
      errors[413] = ref('Error', `The body is larger than this route's limit of ${limit.toLocaleString('en')} bytes`);
    }
    errors['4xx'] = ref('Error', 'Other client errors, e.g. a conflict (409) or a version mismatch with If-Match (412)');
    errors['5xx'] = ref('Error', 'Internal error');
    schema.response = { ...errors, ...(schema.response as Schema | undefined) };
  });
}
