/**
 * Device profiles of the simulator: what a meter type holds (its OBIS codes, profiles, journals,
 * relays), as data in sim/profiles/*.json. A profile is loaded and checked once; every meter of that
 * type shares it, so a meter itself stays a serial number and a few numbers.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseObis } from '../../decoders/dlms/obis.js';
import { CHANNELS, type Channel, TariffSchedule, type TariffZone } from '../model/energy.js';

export type Quantity = 'voltage' | 'current' | 'activePower' | 'reactivePower' | 'frequency' | 'powerFactor';

export interface InstantaneousSpec {
  obis: string;
  quantity: Quantity;
  /** 0 = total / three-phase value, 1..3 = phase. */
  phase: number;
  scaler: number;
  unit: number;
}

/** A profile column: an energy register ("A+" total, "A+T1".."A+T4"). */
export type ColumnName = `${Channel}` | `${Channel}T${1 | 2 | 3 | 4}`;

export interface LoadProfileSpec {
  obis: string;
  /** Capture period, s: 900, 1800 or 3600. */
  period: 900 | 1800 | 3600;
  /** 'delta': energy of the interval (SPODES 1.0.x.29.0.255 columns); 'register': cumulative reading (IDIS). */
  values: 'delta' | 'register';
  columns: ColumnName[];
  entries: number;
}

export interface BillingProfileSpec {
  obis: string;
  kind: 'daily' | 'monthly';
  columns: ColumnName[];
  entries: number;
}

export interface JournalSpec {
  obis: string;
  /** The journal's name as in BRIEF §4 (voltage, current, power, ...). */
  name: string;
  /** Data object holding the last event code (the journal's second capture object). */
  codeObis: string;
  /** Event codes drawn for generated events; the power journal uses its first two for off / on. */
  codes: number[];
  /** Mean generated events per day. */
  perDay: number;
  entries: number;
}

export interface RelaySpec {
  obis: string;
  kind: 'load' | 'signalling';
  controlMode: 0 | 1 | 2 | 3 | 4 | 5 | 6;
  /** Data object with the hardware lock state 0..3 (seed 003 §2.2.10); absent: the meter reports none. */
  lockObis?: string;
}

/** Journal events a meter pushes as alarms: every event of the journal, or only the listed codes. */
export interface AlarmSpec {
  journal: string;
  codes?: number[];
  /** Bit 0..31 of the alarm register (0.0.97.98.0.255) set while such an event is less than a day old. */
  bit?: number;
}

export interface DeviceProfile {
  name: string;
  description: string;
  /** Where the OBIS list comes from, and what was assumed (docs/simulator.md repeats it). */
  sources: string;
  phases: 1 | 3;
  /** FLAG manufacturer id: the first three letters of the logical device name. */
  manufacturer: string;
  firmware: string;
  utcOffsetMinutes: number;
  /**
   * The meter's APDU buffer, bytes: its server-max-receive-pdu-size in the AARE, and the largest APDU it sends
   * (longer GET answers go in blocks, whatever the client proposes). Default 1024.
   */
  maxPduSize?: number;
  /** Range of the load multiplier M (see model/energy.ts), share of meters with generation (A-). */
  load: { multiplier: [number, number]; prosumerShare: number; reactivePercent: [number, number] };
  tariffs: TariffZone[];
  objects: {
    logicalDeviceName: string;
    serialNumber: string;
    firmwareVersion: string;
    clock: string;
    association: string;
    securitySetup: string;
    invocationCounter: string;
    activityCalendar: string;
    specialDays: string;
    limiter: string;
    imageTransfer: string;
    pushSetup: string;
    /** Error and alarm registers (Data, double-long-unsigned bit fields; sim/model/status.ts). */
    errorRegister: string;
    alarmRegister: string;
  };
  /** OBIS per channel with `{t}` for the tariff (0 = total). */
  energy: Record<Channel, string>;
  /** Interval energy registers per channel (the SPODES x.29 objects) when the profile uses them. */
  intervalEnergy?: Record<Channel, string>;
  energyScaler: number;
  instantaneous: InstantaneousSpec[];
  loadProfiles: LoadProfileSpec[];
  billing: BillingProfileSpec[];
  journals: JournalSpec[];
  relays: RelaySpec[];
  /** Alarm pushes (default: the power journal); run-time events (relay switched) of these journals too. */
  alarms?: AlarmSpec[];
}

