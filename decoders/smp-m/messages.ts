/**
 * The SMP-M message types: the plaintext payload of each (docs/smp-m.md, "Messages"). All integers big-endian;
 * times are u32 Unix seconds (UTC) of the meter's clock; energies are u32 watt-hours of active energy import (A+).
 *
 * ```
 * uplink
 * 0x01 end of day     time(4) n(1) total(4) T1(4) … Tn(4)        n ≤ 8; time = the end of the day the values close
 * 0x02 current energy time(4) n(1) total(4) T1(4) … Tn(4)        the registers now
 * 0x03 profile        time(4) period(1) k(1) Δ1(2) … Δk(2)        period 15 or 30 (minutes), 1 ≤ k ≤ 16; time = end of
 *                                                                 the first slice, slice i ends at time + (i−1)·period;
 *                                                                 Δ = Wh in the slice, 0xFFFF = no value (the meter was off)
 * 0x04 events         k(1) { time(4) code(1) } × k               1 ≤ k ≤ 8; codes in EVENT_CODES
 * 0x05 command result downlinkCounter(4) command(1) result(1) relay(1)
 *                                                                 result 0 done, 1 refused, 2 unknown command;
 *                                                                 relay 0 disconnected, 1 connected, 0xFF not fitted
 * downlink
 * 0x81 relay          action(1)                                   0 disconnect, 1 connect
 * 0x82 time correct   shift(4, signed)                            seconds to add to the meter's clock
 * ```
 */
import { SmpmError } from './errors.js';

export const MessageType = {
  endOfDay: 0x01,
  current: 0x02,
  profile: 0x03,
  events: 0x04,
  commandResult: 0x05,
  relay: 0x81,
  timeCorrection: 0x82,
} as const;

/** Event codes of message 0x04: name and the journal of the events archive it goes to. */
export const EVENT_CODES: Record<number, { name: string; journal: string }> = {
  0x01: { name: 'power off', journal: 'power-on-off' },
  0x02: { name: 'power on', journal: 'power-on-off' },
  0x03: { name: 'cover opened', journal: 'external-impact' },
  0x04: { name: 'magnetic field', journal: 'external-impact' },
  0x05: { name: 'relay disconnected', journal: 'relay' },
  0x06: { name: 'relay connected', journal: 'relay' },
  0x07: { name: 'clock corrected', journal: 'time-correction' },
};

export const COMMAND_RESULTS = ['done', 'refused', 'unknown command'] as const;

export type Message =
  | { type: 'endOfDay' | 'current'; time: number; total: number; tariffs: number[] }
  | { type: 'profile'; time: number; periodMinutes: 15 | 30; slices: (number | null)[] }
  | { type: 'events'; events: { time: number; code: number }[] }
  | { type: 'commandResult'; downlinkCounter: number; command: number; result: (typeof COMMAND_RESULTS)[number]; relay: 'disconnected' | 'connected' | null }
  | { type: 'relay'; action: 'disconnect' | 'connect' }
  | { type: 'timeCorrection'; shiftSeconds: number };

