/**
 * Event journals: generated events are a pure function of (meter seed, journal, local day), so a
 * journal of any depth is produced on demand. The power journal also records the outages of the
 * energy model (off at the start, on at the end), and every journal adds the events a meter raised
 * at run time (relay switched, clock set, firmware activated).
 */
import { unit } from './hash.js';
import { SLOT_MS, SLOTS_PER_DAY, outageOf } from './energy.js';
import type { JournalSpec } from '../profiles/profile.js';
import type { Meter } from '../meter.js';

export interface JournalEvent {
  timeMs: number;
  code: number;
}

const DAY_MS = 86_400_000;

function eventsOfDay(m: Meter, j: JournalSpec, jIndex: number, day: number, out: JournalEvent[]): void {
  const dayStartUtc = day * DAY_MS - m.load.utcOffsetMinutes * 60_000;
  if (j.name === 'power') {
    const o = outageOf(m.load, day);
    if (o) {
      out.push({ timeMs: dayStartUtc + o[0] * SLOT_MS, code: j.codes[0] ?? 1 });
      out.push({ timeMs: dayStartUtc + o[1] * SLOT_MS, code: j.codes[1] ?? 2 });
    }
  }
  const whole = Math.floor(j.perDay);
  const n = whole + (unit(m.seed, day, 20 + jIndex) < j.perDay - whole ? 1 : 0);
  for (let i = 0; i < n && j.codes.length > 0; i++) {
    const second = Math.floor(unit(m.seed, day, 100 + jIndex, i) * 86_400);
    const code = j.codes[Math.floor(unit(m.seed, day, 200 + jIndex, i) * j.codes.length)]!;
    out.push({ timeMs: dayStartUtc + second * 1000, code });
  }
}

/**
 * The events a journal holds at `nowMs`: at most `j.entries`, the newest ones, oldest first
 * (the buffer order of a FIFO profile).
 */
export function journalEvents(m: Meter, jIndex: number, nowMs: number): JournalEvent[] {
  const j = m.profile.journals[jIndex]!;
  const startDay = Math.floor(m.load.startSlot / SLOTS_PER_DAY);
  const historyStartMs = startDay * DAY_MS - m.load.utcOffsetMinutes * 60_000;
  const lastDay = Math.floor((nowMs + m.load.utcOffsetMinutes * 60_000) / DAY_MS);
  const collected: JournalEvent[] = [];
  for (const e of m.state.events) if (e.journal === j.name && e.timeMs <= nowMs) collected.push({ timeMs: e.timeMs, code: e.code });
  const day: JournalEvent[] = [];
  for (let d = lastDay; d >= startDay && collected.length < j.entries * 2; d--) {
    day.length = 0;
    eventsOfDay(m, j, jIndex, d, day);
    for (const e of day) if (e.timeMs <= nowMs && e.timeMs >= historyStartMs) collected.push(e);
  }
  collected.sort((a, b) => a.timeMs - b.timeMs || a.code - b.code);
  return collected.length > j.entries ? collected.slice(collected.length - j.entries) : collected;
}

/** The generated events of journal `jIndex` in [fromMs, toMs), oldest first (run-time events not included). */
export function generatedEventsBetween(m: Meter, jIndex: number, fromMs: number, toMs: number): JournalEvent[] {
  const j = m.profile.journals[jIndex]!;
  const shift = m.load.utcOffsetMinutes * 60_000;
  const historyStartMs = Math.floor(m.load.startSlot / SLOTS_PER_DAY) * DAY_MS - shift;
  const out: JournalEvent[] = [];
  for (let d = Math.floor((fromMs + shift) / DAY_MS); d <= Math.floor((toMs - 1 + shift) / DAY_MS); d++) eventsOfDay(m, j, jIndex, d, out);
  return out.filter((e) => e.timeMs >= fromMs && e.timeMs < toMs && e.timeMs >= historyStartMs).sort((a, b) => a.timeMs - b.timeMs || a.code - b.code);
}

/** Names of the journals a run-time event goes to, by preference. */
export const RUNTIME_JOURNALS = {
  relay: ['relay state', 'power control', 'external impacts', 'standard'],
  clock: ['time correction', 'data correction', 'standard'],
  firmware: ['data correction', 'self-diagnostics', 'standard'],
} as const;

/** Records a run-time event in the first journal of the profile that `kind` goes to. */
export function raiseEvent(m: Meter, kind: keyof typeof RUNTIME_JOURNALS, timeMs: number, code: number): void {
  const names = m.profile.journals.map((j) => j.name);
  const journal = RUNTIME_JOURNALS[kind].find((n) => names.includes(n));
  if (!journal) return;
  const e = { journal, timeMs, code };
  m.state.events.push(e);
  m.onEvent?.(e);
}
