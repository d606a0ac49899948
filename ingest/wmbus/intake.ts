/**
 * The wireless M-Bus intake: telegrams gateways forward (HTTP POST or MQTT, same JSON) become raw frames
 * on the bus, keyed by the meter's device — nothing is decoded here but the address that names the meter.
 *
 * The gateway message (docs/mbus.md "Gateway feed"):
 *
 *   { "gateway": "gw-17",                          the gateway's id (MQTT: from the topic when absent)
 *     "telegrams": [                               or one telegram's fields at the top level
 *       { "telegram": "2E44931578...",             hex, as received: with its CRC blocks or without
 *         "rssi": -71,                             dBm, optional
 *         "time": "2026-12-07T10:15:02Z",          when the gateway received it, optional (default: now)
 *         "frameFormat": "A" } ] }                 A, B or none: the CRCs it carries, optional (default: from its length)
 *
 * A meter is found by the link-layer address (ID-MAN), else by the meter address of a long TPL header (a
 * radio adapter in front of the meter). Telegrams of meters no WMBUS comm line names are counted and listed
 * for registration; a channel that names gateways takes telegrams from those only.
 */
import { randomUUID } from 'node:crypto';
import { isMbusError } from '../../decoders/mbus/errors.js';
import { idText, u16 } from '../../decoders/mbus/link.js';
import { manufacturerCode } from '../../decoders/mbus/tables.js';
import { MbusDecoder } from '../../decoders/mbus/telegram.js';
import type { UnknownMeters, WmbusDirectory, WmbusMeter } from '../../registry/wmbus.js';
import type { RawFrame } from '../../schemas/avro/index.js';

export interface GatewayTelegram {
  bytes: Uint8Array;
  rssi: number | null;
  /** Reception time (UTC ms) the gateway gave; null = when the HES received it. */
  time: number | null;
  frameFormat: 'A' | 'B' | 'none' | null;
}

export interface GatewayMessage {
  gateway: string;
  telegrams: GatewayTelegram[];
}

/** A message that is not a gateway message: `field` names what is wrong (as an API error would). */
export class GatewayMessageError extends Error {
  constructor(message: string, readonly field: string) {
    super(message);
  }
}

const GATEWAY = /^[A-Za-z0-9._:-]{1,64}$/;
const HEX = /^([0-9A-Fa-f]{2})+$/;
/** A telegram is at least L C M A CI; at most 255 bytes after L plus CRC blocks. */
const MIN_TELEGRAM = 11;
const MAX_TELEGRAM = 300;

/** Checks and converts a gateway message (HTTP body or MQTT payload); `path` prefixes the field names. */
export function parseGatewayMessage(body: unknown, path: string, gatewayFromTopic?: string): GatewayMessage {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new GatewayMessageError(`${path} must be a JSON object`, path);
  const b = body as Record<string, unknown>;
  const gateway = b.gateway ?? gatewayFromTopic;
  if (typeof gateway !== 'string' || !GATEWAY.test(gateway)) throw new GatewayMessageError(`${path}.gateway must be a gateway id (1-64 of A-Z a-z 0-9 . _ : -)`, `${path}.gateway`);
  const list = b.telegrams === undefined ? [b] : b.telegrams;
  if (!Array.isArray(list) || list.length === 0 || list.length > 10_000) throw new GatewayMessageError(`${path}.telegrams must be an array of 1-10000 telegrams`, `${path}.telegrams`);
  const telegrams = list.map((t, i): GatewayTelegram => {
    const at = b.telegrams === undefined ? path : `${path}.telegrams[${i}]`;
    if (typeof t !== 'object' || t === null) throw new GatewayMessageError(`${at} must be an object`, at);
    const e = t as Record<string, unknown>;
    const hex = typeof e.telegram === 'string' ? e.telegram.replace(/\s/g, '') : undefined;
    if (!hex || !HEX.test(hex) || hex.length < 2 * MIN_TELEGRAM || hex.length > 2 * MAX_TELEGRAM) {
      throw new GatewayMessageError(`${at}.telegram must be the telegram as hex, ${MIN_TELEGRAM}-${MAX_TELEGRAM} bytes`, `${at}.telegram`);
    }
    if (e.rssi !== undefined && e.rssi !== null && (typeof e.rssi !== 'number' || !Number.isInteger(e.rssi) || e.rssi < -200 || e.rssi > 50)) {
      throw new GatewayMessageError(`${at}.rssi must be an integer in dBm (-200..50)`, `${at}.rssi`);
    }
    let time: number | null = null;
    if (e.time !== undefined && e.time !== null) {
      time = typeof e.time === 'string' && /^\d{4}-\d\d-\d\dT/.test(e.time) ? Date.parse(e.time) : NaN;
      if (Number.isNaN(time)) throw new GatewayMessageError(`${at}.time must be an ISO 8601 date-time`, `${at}.time`);
    }
    const ff = e.frameFormat ?? null;
    if (ff !== null && ff !== 'A' && ff !== 'B' && ff !== 'none') throw new GatewayMessageError(`${at}.frameFormat must be A, B or none`, `${at}.frameFormat`);
    return { bytes: Uint8Array.from(Buffer.from(hex, 'hex')), rssi: (e.rssi as number | undefined) ?? null, time, frameFormat: ff };
  });
  return { gateway, telegrams };
}