/** Reads the payload of a message of type `type` (the header's byte); offsets in errors are within the payload. */
export function decodeMessage(type: number, p: Uint8Array): Message {
  const v = new DataView(p.buffer, p.byteOffset, p.length);
  const need = (n: number, what: string) => {
    if (p.length !== n) throw new SmpmError('SMPM_LENGTH', `${what}: the payload has ${p.length} bytes, the layout ${n}`, Math.min(p.length, n));
  };
  const atLeast = (n: number, what: string) => {
    if (p.length < n) throw new SmpmError('SMPM_LENGTH', `${what}: the payload has ${p.length} bytes, at least ${n} needed`, p.length);
  };
  switch (type) {
    case MessageType.endOfDay:
    case MessageType.current: {
      const what = type === MessageType.endOfDay ? 'end of day' : 'current energy';
      atLeast(9, what);
      const n = p[4]!;
      if (n > 8) throw new SmpmError('SMPM_VALUE', `${what}: ${n} tariffs (at most 8)`, 4);
      need(9 + 4 * n, what);
      return { type: type === MessageType.endOfDay ? 'endOfDay' : 'current', time: v.getUint32(0), total: v.getUint32(5), tariffs: [...Array(n).keys()].map((i) => v.getUint32(9 + 4 * i)) };
    }
    case MessageType.profile: {
      atLeast(6, 'profile');
      const period = p[4]!;
      if (period !== 15 && period !== 30) throw new SmpmError('SMPM_VALUE', `profile: period ${period} minutes (15 or 30)`, 4);
      const k = p[5]!;
      if (k < 1 || k > 16) throw new SmpmError('SMPM_VALUE', `profile: ${k} slices (1 to 16)`, 5);
      need(6 + 2 * k, 'profile');
      return { type: 'profile', time: v.getUint32(0), periodMinutes: period, slices: [...Array(k).keys()].map((i) => { const d = v.getUint16(6 + 2 * i); return d === 0xffff ? null : d; }) };
    }
    case MessageType.events: {
      atLeast(1, 'events');
      const k = p[0]!;
      if (k < 1 || k > 8) throw new SmpmError('SMPM_VALUE', `events: ${k} events (1 to 8)`, 0);
      need(1 + 5 * k, 'events');
      return { type: 'events', events: [...Array(k).keys()].map((i) => ({ time: v.getUint32(1 + 5 * i), code: p[5 + 5 * i]! })) };
    }
    case MessageType.commandResult: {
      need(7, 'command result');
      const r = p[5]!;
      if (r >= COMMAND_RESULTS.length) throw new SmpmError('SMPM_VALUE', `command result: result ${r} (0 to 2)`, 5);
      const relay = p[6]!;
      if (relay > 1 && relay !== 0xff) throw new SmpmError('SMPM_VALUE', `command result: relay state ${relay} (0, 1 or 0xFF)`, 6);
      return { type: 'commandResult', downlinkCounter: v.getUint32(0), command: p[4]!, result: COMMAND_RESULTS[r]!, relay: relay === 0xff ? null : relay ? 'connected' : 'disconnected' };
    }
    case MessageType.relay: {
      need(1, 'relay');
      if (p[0]! > 1) throw new SmpmError('SMPM_VALUE', `relay: action ${p[0]} (0 or 1)`, 0);
      return { type: 'relay', action: p[0] ? 'connect' : 'disconnect' };
    }
    case MessageType.timeCorrection:
      need(4, 'time correction');
      return { type: 'timeCorrection', shiftSeconds: v.getInt32(0) };
    default:
      throw new SmpmError('SMPM_TYPE', `message type 0x${type.toString(16).padStart(2, '0')} is not defined`, 0);
  }
}

/** The header byte and payload of a message (the simulator's meters and the downlink tasks build packets with it). */
export function encodeMessage(m: Message): { type: number; payload: Uint8Array } {
  switch (m.type) {
    case 'endOfDay':
    case 'current': {
      const p = new Uint8Array(9 + 4 * m.tariffs.length);
      const v = new DataView(p.buffer);
      v.setUint32(0, m.time);
      p[4] = m.tariffs.length;
      v.setUint32(5, m.total);
      m.tariffs.forEach((t, i) => v.setUint32(9 + 4 * i, t));
      return { type: MessageType[m.type], payload: p };
    }
    case 'profile': {
      const p = new Uint8Array(6 + 2 * m.slices.length);
      const v = new DataView(p.buffer);
      v.setUint32(0, m.time);
      p[4] = m.periodMinutes;
      p[5] = m.slices.length;
      m.slices.forEach((d, i) => v.setUint16(6 + 2 * i, d ?? 0xffff));
      return { type: MessageType.profile, payload: p };
    }
    case 'events': {
      const p = new Uint8Array(1 + 5 * m.events.length);
      const v = new DataView(p.buffer);
      p[0] = m.events.length;
      m.events.forEach((e, i) => {
        v.setUint32(1 + 5 * i, e.time);
        p[5 + 5 * i] = e.code;
      });
      return { type: MessageType.events, payload: p };
    }
    case 'commandResult': {
      const p = new Uint8Array(7);
      new DataView(p.buffer).setUint32(0, m.downlinkCounter);
      p[4] = m.command;
      p[5] = COMMAND_RESULTS.indexOf(m.result);
      p[6] = m.relay === null ? 0xff : m.relay === 'connected' ? 1 : 0;
      return { type: MessageType.commandResult, payload: p };
    }
    case 'relay':
      return { type: MessageType.relay, payload: Uint8Array.of(m.action === 'connect' ? 1 : 0) };
    case 'timeCorrection': {
      const p = new Uint8Array(4);
      new DataView(p.buffer).setInt32(0, m.shiftSeconds);
      return { type: MessageType.timeCorrection, payload: p };
    }
  }
}
