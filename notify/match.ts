/**
 * Which stored events a notification rule is about, and whether its quiet period holds now: pure functions
 * (no I/O), the whole of the matching the notifier does before its de-duplication check.
 */
import type { EventRow, Severity } from '../decoders/protocol-decoder.js';

export interface RuleFilter {
  eventCodes: readonly number[];
  severities: readonly Severity[];
  /** Empty: every group of the project. */
  groupIds: readonly string[];
}

/** An event matches when its code or its severity is listed, and its device is in one of the rule's groups (if any). */
export function matchesRule(rule: RuleFilter, event: Pick<EventRow, 'code' | 'severity'>, deviceGroupId: string): boolean {
  if (rule.groupIds.length && !rule.groupIds.includes(deviceGroupId)) return false;
  return rule.eventCodes.includes(event.code) || (!!event.severity && rule.severities.includes(event.severity));
}

/** 'HH:MM' → minutes after midnight. */
export function minuteOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/**
 * Whether `atMs` falls in the daily quiet period [from, to) of `timeZone` (IANA). A period whose end is
 * before its start runs over midnight (22:00–07:00); from = to is no period.
 */
export function inQuietPeriod(quiet: { from: string; to: string } | null, timeZone: string, atMs: number): boolean {
  if (!quiet) return false;
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(atMs);
  const local = Number(parts.find((p) => p.type === 'hour')!.value) * 60 + Number(parts.find((p) => p.type === 'minute')!.value);
  const from = minuteOfDay(quiet.from);
  const to = minuteOfDay(quiet.to);
  return from <= to ? local >= from && local < to : local >= from || local < to;
}
