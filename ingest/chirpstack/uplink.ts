/**
 * ChirpStack v4's uplink event (`up`) as its JSON marshaler writes it — the MQTT integration's payload on
 * `application/{applicationId}/device/{devEui}/event/up` and the HTTP integration's body on `POST ...?event=up`
 * (protobuf `integration.UplinkEvent` in proto3 JSON: camelCase, zero values left out):
 *
 *   { "deduplicationId": "3d1e…",                     UUID: one per uplink, the same for every gateway that heard it
 *     "time": "2026-12-07T10:30:00.123Z",              when it was received
 *     "deviceInfo": { "tenantId", "applicationId",     UUIDs
 *                     "deviceProfileId", "deviceProfileName", "deviceName",
 *                     "devEui": "0004a30b001c0530", ... },
 *     "devAddr", "adr", "dr": 5, "fCnt": 17, "fPort": 2, "confirmed",
 *     "data": "AQIBAAEIAP8AHgYAAeJA",                  FRMPayload, base64 (absent when empty)
 *     "object": { ... },                               what ChirpStack's own codec made of it, when it has one
 *     "rxInfo": [ { "gatewayId", "rssi": -57, "snr": 10.5, ... } ],
 *     "txInfo": { "frequency": 868100000, "modulation": { "lora": { "bandwidth", "spreadingFactor": 7, "codeRate" } } } }
 */

export interface Uplink {
  deduplicationId: string;
  /** UTC ms; null when the event has none. */
  time: number | null;
  applicationId: string;
  /** Upper-case hex, as comm lines are compared. */
  devEui: string;
  deviceName: string;
  deviceProfileName: string;
  fCnt: number;
  fPort: number;
  payload: Buffer;
  dr: number | null;
  spreadingFactor: number | null;
  frequency: number | null;
  /** The best gateway's (highest RSSI) figures; null without rxInfo. */
  rssi: number | null;
  snr: number | null;
  gatewayId: string | null;
  gateways: number;
}