export interface CompiledProfile extends DeviceProfile {
  maxPduSize: number;
  tariffSchedule: TariffSchedule;
}

const DIR = fileURLToPath(new URL('.', import.meta.url));

/** A column as [channel index, tariff 0..4]. */
export function parseColumn(c: string): [number, number] {
  const m = /^([AR][+-])(?:T([1-4]))?$/.exec(c);
  const ch = m ? CHANNELS.indexOf(m[1] as Channel) : -1;
  if (!m || ch < 0) throw new Error(`column ${c} is not A+, A-, R+, R- with an optional T1..T4`);
  return [ch, m[2] ? Number(m[2]) : 0];
}

export function energyObis(p: DeviceProfile, ch: number, tariff: number): string {
  return p.energy[CHANNELS[ch]!].replace('{t}', String(tariff));
}

/** Checks a parsed profile (every OBIS parses, periods and columns make sense) and compiles it. */
export function compileProfile(p: DeviceProfile): CompiledProfile {
  const obis: string[] = [
    ...Object.values(p.objects),
    ...p.instantaneous.map((i) => i.obis),
    ...p.loadProfiles.map((l) => l.obis),
    ...p.billing.map((b) => b.obis),
    ...p.journals.flatMap((j) => [j.obis, j.codeObis]),
    ...p.relays.flatMap((r) => (r.lockObis ? [r.obis, r.lockObis] : [r.obis])),
    ...CHANNELS.map((c) => p.energy[c].replace('{t}', '0')),
    ...(p.intervalEnergy ? CHANNELS.map((c) => p.intervalEnergy![c]) : []),
  ];
  for (const o of obis) parseObis(o);
  for (const l of p.loadProfiles) {
    if (![900, 1800, 3600].includes(l.period)) throw new Error(`${p.name}: load profile ${l.obis} period ${l.period} is not 900/1800/3600`);
    if (l.values === 'delta' && !p.intervalEnergy) throw new Error(`${p.name}: delta profile ${l.obis} needs intervalEnergy objects`);
  }
  for (const c of [...p.loadProfiles, ...p.billing].flatMap((x) => x.columns)) parseColumn(c);
  for (const a of p.alarms ?? []) {
    if (!p.journals.some((j) => j.name === a.journal)) throw new Error(`${p.name}: alarm journal ${a.journal} is not a journal of the profile`);
    if (a.bit !== undefined && !(Number.isInteger(a.bit) && a.bit >= 0 && a.bit <= 31)) throw new Error(`${p.name}: alarm register bit ${a.bit} is not 0..31`);
  }
  if (p.maxPduSize !== undefined && !(Number.isInteger(p.maxPduSize) && p.maxPduSize >= 64 && p.maxPduSize <= 0xffff)) {
    throw new Error(`${p.name}: maxPduSize ${p.maxPduSize} is not 64..65535`);
  }
  if (p.utcOffsetMinutes % 15 !== 0) throw new Error(`${p.name}: utcOffsetMinutes must be a multiple of 15`);
  return { ...p, maxPduSize: p.maxPduSize ?? 1024, tariffSchedule: new TariffSchedule(p.tariffs) };
}

let cache: Map<string, CompiledProfile> | undefined;

/** The built-in profiles by name (sim/profiles/*.json). */
export function builtinProfiles(): ReadonlyMap<string, CompiledProfile> {
  if (!cache) {
    cache = new Map();
    for (const f of readdirSync(DIR).filter((n) => n.endsWith('.json')).sort()) {
      const p = compileProfile(JSON.parse(readFileSync(join(DIR, f), 'utf8')) as DeviceProfile);
      cache.set(p.name, p);
    }
  }
  return cache;
}

export function loadProfile(nameOrPath: string): CompiledProfile {
  const builtin = builtinProfiles().get(nameOrPath);
  if (builtin) return builtin;
  if (nameOrPath.endsWith('.json')) return compileProfile(JSON.parse(readFileSync(nameOrPath, 'utf8')) as DeviceProfile);
  throw new Error(`unknown device profile ${nameOrPath}; built in: ${[...builtinProfiles().keys()].join(', ')}`);
}
