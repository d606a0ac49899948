/**
 * DLMS sample traffic for tests and benchmarks (imported by tests and bench/ only): daily 15-minute load profiles as a meter sends them — a
 * wrapper frame around a GET-Response-Normal whose Profile Generic buffer has 96 rows of
 * { date-time, A+, A-, R+, R- (double-long-unsigned, Wh/varh), status (unsigned) }, the shape of the
 * decode benchmark (bench/dlms-decode.ts).
 */
import { encodeDateTime, dateTimeFromUtcMs } from './axdr/datetime.js';
import type { CaptureObject, DecodingContext, RawFrame } from '../protocol-decoder.js';

const register = (obis: string, unit: string, code: string): CaptureObject => ({ classId: 3, obis, attribute: 2, dataIndex: 0, scaler: 0, unit, readingType: code, tariff: 0 });

export const LOAD_PROFILE_CONTEXT: DecodingContext = {
  archive: 'profile-15min',
  retentionDays: 0,
  deviceTzMinutes: 60,
  source: 'POLL',
  captureObjects: [
    { classId: 8, obis: '0.0.1.0.0.255', attribute: 2, dataIndex: 0, scaler: 0, unit: '', readingType: null, tariff: 0 },
    register('1.0.1.8.0.255', 'Wh', '0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0'),
    register('1.0.2.8.0.255', 'Wh', '0.0.2.4.19.1.12.0.0.0.0.0.0.0.0.3.72.0'),
    register('1.0.3.8.0.255', 'varh', '0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.73.0'),
    register('1.0.4.8.0.255', 'varh', '0.0.2.4.19.1.12.0.0.0.0.0.0.0.0.3.73.0'),
    { classId: 1, obis: '0.0.96.10.1.255', attribute: 2, dataIndex: 0, scaler: 0, unit: '', readingType: null, tariff: 0 },
  ],
};

export const ROWS_PER_DAY = 96;
export const READINGS_PER_FRAME = ROWS_PER_DAY * 4;
const ROW_BYTES = 2 + 14 + 4 * 5 + 2;

/** The 96 encoded date-times (UTC+1 local time, deviation -60) of the day starting at `dayStartMs`. */
function dayClock(dayStartMs: number): Uint8Array[] {
  return Array.from({ length: ROWS_PER_DAY }, (_, i) => encodeDateTime(dateTimeFromUtcMs(dayStartMs + i * 900_000, -60, 0)));
}

const clocks = new Map<number, Uint8Array[]>();

/**
 * Wire bytes of one device-day. Registers are cumulative and grow by a pseudo-random consumption per
 * interval (A+ 0–400 Wh, A- mostly 0, R+ 0–60, R- 0–5 varh), seeded by device and day.
 */
export function loadProfileWire(deviceId: number, dayStartMs: number): Buffer {
  let clock = clocks.get(dayStartMs);
  if (!clock) clocks.set(dayStartMs, (clock = dayClock(dayStartMs)));
  const apduLength = 4 + 3 + ROWS_PER_DAY * ROW_BYTES;
  const out = Buffer.allocUnsafe(8 + apduLength);
  out.writeUInt16BE(1, 0);
  out.writeUInt16BE(1, 2);
  out.writeUInt16BE(16, 4);
  out.writeUInt16BE(apduLength, 6);
  let p = 8;
  out[p++] = 0xc4;
  out[p++] = 0x01;
  out[p++] = 0xc1;
  out[p++] = 0x00;
  out[p++] = 0x01; // array
  out[p++] = 0x81;
  out[p++] = ROWS_PER_DAY;
  let seed = (deviceId * 2654435761 + Math.floor(dayStartMs / 86_400_000)) >>> 0 || 1;
  const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const day = Math.floor(dayStartMs / 86_400_000);
  const energy = [1_000_000 + deviceId * 7 + day * 10_000, 5_000, 200_000, 3_000];
  for (let r = 0; r < ROWS_PER_DAY; r++) {
    out[p++] = 0x02;
    out[p++] = 6;
    out[p++] = 0x09;
    out[p++] = 12;
    out.set(clock[r]!, p);
    p += 12;
    energy[0]! += Math.floor(rnd() * 400);
    energy[1]! += rnd() < 0.05 ? Math.floor(rnd() * 50) : 0;
    energy[2]! += Math.floor(rnd() * 60);
    energy[3]! += Math.floor(rnd() * 6);
    for (let k = 0; k < 4; k++) {
      out[p++] = 0x06;
      out.writeUInt32BE(energy[k]! >>> 0, p);
      p += 4;
    }
    out[p++] = 0x11;
    out[p++] = 0;
  }
  return out;
}

export function loadProfileFrame(deviceId: number, dayStartMs: number): RawFrame {
  return {
    frameId: `${deviceId}-${dayStartMs}`,
    wire: loadProfileWire(deviceId, dayStartMs),
    framing: 'WRAPPER',
    direction: 'UPLINK',
    deviceId,
    commLineId: null,
    connector: 'tcp',
    receivedAt: dayStartMs + 86_400_000 + 300_000,
    sessionId: null,
    context: LOAD_PROFILE_CONTEXT,
  };
}

/** Midnight UTC `daysAgo` days before now: recent enough for every retention TTL. */
export function dayStart(daysAgo: number): number {
  return (Math.floor(Date.now() / 86_400_000) - daysAgo) * 86_400_000;
}

