/**
 * Clock (class_id 8, version 0).
 *
 *   attributes: 1 logical_name, 2 time octet-string(12) date-time, 3 time_zone long (minutes of local
 *     normal time to UTC, same sign convention as the date-time deviation), 4 status unsigned (clock
 *     status bits), 5 daylight_savings_begin octet-string(12), 6 daylight_savings_end octet-string(12),
 *     7 daylight_savings_deviation integer (minutes, −120..120), 8 daylight_savings_enabled boolean,
 *     9 clock_base enum
 *   methods: 1 adjust_to_quarter, 2 adjust_to_measuring_period, 3 adjust_to_minute,
 *     4 adjust_to_preset_time (each integer(0)),
 *     5 preset_adjusting_time structure { preset_time, validity_interval_start, validity_interval_end }
 *       (octet-string(12) each), 6 shift_time long (seconds, −900..900)
 *
 * Date-time fields use decoders/dlms/axdr/datetime.ts (dateTimeToUtcMs etc.) for instants.
 */
import type { CosemDateTime } from '../axdr/types.js';
import { attributes, boolean, dateTime, i16, i8, int, logicalName, methods, struct, u8, valueError, zero, type Codec } from './codec.js';
import { ClassId } from './classes.js';

export const ClockBase = {
  notDefined: 0,
  internalCrystal: 1,
  mains50Hz: 2,
  mains60Hz: 3,
  gps: 4,
  radioControlled: 5,
} as const;

export interface Clock {
  logicalName: string;
  time: CosemDateTime;
  timeZone: number;
  status: number;
  daylightSavingsBegin: CosemDateTime;
  daylightSavingsEnd: CosemDateTime;
  daylightSavingsDeviation: number;
  daylightSavingsEnabled: boolean;
  clockBase: number;
}

export const clockAttributes = attributes<Clock>(ClassId.clock, {
  logicalName: [1, logicalName],
  time: [2, dateTime],
  timeZone: [3, i16],
  status: [4, u8],
  daylightSavingsBegin: [5, dateTime],
  daylightSavingsEnd: [6, dateTime],
  daylightSavingsDeviation: [7, i8],
  daylightSavingsEnabled: [8, boolean],
  clockBase: [9, int('enum', ClockBase.radioControlled)],
});

export interface PresetAdjustingTime {
  presetTime: CosemDateTime;
  validityIntervalStart: CosemDateTime;
  validityIntervalEnd: CosemDateTime;
}

/** shift_time: seconds, limited by the Blue Book to ±900. */
const shiftSeconds: Codec<number> = {
  decode(d, what) {
    return inShiftRange(i16.decode(d, what), what);
  },
  encode(v, what) {
    return i16.encode(inShiftRange(v, what), what);
  },
};

function inShiftRange(v: number, what: string): number {
  if (v < -900 || v > 900) throw valueError(what, `${v} s is outside −900..900`);
  return v;
}

export interface ClockMethods {
  adjustToQuarter: 0;
  adjustToMeasuringPeriod: 0;
  adjustToMinute: 0;
  adjustToPresetTime: 0;
  presetAdjustingTime: PresetAdjustingTime;
  shiftTime: number;
}

export const clockMethods = methods<ClockMethods>(ClassId.clock, {
  adjustToQuarter: [1, zero],
  adjustToMeasuringPeriod: [2, zero],
  adjustToMinute: [3, zero],
  adjustToPresetTime: [4, zero],
  presetAdjustingTime: [
    5,
    struct<PresetAdjustingTime>({
      presetTime: ['preset_time', dateTime],
      validityIntervalStart: ['validity_interval_start', dateTime],
      validityIntervalEnd: ['validity_interval_end', dateTime],
    }),
  ],
  shiftTime: [6, shiftSeconds],
});
