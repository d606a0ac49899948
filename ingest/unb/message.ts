/**
 * The base-station exchange, version 1 (docs/unb.md, "The station service"): what a station posts to
 * `POST /api/UnbBS/v1/messages` and what it gets back. Parsed by hand so that a malformed post is refused
 * naming the field (`packets[3].data`), as a station's log can show it.
 *
 * ```
 * request   { version: 1, stationId, sentAt?, status?: { firmware?, latitude?, longitude? },
 *             packets?: [{ id, receivedAt, data, rssi, snr?, frequency? }], results?: [{ taskId, state, note? }] }
 * answer    { version: 1, serverTime, packets: { accepted, duplicate, unknownDevice, foreign }, results: { taken, ignored: [taskId] },
 *             tasks: [{ taskId, serial, packet, frequency, power, baudRate, modulation }] }
 * ```
 */

export const MAX_PACKETS = 5000;
export const MAX_RESULTS = 1000;

export class StationMessageError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'StationMessageError';
  }
}

export interface StationPacket {
  /** The station's id of the reception: a retry of the same post repeats it, and it is taken once. */
  id: string;
  /** When the station received it (UTC ms), from the ISO time the station sent (local times are the station's zone). */
  receivedAt: number;
  data: Uint8Array;
  rssi: number;
  snr: number | null;
  frequency: number | null;
}

export interface TaskResult {
  taskId: number;
  state: 'success' | 'error';
  note: string;
}

export interface StationMessage {
  version: 1;
  stationId: string;
  status: { firmware?: string; latitude?: number; longitude?: number };
  packets: StationPacket[];
  results: TaskResult[];
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?$/;

/** Reads a station's post; times without an offset are in the station's zone (`tzOffsetMinutes`). */
export function parseStationMessage(body: unknown, tzOffsetMinutes: number): StationMessage {
  const o = object(body, 'body');
  if (o.version !== 1) throw new StationMessageError('body.version', 'must be 1 (this HES speaks version 1 of the exchange)');
  const stationId = text(o.stationId, 'body.stationId', 64);
  const status: StationMessage['status'] = {};
  if (o.status !== undefined && o.status !== null) {
    const s = object(o.status, 'body.status');
    if (s.firmware !== undefined) status.firmware = text(s.firmware, 'body.status.firmware', 100);
    if (s.latitude !== undefined) status.latitude = number(s.latitude, 'body.status.latitude', -90, 90);
    if (s.longitude !== undefined) status.longitude = number(s.longitude, 'body.status.longitude', -180, 180);
  }
  const packets = list(o.packets, 'body.packets', MAX_PACKETS).map((p, i) => {
    const f = `body.packets[${i}]`;
    const x = object(p, f);
    const data = String(x.data ?? '');
    if (typeof x.data !== 'string' || !/^([0-9A-Fa-f]{2}){1,255}$/.test(data)) throw new StationMessageError(`${f}.data`, 'the packet as received, hex (1 to 255 bytes)');
    return {
      id: text(x.id, `${f}.id`, 100),
      receivedAt: time(x.receivedAt, `${f}.receivedAt`, tzOffsetMinutes),
      data: Buffer.from(data, 'hex'),
      rssi: number(x.rssi, `${f}.rssi`, -200, 50),
      snr: x.snr === undefined || x.snr === null ? null : number(x.snr, `${f}.snr`, -50, 100),
      frequency: x.frequency === undefined || x.frequency === null ? null : number(x.frequency, `${f}.frequency`, 1, 10_000_000_000),
    };
  });
  const results = list(o.results, 'body.results', MAX_RESULTS).map((r, i) => {
    const f = `body.results[${i}]`;
    const x = object(r, f);
    if (!Number.isSafeInteger(x.taskId) || (x.taskId as number) < 1) throw new StationMessageError(`${f}.taskId`, 'a task id the HES handed out');
    if (x.state !== 'success' && x.state !== 'error') throw new StationMessageError(`${f}.state`, 'success or error');
    return { taskId: x.taskId as number, state: x.state, note: x.note === undefined || x.note === null ? '' : text(x.note, `${f}.note`, 500, true) } as TaskResult;
  });
  return { version: 1, stationId, status, packets, results };
}

function object(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new StationMessageError(field, 'must be an object');
  return v as Record<string, unknown>;
}

function list(v: unknown, field: string, max: number): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new StationMessageError(field, 'must be an array');
  if (v.length > max) throw new StationMessageError(field, `at most ${max} per post`);
  return v;
}

function text(v: unknown, field: string, max: number, empty = false): string {
  if (typeof v !== 'string' || (!empty && !v.length) || v.length > max) throw new StationMessageError(field, `a string of ${empty ? 0 : 1} to ${max} characters`);
  return v;
}

function number(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new StationMessageError(field, `a number from ${min} to ${max}`);
  return v;
}

function time(v: unknown, field: string, tzOffsetMinutes: number): number {
  const m = typeof v === 'string' ? ISO.exec(v) : null;
  if (!m) throw new StationMessageError(field, 'an ISO 8601 time, e.g. 2026-12-07T12:00:00.250+03:00 (without an offset: the station\'s zone)');
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const month = Number(mo) - 1;
  const utc = Date.UTC(Number(y), month, Number(d), Number(h), Number(mi), Number(s)) + (frac ? Math.round(Number(frac) * 1000) : 0);
  if (new Date(utc).getUTCMonth() !== month || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) throw new StationMessageError(field, 'not a valid date');
  const offset = !zone ? tzOffsetMinutes : zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  return utc - offset * 60_000;
}
