/**
 * A fleet of simulated meters: serials, per-meter keys derived from a master seed, faults, and the
 * little that must survive a restart (invocation counters, in a state file). A meter is built when a
 * session needs it and forgotten after; only meters a command changed keep a MeterState.
 */
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { faultsFor, type FaultRule, type MeterFaults } from './faults.js';
import { buildMeter, newMeterState, type Meter, type MeterState, type RuntimeEvent } from './meter.js';
import { systemTitleOf } from './objects/control.js';
import { ObjectTable } from './objects/index.js';
import { loadProfile, type CompiledProfile } from './profiles/profile.js';

export type SecurityMode = 'none' | 'low' | 'high-gmac';

export interface FleetConfig {
  meters: number;
  /** Serial of meter 0; the others follow (digits only). */
  firstSerial: string;
  profile: string;
  masterSeed: string;
  security: SecurityMode;
  /** Local date where generated history starts, YYYY-MM-DD. */
  historyStart: string;
  faults: FaultRule[];
  /** JSON file holding invocation counters across restarts (none: counters start at 0). */
  stateFile?: string;
  /** Where Push Setup says pushes go ("host:port"). */
  pushDestination: string;
  /** Scheduled and event pushes the meters send (sim/push.ts); none by default. */
  pushes?: PushKind[];
}

export type PushKind = 'daily' | 'interval' | 'alarm' | 'power-down';

export const DEFAULT_FLEET: FleetConfig = {
  meters: 10,
  firstSerial: '30800001',
  profile: 'ce308',
  masterSeed: 'hes-sim',
  security: 'none',
  historyStart: '2025-01-01',
  faults: [],
  pushDestination: '127.0.0.1:4059',
};

export interface MeterKeys {
  serial: string;
  systemTitle: Uint8Array;
  /** LLS password (8 digits). */
  password: string;
  blockCipherKey: Uint8Array;
  authenticationKey: Uint8Array;
  /** Key-encryption key for key_transfer. */
  masterKey: Uint8Array;
}

function derive(seed: string, serial: string, what: string): Uint8Array {
  return new Uint8Array(createHmac('sha256', seed).update(`${serial}/${what}`).digest().subarray(0, 16));
}

/** Meters whose derived keys are kept (≈ 300 bytes each). */
const KEY_CACHE_LIMIT = 4096;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

/**
 * Invocations reserved ahead per meter (with a state file): before a session uses a meter's counter, the
 * file holds a value above it by at least half of this, so a fleet killed without saving (kill -9) comes
 * back with counters above every one it sent, and the HES's replay guard accepts them.
 */
export const COUNTER_RESERVE = 100_000;
const MAX_COUNTER = 0xffff_ffff;

export class Fleet {
  readonly profile: CompiledProfile;
  readonly table: ObjectTable;
  /** The meter's own invocation counter (what its next ciphered APDU carries), per meter. */
  readonly counters: Uint32Array;
  /** The counter each meter may reach before the state file must be written again (what the file holds). */
  private readonly reserved: Float64Array;
  private readonly states = new Map<number, MeterState>();
  private readonly keyCache = new Map<number, MeterKeys>();
  /** Meters in use by open sessions (one meter seen by two connections is one meter). */
  private readonly live = new Map<number, { meter: Meter; users: number }>();
  /** Told of run-time events (relay switched, ...) of any meter: the push scheduler's alarms. */
  onRuntimeEvent: ((index: number, e: RuntimeEvent) => void) | undefined;
  private readonly firstSerial: bigint;
  private readonly historyStartDay: number;
  readonly startedAt: number;

  constructor(
    readonly config: FleetConfig,
    readonly now: () => number = Date.now,
  ) {
    if (!/^\d+$/.test(config.firstSerial)) throw new Error(`first serial ${config.firstSerial} must be digits`);
    if (!(config.meters >= 1)) throw new Error('a fleet needs at least one meter');
    const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(config.historyStart);
    if (!m) throw new Error(`history start ${config.historyStart} is not YYYY-MM-DD`);
    this.historyStartDay = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 86_400_000;
    this.profile = loadProfile(config.profile);
    this.table = new ObjectTable(this.profile, { destination: config.pushDestination });
    this.counters = new Uint32Array(config.meters);
    this.reserved = new Float64Array(config.meters);
    this.firstSerial = BigInt(config.firstSerial);
    this.startedAt = now();
    if (config.stateFile && existsSync(config.stateFile)) this.loadState(config.stateFile);
  }

  get size(): number {
    return this.config.meters;
  }

  serial(index: number): string {
    return String(this.firstSerial + BigInt(index)).padStart(this.config.firstSerial.length, '0');
  }

  indexOfSerial(serial: string): number {
    if (!/^\d+$/.test(serial)) return -1;
    const i = Number(BigInt(serial) - this.firstSerial);
    return i >= 0 && i < this.size ? i : -1;
  }

  faults(index: number): MeterFaults {
    return faultsFor(this.config.faults, this.serial(index));
  }

  /** The keys the HES should hold for the meter (what `exportKeys` writes). Shared: do not modify. */
  keys(index: number): MeterKeys {
    // four HMACs per meter, asked by every session: the meters seen last are kept (first in, first out)
    let k = this.keyCache.get(index);
    if (!k) {
      k = this.deriveKeys(index);
      this.keyCache.set(index, k);
      if (this.keyCache.size > KEY_CACHE_LIMIT) this.keyCache.delete(this.keyCache.keys().next().value!);
    }
    return k;
  }

