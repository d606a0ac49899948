/**
 * The meter's status registers (Blue Book: error register 0.0.97.97.0.255 and alarm register
 * 0.0.97.98.0.255, Data objects whose bit meanings the companion specification assigns). The bits follow
 * the DSMR / IDIS layout published by open implementations: 0 clock invalid, 1 replace battery, 2 power
 * up, 8..12 memory, measurement and watchdog errors, 13 fraud attempt. Both are pure functions of the
 * meter (serial, faults) and the time, so an idle meter keeps nothing for them.
 */
import type { Meter } from '../meter.js';
import { generatedEventsBetween } from './events.js';

export const CLOCK_INVALID_BIT = 0;

const DAY_MS = 86_400_000;

/** Error register: the faults a meter reports about itself (the clockInvalid fault only). */
export function errorRegister(m: Meter): number {
  return m.options.clockInvalid ? 1 << CLOCK_INVALID_BIT : 0;
}

/**
 * Alarm register: the bit of each of the profile's alarms (`alarms[].bit`) that had a generated event of
 * its journal (and codes) in the last day, (nowMs − 24 h, nowMs]. A meter clears its alarms when the HES
 * resets them; ours forget them after a day instead, so the value needs no memory. Run-time events are
 * left out: they share journals (and codes) with generated ones on SPODES meters.
 */
export function alarmRegister(m: Meter, nowMs: number): number {
  let bits = 0;
  for (const a of m.profile.alarms ?? []) {
    if (a.bit === undefined) continue;
    const journal = m.profile.journals.findIndex((j) => j.name === a.journal);
    const events = generatedEventsBetween(m, journal, nowMs - DAY_MS + 1, nowMs + 1);
    if (events.some((e) => !a.codes || a.codes.includes(e.code))) bits |= 1 << a.bit;
  }
  return bits >>> 0;
}
