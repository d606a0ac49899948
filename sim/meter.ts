/**
 * One simulated meter, built on demand from its serial number, its device profile and the fleet's
 * settings, and dropped after the session: an idle meter costs the fleet nothing but its index.
 * What a meter remembers between sessions (relay, clock adjustment, written attributes, firmware
 * transfer, events raised by commands) lives in a MeterState created on the first change.
 */
import type { DlmsData } from '../decoders/dlms/axdr/types.js';
import { seedOf, unit } from './model/hash.js';
import { CHANNELS, type ChannelLoad, type LoadModel, SLOTS_PER_DAY } from './model/energy.js';
import type { CompiledProfile } from './profiles/profile.js';

/** A relay's state: control_state / control_mode of class 70 and the lock of seed 003 §2.2.10. */
export interface RelayState {
  controlState: 0 | 1 | 2;
  controlMode: 0 | 1 | 2 | 3 | 4 | 5 | 6;
  /** 0 auto, 1 locked, 2 forced off, 3 forced on; null when the meter reports no lock. */
  lock: 0 | 1 | 2 | 3 | null;
}

export interface ImageState {
  status: number;
  identifier: Uint8Array;
  size: number;
  blockSize: number;
  blocks: { length: number; bytes: Uint8Array };
  /** The image bytes received so far (allocated at initiate, dropped after activation). */
  image: Uint8Array | null;
  /** image_block_transfer requests received, and those that carried a block already received (what a resume must keep at most one of). */
  blockRequests: number;
  duplicateBlocks: number;
}

/** An event raised at run time (relay switched, clock set, firmware activated), journal by name. */
export interface RuntimeEvent {
  journal: string;
  timeMs: number;
  code: number;
}

export interface MeterState {
  clockOffsetMs: number;
  relays: RelayState[] | null;
  /** Attributes written by SET, by "class/obis/attribute". */
  written: Map<string, DlmsData> | null;
  image: ImageState | null;
  firmware: string | null;
  events: RuntimeEvent[];
}

export function newMeterState(): MeterState {
  return { clockOffsetMs: 0, relays: null, written: null, image: null, firmware: null, events: [] };
}

/** Per-meter settings that faults and the fleet configuration decide. */
export interface MeterOptions {
  /** Local day (days since 1970-01-01 in the meter's time) where history starts. */
  historyStartDay: number;
  /** Clock drift, parts per million, counted from `driftEpochMs`. */
  clockDriftPpm: number;
  driftEpochMs: number;
  /** The clock is known to be invalid (error register bit 0). */
  clockInvalid: boolean;
  /** Probability of a power outage per day (0 = none). */
  outagesPerDay: number;
  /** Relays refuse to switch: they start locked (lock state 1). */
  relayLocked: boolean;
  /** Image transfer faults (sim/faults.ts). */
  imageBlockFailEvery: number;
  imageRejected: boolean;
  imageBad: boolean;
}

export interface Meter {
  index: number;
  serial: string;
  profile: CompiledProfile;
  seed: number;
  load: LoadModel;
  /** Register readings at the start of history, Wh, per channel, index 1..4 per tariff. */
  offsetsWh: Float64Array[];
  /** Share of the load per phase (three-phase meters). */
  phaseShares: readonly number[];
  options: MeterOptions;
  state: MeterState;
  /** Told of every run-time event (alarm pushes); set by the fleet. */
  onEvent?: (e: RuntimeEvent) => void;
}

function between(seed: number, key: number, [lo, hi]: readonly [number, number]): number {
  return lo + Math.floor(unit(seed, key, 11) * (hi - lo + 1));
}

export function buildMeter(index: number, serial: string, profile: CompiledProfile, options: MeterOptions, state: MeterState): Meter {
  const seed = seedOf(`${profile.name}/${serial}`);
  const m = between(seed, 1, profile.load.multiplier);
  const prosumer = unit(seed, 2, 11) < profile.load.prosumerShare;
  const reactive = between(seed, 3, profile.load.reactivePercent);
  const channels: ChannelLoad[] = [
    { multiplier: m, shape: 'consumption', seed: seedOf(`${serial}/A+`) },
    { multiplier: prosumer ? Math.max(1, Math.round(m * 0.6)) : 0, shape: 'solar', seed: seedOf(`${serial}/A-`) },
    { multiplier: Math.max(1, Math.round((m * reactive) / 100)), shape: 'consumption', seed: seedOf(`${serial}/R+`) },
    { multiplier: Math.max(1, Math.round((m * reactive) / 1000)), shape: 'consumption', seed: seedOf(`${serial}/R-`) },
  ];
  const offsetsWh = CHANNELS.map((_, ch) => {
    const o = new Float64Array(5);
    if (channels[ch]!.multiplier > 0) for (let k = 1; k <= 4; k++) o[k] = Math.floor(unit(seed, ch * 8 + k, 12) * 2_000_000) * (k === 4 ? 0 : 1);
    return o;
  });
  const shares = profile.phases === 3 ? [0, 1, 2].map((p) => 0.8 + unit(seed, p, 13) * 0.4) : [1];
  const sum = shares.reduce((a, b) => a + b, 0);
  return {
    index,
    serial,
    profile,
    seed,
    load: {
      startSlot: options.historyStartDay * SLOTS_PER_DAY,
      utcOffsetMinutes: profile.utcOffsetMinutes,
      channels,
      tariffs: profile.tariffSchedule,
      outages: options.outagesPerDay > 0 ? { seed: seedOf(`${serial}/outage`), perDay: options.outagesPerDay } : null,
    },
    offsetsWh,
    phaseShares: shares.map((s) => s / sum),
    options,
    state,
  };
}

/** The meter's clock: true time + drift + adjustments made by the HES. */
export function meterTime(m: Meter, nowMs: number): number {
  return nowMs + Math.round(((nowMs - m.options.driftEpochMs) * m.options.clockDriftPpm) / 1e6) + m.state.clockOffsetMs;
}

export function relayStates(m: Meter): RelayState[] {
  if (!m.state.relays) {
    m.state.relays = m.profile.relays.map((r) => ({
      controlState: 1,
      controlMode: r.controlMode,
      lock: r.lockObis ? (m.options.relayLocked ? 1 : 0) : null,
    }));
  }
  return m.state.relays;
}
