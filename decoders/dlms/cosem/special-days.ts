/**
 * Special days table (class_id 11, version 0): dates that override the week profile of the
 * activity calendar (holidays).
 *
 *   spec_day_entry ::= structure { index long-unsigned, specialday_date octet-string(5) date, day_id unsigned }
 *   attributes: 1 logical_name, 2 entries array spec_day_entry
 *   methods: 1 insert spec_day_entry (replaces an entry with the same index), 2 delete long-unsigned (index)
 */
import type { CosemDate } from '../axdr/types.js';
import { array, attributes, date, logicalName, methods, struct, u16, u8 } from './codec.js';
import { ClassId } from './classes.js';

export interface SpecialDay {
  index: number;
  /** Unspecified fields repeat yearly (year 0xFFFF) etc., as in any COSEM date. */
  date: CosemDate;
  dayId: number;
}

export const specialDayEntry = struct<SpecialDay>({ index: ['index', u16], date: ['specialday_date', date], dayId: ['day_id', u8] });

export interface SpecialDaysTable {
  logicalName: string;
  entries: SpecialDay[];
}

export const specialDaysAttributes = attributes<SpecialDaysTable>(ClassId.specialDaysTable, {
  logicalName: [1, logicalName],
  entries: [2, array(specialDayEntry)],
});

export const specialDaysMethods = methods<{ insert: SpecialDay; delete: number }>(ClassId.specialDaysTable, {
  insert: [1, specialDayEntry],
  delete: [2, u16],
});
