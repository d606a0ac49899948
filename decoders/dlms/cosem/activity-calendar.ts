/**
 * Activity calendar (class_id 20, version 0): the tariff calendar, an active copy (read-only) and a
 * passive copy that is written and then activated.
 *
 *   season_profile     ::= array season { season_profile_name octet-string,
 *                                         season_start octet-string(12) date-time, week_name octet-string }
 *   week_profile_table ::= array week_profile { week_profile_name octet-string,
 *                                               monday .. sunday: day_id unsigned }
 *   day_profile_table  ::= array day_profile { day_id unsigned,
 *                            day_schedule array day_profile_action { start_time octet-string(4) time,
 *                              script_logical_name octet-string(6), script_selector long-unsigned } }
 *   attributes: 1 logical_name, 2 calendar_name_active octet-string, 3 season_profile_active,
 *     4 week_profile_table_active, 5 day_profile_table_active, 6 calendar_name_passive,
 *     7 season_profile_passive, 8 week_profile_table_passive, 9 day_profile_table_passive,
 *     10 activate_passive_calendar_time octet-string(12) date-time
 *   methods: 1 activate_passive_calendar integer(0)
 */
import type { CosemDateTime, CosemTime } from '../axdr/types.js';
import { array, attributes, dateTime, logicalName, methods, octetString, struct, time, u16, u8, zero } from './codec.js';
import { ClassId } from './classes.js';

export interface Season {
  name: Uint8Array;
  start: CosemDateTime;
  weekName: Uint8Array;
}

export interface WeekProfile {
  name: Uint8Array;
  monday: number;
  tuesday: number;
  wednesday: number;
  thursday: number;
  friday: number;
  saturday: number;
  sunday: number;
}

export interface DayProfileAction {
  startTime: CosemTime;
  scriptLogicalName: string;
  scriptSelector: number;
}

export interface DayProfile {
  dayId: number;
  schedule: DayProfileAction[];
}

export const seasonProfile = array(
  struct<Season>({ name: ['season_profile_name', octetString], start: ['season_start', dateTime], weekName: ['week_name', octetString] }),
);

export const weekProfileTable = array(
  struct<WeekProfile>({
    name: ['week_profile_name', octetString],
    monday: ['monday', u8],
    tuesday: ['tuesday', u8],
    wednesday: ['wednesday', u8],
    thursday: ['thursday', u8],
    friday: ['friday', u8],
    saturday: ['saturday', u8],
    sunday: ['sunday', u8],
  }),
);

export const dayProfileTable = array(
  struct<DayProfile>({
    dayId: ['day_id', u8],
    schedule: [
      'day_schedule',
      array(
        struct<DayProfileAction>({
          startTime: ['start_time', time],
          scriptLogicalName: ['script_logical_name', logicalName],
          scriptSelector: ['script_selector', u16],
        }),
      ),
    ],
  }),
);

export interface ActivityCalendar {
  logicalName: string;
  calendarNameActive: Uint8Array;
  seasonProfileActive: Season[];
  weekProfileTableActive: WeekProfile[];
  dayProfileTableActive: DayProfile[];
  calendarNamePassive: Uint8Array;
  seasonProfilePassive: Season[];
  weekProfileTablePassive: WeekProfile[];
  dayProfileTablePassive: DayProfile[];
  activatePassiveCalendarTime: CosemDateTime;
}

export const activityCalendarAttributes = attributes<ActivityCalendar>(ClassId.activityCalendar, {
  logicalName: [1, logicalName],
  calendarNameActive: [2, octetString],
  seasonProfileActive: [3, seasonProfile],
  weekProfileTableActive: [4, weekProfileTable],
  dayProfileTableActive: [5, dayProfileTable],
  calendarNamePassive: [6, octetString],
  seasonProfilePassive: [7, seasonProfile],
  weekProfileTablePassive: [8, weekProfileTable],
  dayProfileTablePassive: [9, dayProfileTable],
  activatePassiveCalendarTime: [10, dateTime],
});

export const activityCalendarMethods = methods<{ activatePassiveCalendar: 0 }>(ClassId.activityCalendar, {
  activatePassiveCalendar: [1, zero],
});
