/**
 * Simulated M-Bus / wireless M-Bus meters: water and heat meters whose registers are pure functions of
 * (meter, time), so a test can compute what a telegram of any moment must say. A meter is its index in
 * the fleet: identity, key and consumption rates come from a hash of it; nothing is stored per meter.
 *
 * Water (device type 0x07): volume in litres, the volume and date of the last due date (end of the
 * previous month, storage 1), date-time, volume flow, error flags, remaining battery days.
 * Heat (device type 0x04): energy in kWh, volume in litres, flow and return temperature (0.1 °C), power,
 * volume flow, due-date energy and date, date-time, error flags.
 *
 * Register model: rate r per hour with a daily swing, value(t) = base + r·h + (r/3)·sin(2π·h/24 − φ), h the
 * hours since 2024-01-01 UTC — never decreasing (the swing's slope is below r).
 */
import { AesKey } from '../../decoders/mbus/aes.js';
import { encodeRecords, encodeWiredResponse, encodeWirelessTelegram, type RecordSpec } from '../../decoders/mbus/encode.js';
import type { FrameFormat } from '../../decoders/mbus/link.js';
import { hash32, seedOf, unit } from '../model/hash.js';

export type MbusMedium = 'water' | 'heat';

export interface MbusFleetConfig {
  /** Meters in the fleet. */
  meters: number;
  /** Three letters; default HES. */
  manufacturer?: string;
  /** ID of meter 0 (8 digits); meter i has firstId + i. Default 30000000. */
  firstId?: number;
  /** Every n-th meter is a heat meter (default 2: half water, half heat; 0: all water). */
  heatEvery?: number;
  /** Master seed of the keys and consumption. */
  seed?: string;
  /** The meters' clocks: minutes east of UTC (default 0). */
  tzMinutes?: number;
}

export interface MbusMeterInfo {
  index: number;
  id: string;
  manufacturer: string;
  medium: MbusMedium;
  deviceType: number;
  version: number;
  key: Uint8Array;
}

const EPOCH = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;

export class MbusFleet {
  readonly size: number;
  readonly manufacturer: string;
  readonly tzMinutes: number;
  private readonly firstId: number;
  private readonly heatEvery: number;
  private readonly seed: number;
  private readonly keys = new Map<number, AesKey>();

  constructor(c: MbusFleetConfig) {
    this.size = c.meters;
    this.manufacturer = c.manufacturer ?? 'HES';
    this.firstId = c.firstId ?? 30_000_000;
    this.heatEvery = c.heatEvery ?? 2;
    this.seed = seedOf(c.seed ?? 'hes-mbus-sim');
    this.tzMinutes = c.tzMinutes ?? 0;
    if (this.firstId + this.size > 99_999_999) throw new Error('meter ids must stay within 8 digits');
  }

  meter(i: number): MbusMeterInfo {
    const medium: MbusMedium = this.heatEvery > 0 && i % this.heatEvery === this.heatEvery - 1 ? 'heat' : 'water';
    const key = new Uint8Array(16);
    for (let k = 0; k < 4; k++) {
      const h = hash32(this.seed, i, 0x6b6579, k);
      key[4 * k] = h >>> 24;
      key[4 * k + 1] = h >>> 16;
      key[4 * k + 2] = h >>> 8;
      key[4 * k + 3] = h;
    }
    return { index: i, id: String(this.firstId + i), manufacturer: this.manufacturer, medium, deviceType: medium === 'heat' ? 0x04 : 0x07, version: 1, key };
  }

  /** The meter's key expanded once (telegram building encrypts with it). */
  private aesKey(i: number): AesKey {
    let k = this.keys.get(i);
    if (!k) {
      k = new AesKey(this.meter(i).key);
      if (this.keys.size > 100_000) this.keys.clear();
      this.keys.set(i, k);
    }
    return k;
  }

  /** A register at UTC time `t` (ms): base + r·h + swing; r per hour from the hash. */
  private register(i: number, which: number, t: number, base: number, rate: number): number {
    const h = (t - EPOCH) / HOUR;
    const r = rate * (0.5 + unit(this.seed, i, which));
    const phase = 2 * Math.PI * unit(this.seed, i, which + 100);
    return Math.floor(base * (1 + unit(this.seed, i, which + 200)) + r * h + (r / 3) * Math.sin((2 * Math.PI * h) / 24 - phase) + r / 3);
  }

  /** Water volume (litres) or heat energy (kWh) at `t`. */
  primaryValue(i: number, t: number): number {
    return this.meter(i).medium === 'heat' ? this.register(i, 1, t, 20_000, 1.5) : this.register(i, 1, t, 100_000, 15);
  }