/** An event that is not a ChirpStack uplink: `field` names what is wrong (as an API error would). */
export class ChirpstackEventError extends Error {
  constructor(message: string, readonly field: string) {
    super(message);
  }
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const EUI = /^[0-9a-fA-F]{16}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks and converts an uplink event; `path` prefixes the field names. */
export function parseUplink(body: unknown, path: string): Uplink {
  if (!isObject(body)) throw new ChirpstackEventError(`${path} must be a JSON object`, path);
  const { deduplicationId, deviceInfo: info } = body;
  if (typeof deduplicationId !== 'string' || !UUID.test(deduplicationId)) throw new ChirpstackEventError(`${path}.deduplicationId must be a UUID`, `${path}.deduplicationId`);
  if (!isObject(info)) throw new ChirpstackEventError(`${path}.deviceInfo must be an object`, `${path}.deviceInfo`);
  if (typeof info.applicationId !== 'string' || !UUID.test(info.applicationId)) {
    throw new ChirpstackEventError(`${path}.deviceInfo.applicationId must be a UUID`, `${path}.deviceInfo.applicationId`);
  }
  if (typeof info.devEui !== 'string' || !EUI.test(info.devEui)) throw new ChirpstackEventError(`${path}.deviceInfo.devEui must be 16 hex digits`, `${path}.deviceInfo.devEui`);
  let time: number | null = null;
  if (body.time !== undefined && body.time !== null) {
    time = typeof body.time === 'string' && /^\d{4}-\d\d-\d\dT/.test(body.time) ? Date.parse(body.time) : NaN;
    if (Number.isNaN(time)) throw new ChirpstackEventError(`${path}.time must be an RFC 3339 date-time`, `${path}.time`);
  }
  const uint = (v: unknown, field: string, max: number): number => {
    if (v === undefined || v === null) return 0; // proto3 JSON leaves zero out
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new ChirpstackEventError(`${path}.${field} must be an integer 0..${max}`, `${path}.${field}`);
    return v;
  };
  const fCnt = uint(body.fCnt, 'fCnt', 0xffffffff);
  const fPort = uint(body.fPort, 'fPort', 255);
  const dr = body.dr === undefined ? null : uint(body.dr, 'dr', 15);
  const data = body.data ?? '';
  if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data)) throw new ChirpstackEventError(`${path}.data must be base64`, `${path}.data`);
  const payload = Buffer.from(data, 'base64');
  if (payload.length > 242) throw new ChirpstackEventError(`${path}.data must be at most 242 bytes (the largest LoRaWAN FRMPayload)`, `${path}.data`);
  const rx = body.rxInfo ?? [];
  if (!Array.isArray(rx)) throw new ChirpstackEventError(`${path}.rxInfo must be an array`, `${path}.rxInfo`);
  let best: { rssi: number; snr: number | null; gatewayId: string | null } | null = null;
  rx.forEach((g, i) => {
    if (!isObject(g)) throw new ChirpstackEventError(`${path}.rxInfo[${i}] must be an object`, `${path}.rxInfo[${i}]`);
    const rssi = g.rssi ?? 0;
    if (typeof rssi !== 'number' || !Number.isFinite(rssi)) throw new ChirpstackEventError(`${path}.rxInfo[${i}].rssi must be a number (dBm)`, `${path}.rxInfo[${i}].rssi`);
    if (g.snr !== undefined && (typeof g.snr !== 'number' || !Number.isFinite(g.snr))) throw new ChirpstackEventError(`${path}.rxInfo[${i}].snr must be a number (dB)`, `${path}.rxInfo[${i}].snr`);
    if (!best || rssi > best.rssi) best = { rssi, snr: (g.snr as number | undefined) ?? null, gatewayId: typeof g.gatewayId === 'string' ? g.gatewayId : null };
  });
  const tx = isObject(body.txInfo) ? body.txInfo : {};
  const lora = isObject(tx.modulation) && isObject(tx.modulation.lora) ? tx.modulation.lora : {};
  const b = best as { rssi: number; snr: number | null; gatewayId: string | null } | null;
  return {
    deduplicationId: deduplicationId.toLowerCase(), time, applicationId: info.applicationId.toLowerCase(), devEui: info.devEui.toUpperCase(),
    deviceName: typeof info.deviceName === 'string' ? info.deviceName.slice(0, 200) : '',
    deviceProfileName: typeof info.deviceProfileName === 'string' ? info.deviceProfileName.slice(0, 200) : '',
    fCnt, fPort, payload, dr,
    spreadingFactor: typeof lora.spreadingFactor === 'number' ? lora.spreadingFactor : null,
    frequency: typeof tx.frequency === 'number' ? tx.frequency : null,
    rssi: b?.rssi ?? null, snr: b?.snr ?? null, gatewayId: b?.gatewayId ?? null, gateways: rx.length,
  };
}

/**
 * ChirpStack v4's device-status event (`status`: the answer to a DevStatusReq MAC command):
 * `{deduplicationId, time, deviceInfo, margin, externalPowerSource, batteryLevelUnavailable, batteryLevel}` —
 * margin the demodulation SNR in dB, batteryLevel a percentage (zero values left out as in every event).
 */
export interface DeviceStatus {
  deduplicationId: string;
  time: number | null;
  applicationId: string;
  devEui: string;
  margin: number;
  externalPowerSource: boolean;
  /** Percent; null when the device cannot tell (or runs on external power). */
  batteryLevel: number | null;
}

export function parseStatus(body: unknown, path: string): DeviceStatus {
  // The fields every event shares are checked as an uplink's are.
  const u = parseUplink(isObject(body) ? { ...body, fCnt: undefined, fPort: undefined, dr: undefined, data: undefined, rxInfo: undefined } : body, path);
  const b = body as Record<string, unknown>;
  const margin = b.margin ?? 0;
  if (typeof margin !== 'number' || !Number.isInteger(margin) || margin < -128 || margin > 127) throw new ChirpstackEventError(`${path}.margin must be an integer in dB`, `${path}.margin`);
  const level = b.batteryLevel ?? 0;
  if (typeof level !== 'number' || !(level >= 0 && level <= 100)) throw new ChirpstackEventError(`${path}.batteryLevel must be a percentage 0..100`, `${path}.batteryLevel`);
  const external = b.externalPowerSource === true;
  return {
    deduplicationId: u.deduplicationId, time: u.time, applicationId: u.applicationId, devEui: u.devEui, margin, externalPowerSource: external,
    batteryLevel: external || b.batteryLevelUnavailable === true ? null : level,
  };
}