  private deriveKeys(index: number): MeterKeys {
    const serial = this.serial(index);
    const seed = this.config.masterSeed;
    const password = String(parseInt(hex(derive(seed, serial, 'LLS')).slice(0, 8), 16) % 100_000_000).padStart(8, '0');
    return {
      serial,
      systemTitle: systemTitleOf(this.profile.manufacturer, serial),
      password,
      blockCipherKey: derive(seed, serial, 'EK'),
      authenticationKey: derive(seed, serial, 'AK'),
      masterKey: derive(seed, serial, 'KEK'),
    };
  }

  /** The keys the meter itself holds: the exported ones, unless the wrong-keys fault applies. */
  meterKeys(index: number): MeterKeys {
    const k = this.keys(index);
    if (!this.faults(index).wrongKeys) return k;
    const seed = `${this.config.masterSeed}/wrong`;
    return { ...k, password: k.password.split('').reverse().join('') + '9', blockCipherKey: derive(seed, k.serial, 'EK'), authenticationKey: derive(seed, k.serial, 'AK') };
  }

  /** The meter as it is now: the one an open session uses, else built from its serial and kept state. */
  meter(index: number): Meter {
    const live = this.live.get(index);
    if (live) return live.meter;
    if (!(index >= 0 && index < this.size)) throw new Error(`no meter ${index} in a fleet of ${this.size}`);
    const f = this.faults(index);
    const m = buildMeter(
      index,
      this.serial(index),
      this.profile,
      {
        historyStartDay: this.historyStartDay, clockDriftPpm: f.clockDriftPpm, driftEpochMs: this.startedAt, clockInvalid: f.clockInvalid,
        outagesPerDay: f.outagesPerDay, relayLocked: f.relayLocked,
        imageBlockFailEvery: f.imageBlockFailEvery, imageRejected: f.imageRejected, imageBad: f.imageBad,
      },
      this.states.get(index) ?? newMeterState(),
    );
    m.onEvent = (e) => this.onRuntimeEvent?.(index, e);
    return m;
  }

  /** A meter for a session; `leave` when the session ends. */
  acquire(index: number): Meter {
    let l = this.live.get(index);
    if (!l) this.live.set(index, (l = { meter: this.meter(index), users: 0 }));
    l.users++;
    return l.meter;
  }

  leave(m: Meter): void {
    this.release(m);
    const l = this.live.get(m.index);
    if (l?.meter === m && --l.users <= 0) this.live.delete(m.index);
  }

  /** Keeps what a session changed in the meter; an unchanged meter keeps nothing. */
  release(m: Meter): void {
    const s = m.state;
    if (s.relays || s.written || s.image || s.firmware !== null || s.events.length || s.clockOffsetMs) this.states.set(m.index, s);
  }

  /** Meters that hold a MeterState (changed by a command). */
  get changedMeters(): number {
    return this.states.size;
  }

  /**
   * Call before a session uses meter `index`'s counter: when the state file's reservation for it runs low,
   * every meter's reservation is renewed and the file written (so that meters starting together share one write).
   */
  reserveCounter(index: number): void {
    if (!this.config.stateFile || this.counters[index]! + COUNTER_RESERVE / 2 <= this.reserved[index]!) return;
    for (let i = 0; i < this.size; i++) {
      if (this.counters[i]! + COUNTER_RESERVE / 2 > this.reserved[i]!) this.reserved[i] = Math.min(this.counters[i]! + COUNTER_RESERVE, MAX_COUNTER);
    }
    this.saveState();
  }

  /** Writes each meter's counter, or its reservation when higher (sessions may be running: the file stays ahead of them). */
  saveState(file = this.config.stateFile): void {
    if (!file) return;
    const counters: Record<string, number> = {};
    for (let i = 0; i < this.size; i++) {
      const c = Math.max(this.counters[i]!, this.reserved[i]!);
      if (c) counters[this.serial(i)] = c;
    }
    writeFileSync(`${file}.tmp`, JSON.stringify({ version: 1, counters }));
    renameSync(`${file}.tmp`, file);
  }

  loadState(file: string): void {
    const s = JSON.parse(readFileSync(file, 'utf8')) as { counters?: Record<string, number> };
    for (const [serial, counter] of Object.entries(s.counters ?? {})) {
      const i = this.indexOfSerial(serial);
      if (i >= 0) this.counters[i] = this.reserved[i] = counter;
    }
  }

  /** The registry's view of the fleet: serial, device type, addressing and keys. */
  exportKeys(format: 'json' | 'csv', address: (index: number) => string): string {
    const rows = [];
    for (let i = 0; i < this.size; i++) {
      const k = this.keys(i);
      rows.push({
        serial: k.serial,
        deviceType: this.profile.name.toUpperCase(),
        address: address(i),
        security: this.config.security,
        password: k.password,
        systemTitle: hex(k.systemTitle),
        blockCipherKey: hex(k.blockCipherKey),
        authenticationKey: hex(k.authenticationKey),
        masterKey: hex(k.masterKey),
      });
    }
    if (format === 'json') return JSON.stringify(rows, null, 1) + '\n';
    const cols = Object.keys(rows[0]!) as (keyof (typeof rows)[0])[];
    return [cols.join(','), ...rows.map((r) => cols.map((c) => r[c]).join(','))].join('\n') + '\n';
  }
}