export interface IntakeResult {
  /** Telegrams of registered meters, now on the bus. */
  accepted: number;
  /** Telegrams of meters no comm line names (counted for registration). */
  unknown: number;
  /** Telegrams of registered meters from a gateway their channel does not admit. */
  ignored: number;
}

export interface WmbusIntakeOptions {
  directory: WmbusDirectory;
  unknown: UnknownMeters;
  /** Puts the frames on the bus; resolves once the bus holds them (the gateway's answer waits for it). */
  publish(frames: { key: number; frame: RawFrame }[]): Promise<void>;
  /** Retention days of the `current` archive (the frames' decoding context). */
  retentionDays(): Promise<number>;
  /** Offset of a zone from UTC at an instant, minutes. */
  offsetMinutes(timeZone: string, utcMs: number): number;
  now?: () => number;
}

/** A gateway time more than this ahead of ours is not believed. */
const FUTURE_SLACK_MS = 5 * 60_000;

export class WmbusIntake {
  readonly #decoder = new MbusDecoder();
  readonly totals: IntakeResult = { accepted: 0, unknown: 0, ignored: 0 };

  constructor(private readonly o: WmbusIntakeOptions) {}

  /** The meter a telegram names: link-layer address, or a long TPL header's (read without a key). */
  async #meter(projectId: string, t: GatewayTelegram): Promise<{ meter: WmbusMeter | undefined; address: Sighting }> {
    const b = t.bytes;
    const link: Sighting = { manufacturer: manufacturerCode(u16(b, 2)), meterId: idText(b, 4), version: b[8]!, deviceType: b[9]!, securityMode: 0 };
    let meter = await this.o.directory.lookup(projectId, `${link.meterId}-${link.manufacturer}`);
    if (meter) return { meter, address: link };
    try {
      const h = this.#decoder.decode(b, { headersOnly: true, ...(t.frameFormat ? { frameFormat: t.frameFormat } : {}) });
      link.securityMode = h.tpl?.securityMode ?? 0;
      const m = h.meter;
      if (m && h.tpl?.header === 'long') {
        const tpl: Sighting = { manufacturer: manufacturerCode(m.manufacturer), meterId: m.id, version: m.version, deviceType: m.deviceType, securityMode: link.securityMode };
        meter = await this.o.directory.lookup(projectId, `${tpl.meterId}-${tpl.manufacturer}`);
        return { meter, address: tpl };
      }
    } catch (e) {
      if (!isMbusError(e)) throw e;
      // A telegram the codec cannot read yet (bad CRC, truncated): identified by its link layer, dead-lettered by the pool.
    }
    return { meter, address: link };
  }

  async accept(projectId: string, message: GatewayMessage): Promise<IntakeResult> {
    const now = (this.o.now ?? Date.now)();
    const result: IntakeResult = { accepted: 0, unknown: 0, ignored: 0 };
    const frames: { key: number; frame: RawFrame }[] = [];
    let zone: string | undefined;
    let retention: number | undefined;
    for (const t of message.telegrams) {
      const at = t.time !== null && t.time <= now + FUTURE_SLACK_MS ? t.time : now;
      const { meter, address } = await this.#meter(projectId, t);
      if (!meter) {
        result.unknown++;
        this.o.unknown.record(projectId, { ...address, gateway: message.gateway, rssi: t.rssi, at });
        continue;
      }
      if (meter.gateways && !meter.gateways.has(message.gateway)) {
        result.ignored++;
        continue;
      }
      zone ??= await this.o.directory.timeZone(projectId);
      retention ??= await this.o.retentionDays();
      frames.push({
        key: meter.num,
        frame: {
          frameId: randomUUID(), wire: Buffer.from(t.bytes), framing: 'MBUS', direction: 'UPLINK', deviceId: meter.num, commLineId: null,
          connector: `wmbus:${message.gateway}`, receivedAt: at, sessionId: null, protocol: 'mbus', meta: t.frameFormat ? { frameFormat: t.frameFormat } : {},
          context: {
            archive: 'current', retentionDays: retention, deviceTzMinutes: this.o.offsetMinutes(zone, at), source: 'PUSH', captureObjects: [],
            journal: null, eventCodes: null,
          },
        },
      });
      result.accepted++;
    }
    if (frames.length) await this.o.publish(frames);
    this.totals.accepted += result.accepted;
    this.totals.unknown += result.unknown;
    this.totals.ignored += result.ignored;
    return result;
  }
}

type Sighting = { manufacturer: string; meterId: string; version: number; deviceType: number; securityMode: number };