  /** Heat meters: the volume through them (litres). */
  heatVolume(i: number, t: number): number {
    return this.register(i, 2, t, 500_000, 40);
  }

  /** The meter's local time (what its clock shows) as local ms. */
  localTime(t: number): number {
    return t + this.tzMinutes * 60_000;
  }

  /** The last due date before `t` (00:00 local of the month's first day, i.e. the end of the previous month), UTC ms. */
  dueDate(t: number): number {
    const local = new Date(this.localTime(t));
    return Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1) - this.tzMinutes * 60_000;
  }

  /** The records a meter sends at `t` (its clock to the minute). */
  records(i: number, t: number, errorFlags = 0): RecordSpec[] {
    const m = this.meter(i);
    const minute = Math.floor(t / 60_000) * 60_000;
    const due = this.dueDate(t);
    const dueLocalDay = this.localTime(due) - 86_400_000; // the last day of the previous month, as the meter's date
    if (m.medium === 'water') {
      return [
        { dataField: 0x04, vib: [0x13], value: this.primaryValue(i, t) },
        { dataField: 0x04, vib: [0x6d], value: this.localTime(minute) },
        { dataField: 0x04, vib: [0x13], value: this.primaryValue(i, due), storage: 1 },
        { dataField: 0x02, vib: [0x6c], value: dueLocalDay, storage: 1 },
        { dataField: 0x02, vib: [0x3b], value: 10 + (hash32(this.seed, i, Math.floor(t / HOUR)) % 900) },
        { dataField: 0x02, vib: [0xfd, 0x17], value: errorFlags },
        { dataField: 0x02, vib: [0xfd, 0x74], value: 3650 - Math.floor((t - EPOCH) / 86_400_000) % 3650 },
      ];
    }
    const flow = 550 + (hash32(this.seed, i, Math.floor(t / HOUR), 1) % 250);
    return [
      { dataField: 0x04, vib: [0x06], value: this.primaryValue(i, t) },
      { dataField: 0x04, vib: [0x13], value: this.heatVolume(i, t) },
      { dataField: 0x04, vib: [0x6d], value: this.localTime(minute) },
      { dataField: 0x02, vib: [0x5a], value: flow },
      { dataField: 0x02, vib: [0x5e], value: flow - 200 - (hash32(this.seed, i, Math.floor(t / HOUR), 2) % 100) },
      { dataField: 0x03, vib: [0x2b], value: 500 + (hash32(this.seed, i, Math.floor(t / HOUR), 3) % 5000) },
      { dataField: 0x03, vib: [0x3b], value: 100 + (hash32(this.seed, i, Math.floor(t / HOUR), 4) % 900) },
      { dataField: 0x04, vib: [0x06], value: this.primaryValue(i, due), storage: 1 },
      { dataField: 0x02, vib: [0x6c], value: dueLocalDay, storage: 1 },
      { dataField: 0x02, vib: [0xfd, 0x17], value: errorFlags },
    ];
  }

  /** A wireless telegram of meter `i` at `t`: access number and message counter from the time (one per minute). */
  telegram(i: number, t: number, o: { mode?: 0 | 5 | 7; frameFormat?: FrameFormat; key?: Uint8Array; errorFlags?: number } = {}): Uint8Array {
    const m = this.meter(i);
    const counter = Math.floor((t - EPOCH) / 60_000);
    return encodeWirelessTelegram({
      meter: m, accessNumber: counter & 0xff, mode: o.mode ?? 5, key: o.key ?? this.aesKey(i), messageCounter: counter,
      records: encodeRecords(this.records(i, t, o.errorFlags)), frameFormat: o.frameFormat ?? 'A',
    });
  }

  /**
   * The RSP_UD frames of meter `i` at `t` from primary address `address`, its records split over telegrams of
   * at most `perTelegram` (DIF 0x1F in all but the last); `mode` 5 encrypts each with the meter's key.
   */
  wiredResponses(i: number, t: number, address: number, perTelegram: number, accessNumber: number, mode: 0 | 5 = 0): Uint8Array[] {
    const m = this.meter(i);
    const all = this.records(i, t);
    const out: Uint8Array[] = [];
    for (let from = 0; from < all.length; from += perTelegram) {
      const part = encodeRecords(all.slice(from, from + perTelegram));
      const more = from + perTelegram < all.length;
      // DIF 0x1F: more records follow in the next telegram.
      const records = more ? Uint8Array.of(...part, 0x1f) : part;
      out.push(encodeWiredResponse({ meter: m, address, accessNumber: (accessNumber + out.length) & 0xff, mode, key: this.aesKey(i), records }));
    }
    return out;
  }
}