/** ChirpStack v4's `join` event: the device (re)joined (OTAA) and got `devAddr`; sent after its first uplink. */
export interface DeviceJoin {
  deduplicationId: string;
  time: number | null;
  applicationId: string;
  devEui: string;
  devAddr: string;
}

export function parseJoin(body: unknown, path: string): DeviceJoin {
  const u = parseUplink(isObject(body) ? { ...body, fCnt: undefined, fPort: undefined, dr: undefined, data: undefined, rxInfo: undefined } : body, path);
  const devAddr = (body as Record<string, unknown>).devAddr;
  if (typeof devAddr !== 'string' || !/^[0-9a-fA-F]{8}$/.test(devAddr)) throw new ChirpstackEventError(`${path}.devAddr must be 8 hex digits`, `${path}.devAddr`);
  return { deduplicationId: u.deduplicationId, time: u.time, applicationId: u.applicationId, devEui: u.devEui, devAddr: devAddr.toUpperCase() };
}

/**
 * ChirpStack v4's downlink events: `ack` (`{deduplicationId, queueItemId, acknowledged, fCntDown}`: whether the
 * device acknowledged a confirmed downlink), `txack` (`{downlinkId, queueItemId, fCntDown, gatewayId}`: a gateway
 * sent it) and `log` (`{level, code, description, context}`: what ChirpStack reports of the device, e.g. an uplink
 * codec error or a downlink payload too long). `fields` are what the frame's meta carries; `deduplicationId` the
 * id the event is taken once by (txack and log have none of their own: one is made of what identifies them).
 */
export interface DownlinkEvent {
  event: 'ack' | 'txack' | 'log';
  deduplicationId: string;
  time: number | null;
  applicationId: string;
  devEui: string;
  /** ack/txack: ChirpStack's queue item (the `id` of the downlink the HES queued). */
  queueItemId: string | null;
  /** ack: whether the device acknowledged. */
  acknowledged: boolean;
  fields: Record<string, string>;
}

export function parseDownlinkEvent(event: DownlinkEvent['event'], body: unknown, path: string): DownlinkEvent {
  const b = isObject(body) ? body : {};
  // The fields every event shares are checked as an uplink's are (a placeholder id where the event has none).
  const u = parseUplink(isObject(body) ? {
    ...body, fCnt: undefined, fPort: undefined, dr: undefined, data: undefined, rxInfo: undefined,
    deduplicationId: event === 'ack' ? body.deduplicationId : '00000000-0000-0000-0000-000000000000',
  } : body, path);
  const uint = (field: string): number => {
    const v = b[field] ?? 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new ChirpstackEventError(`${path}.${field} must be an integer 0..4294967295`, `${path}.${field}`);
    return v;
  };
  const base = { event, time: u.time, applicationId: u.applicationId, devEui: u.devEui };
  if (event === 'log') {
    const text = (field: string, max: number): string => {
      const v = b[field] ?? '';
      if (typeof v !== 'string' && typeof v !== 'number') throw new ChirpstackEventError(`${path}.${field} must be a string`, `${path}.${field}`);
      return String(v).slice(0, max);
    };
    const fields = { level: text('level', 16), code: text('code', 64), description: text('description', 1000) };
    const id = `log:${u.devEui}:${u.time ?? ''}:${fields.code}:${fields.description}`;
    return { ...base, deduplicationId: id, queueItemId: null, acknowledged: false, fields };
  }
  const queueItemId = b.queueItemId;
  if (typeof queueItemId !== 'string' || !UUID.test(queueItemId)) throw new ChirpstackEventError(`${path}.queueItemId must be a UUID`, `${path}.queueItemId`);
  const fCntDown = String(uint('fCntDown'));
  if (event === 'ack') {
    const acknowledged = b.acknowledged === true;
    return { ...base, deduplicationId: u.deduplicationId, queueItemId: queueItemId.toLowerCase(), acknowledged, fields: { queueItemId: queueItemId.toLowerCase(), acknowledged: String(acknowledged), fCntDown } };
  }
  const gatewayId = typeof b.gatewayId === 'string' ? b.gatewayId.slice(0, 32) : '';
  const downlinkId = uint('downlinkId');
  return {
    ...base, deduplicationId: `txack:${queueItemId.toLowerCase()}:${downlinkId}`, queueItemId: queueItemId.toLowerCase(), acknowledged: false,
    fields: { queueItemId: queueItemId.toLowerCase(), fCntDown, gatewayId },
  };
}
