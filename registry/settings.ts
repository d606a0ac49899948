/**
 * Typed settings per channel kind and protocol kind, as JSON Schema: the API validates with them and
 * publishes them in the OpenAPI document. Secret protocol fields are listed in PROTOCOL_SECRETS; they are
 * stored encrypted, never in the plain `settings` column, and never returned by the API.
 */
const host = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:_-]+$' };
const port = { type: 'integer', minimum: 1, maximum: 65535 };
const hex = (bytes: number) => ({ type: 'string', pattern: `^[0-9A-Fa-f]{${bytes * 2}}$` });
/** Every kind: the network segment (modem pool, base-station cell) whose session limits (config `sessions.segments`) apply. */
const segment = { type: 'string', minLength: 1, maxLength: 100, description: 'network segment (modem pool, base-station cell) whose session limits apply' };

export const CHANNEL_KINDS = ['TCP', 'CENC', 'UNB', 'LORAWAN', 'SERIAL', 'MBUS_TCP', 'WMBUS'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export const CHANNEL_SETTINGS: Record<ChannelKind, object> = {
  TCP: {
    type: 'object', additionalProperties: false, required: ['host', 'port'],
    properties: { host, port, use7E1: { type: 'boolean', default: false }, segment },
  },
  CENC: {
    type: 'object', additionalProperties: false, required: ['identifyBy', 'identifier'],
    properties: {
      identifyBy: { type: 'string', enum: ['serial', 'imei', 'system-title', 'logical-device-name'] },
      identifier: { type: 'string', minLength: 1, maxLength: 64 },
      segment,
    },
  },
  /**
   * One UNB meter's radio link through the base stations (seed 003 appendix 6, docs/unb.md): the station its
   * downlinks go through (absent: the one that heard it best lately) and the downlink's radio settings.
   * The XTEA keys are the device's security keys XTEA_UPLINK / XTEA_DOWNLINK.
   */
  UNB: {
    type: 'object', additionalProperties: false,
    properties: {
      baseStationId: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'identifier of the base station for downlinks; absent: automatic (best recent RSSI)' },
      downlinkPower: { type: 'integer', minimum: 0, maximum: 30, default: 3, description: 'downlink transmit power (station units, seed 003 appendix 6)' },
      downlinkFrequency: { type: 'integer', minimum: 100_000_000, maximum: 1_000_000_000, default: 868_751_400, description: 'Hz' },
      downlinkBaudRate: { type: 'integer', enum: [50, 100, 200, 400, 800, 1600, 3200, 6400], default: 400 },
      downlinkModulation: { type: 'string', enum: ['FSK', 'GFSK', 'DBPSK'], default: 'FSK' },
      segment,
    },
  },
  /**
   * One ChirpStack v4 application (docs/lorawan.md): its uplinks come through ChirpStack's MQTT integration
   * (the HES subscribes to the application's topics on the broker of `lorawan.mqttUrl`) or its HTTP integration
   * (ChirpStack posts to the HES). Comm lines name the devices by DevEUI.
   */
  LORAWAN: {
    type: 'object', additionalProperties: false, required: ['applicationId'],
    properties: {
      applicationId: { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', description: "the ChirpStack application's id (UUID)" },
      integration: { type: 'string', enum: ['mqtt', 'http'], default: 'mqtt', description: "how the application's uplinks reach the HES: ChirpStack's MQTT integration or its HTTP integration" },
      segment,
    },
  },
  SERIAL: {
    type: 'object', additionalProperties: false, required: ['host', 'port'],
    properties: {
      host, port,
      interface: { type: 'string', enum: ['RS232', 'RS485'], default: 'RS485' },
      baudRate: { type: 'integer', enum: [300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200], default: 9600 },
      dataBits: { type: 'integer', enum: [7, 8], default: 8 },
      parity: { type: 'string', enum: ['none', 'even', 'odd'], default: 'none' },
      stopBits: { type: 'integer', enum: [1, 2], default: 1 },
      baudSwitchWaitMs: {
        type: 'integer', minimum: 0, maximum: 10000, default: 300,
        description: 'IEC 62056-21 mode E: wait after the option select before HDLC (the meter and a modem that follows it switch speed)',
      },
      segment,
    },
  },
  /** A wired M-Bus behind an M-Bus-to-TCP converter (docs/mbus.md): the converter's address and the bus speed. */
  MBUS_TCP: {
    type: 'object', additionalProperties: false, required: ['host', 'port'],
    properties: {
      host, port,
      baudRate: { type: 'integer', enum: [300, 600, 1200, 2400, 4800, 9600, 19200, 38400], default: 2400, description: 'speed of the M-Bus behind the converter (answer time grows with it)' },
      segment,
    },
  },
  /** Wireless M-Bus meters heard by the project's gateways (HTTP or MQTT feed, docs/mbus.md). */
  WMBUS: {
    type: 'object', additionalProperties: false,
    properties: {
      gateways: { type: 'string', maxLength: 4000, pattern: '^[A-Za-z0-9._:-]{1,64}(,[A-Za-z0-9._:-]{1,64})*$', description: 'comma-separated gateway ids whose telegrams count; absent: any gateway of the project' },
      segment,
    },
  },
};

export const PROTOCOL_KINDS = ['DLMS', 'SMP_M', 'MBUS', 'LORAWAN'] as const;
export type ProtocolKind = (typeof PROTOCOL_KINDS)[number];

export const PROTOCOL_SECRETS = ['password', 'authenticationKey', 'encryptionKey', 'masterKey'] as const;

/** DLMS settings of BRIEF §4 / seed 003 table 3; defaults are the table's TCP/IP column. */
export const PROTOCOL_SETTINGS: Record<ProtocolKind, object> = {
  DLMS: {
    type: 'object', additionalProperties: false,
    properties: {
      authentication: { type: 'string', enum: ['none', 'low', 'high'], default: 'high' },
      clientAddress: { type: 'integer', enum: [16, 32, 48], default: 48 },
      logicalServer: { type: 'integer', minimum: 0, maximum: 16383, default: 1 },
      physicalServer: { type: 'integer', minimum: 0, maximum: 65535, default: 16 },
      serverAddressLength: { type: 'integer', enum: [0, 1, 2, 4], default: 0 },
      resendCount: { type: 'integer', minimum: 0, maximum: 10, default: 3 },
      waitTime: { type: 'integer', minimum: 1, maximum: 65535, default: 5, description: 'seconds' },
      maxPduTx: { type: 'integer', minimum: 32, maximum: 2030, default: 256 },
      maxPduRx: { type: 'integer', minimum: 32, maximum: 2030, default: 256 },
      securitySuite: { type: 'integer', enum: [0], default: 0 },
      systemTitle: hex(8),
      password: { type: ['string', 'null'], minLength: 1, maxLength: 100, writeOnly: true },
      authenticationKey: { anyOf: [hex(16), { type: 'null' }], writeOnly: true },
      encryptionKey: { anyOf: [hex(16), { type: 'null' }], writeOnly: true },
      masterKey: { anyOf: [hex(16), { type: 'null' }], writeOnly: true },
    },
  },
  SMP_M: {
    type: 'object', additionalProperties: false,
    properties: {
      resendCount: { type: 'integer', minimum: 0, maximum: 10, default: 3 },
      waitTime: { type: 'integer', minimum: 1, maximum: 65535, default: 30, description: 'seconds' },
    },
  },
  /** M-Bus (EN 13757-2/-3) and wireless M-Bus; the meters' AES keys are security keys of kind MBUS_AES, one per meter. */
  MBUS: {
    type: 'object', additionalProperties: false,
    properties: {
      waitTime: { type: 'integer', minimum: 1, maximum: 60, default: 2, description: 'seconds to wait for a slave\'s answer' },
      resendCount: { type: 'integer', minimum: 0, maximum: 10, default: 2, description: 'repeats after a timeout or a garbled answer (collision)' },
      maxTelegrams: { type: 'integer', minimum: 1, maximum: 100, default: 16, description: 'answers read while the slave says more records follow (DIF 0x1F)' },
      applicationReset: { type: 'boolean', default: false, description: 'SND_UD application reset (CI 0x50) before reading: the slave starts over with its first telegram' },
      frameFormat: { type: 'string', enum: ['auto', 'A', 'B', 'none'], default: 'auto', description: 'wireless: the link-layer CRCs gateways forward' },
    },
  },
  /** LoRaWAN application payloads (docs/lorawan.md): the payload codec is the device profile's `lorawan` section; ChirpStack holds the session keys. */
  LORAWAN: { type: 'object', additionalProperties: false, properties: {} },
};

export const DEVICE_TYPES = ['CE207', 'CE307', 'CE208', 'CE308', 'CE510', 'UNIVERSAL', 'MBUS', 'LORAWAN'] as const;
export const DEVICE_STATUSES = ['IN_USE', 'STOCK', 'REMOVED'] as const;
export const DEVICE_SOURCES = ['MANUAL', 'IMPORTED', 'SELF_REGISTERED'] as const;
export const KEY_KINDS = ['DLMS_GUEK', 'DLMS_GAK', 'DLMS_MASTER', 'DLMS_DEDICATED', 'XTEA_UPLINK', 'XTEA_DOWNLINK', 'MBUS_AES'] as const;

/** Fills schema defaults into a settings object (what Ajv's useDefaults does for nested if/then branches). */
export function withDefaults(schema: object, settings: Record<string, unknown>): Record<string, unknown> {
  const props = (schema as { properties?: Record<string, { default?: unknown }> }).properties ?? {};
  const out = { ...settings };
  for (const [k, p] of Object.entries(props)) if (out[k] === undefined && p.default !== undefined) out[k] = p.default;
  return out;
}
