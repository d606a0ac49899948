/**
 * What a task collects or executes (seed 003 §2.2.22 step 2, figure 114): measurement archives with depth
 * and tags (A+/A-/R+/R- by tariff T0..T4), event journals with depth, state archives, and commands. The JSON
 * schemas validate API bodies and appear in the OpenAPI document.
 */
import { DATE_TEXT, OFFSET_TEXT, TIME_TEXT, WEEKDAYS } from './configure.js';

export const MEASUREMENT_ARCHIVES = ['end-of-day', 'end-of-month', 'profile-15', 'profile-30', 'profile-60', 'current', 'network', 'telemetry'] as const;
export const STATE_ARCHIVES = ['state-time', 'state-configuration', 'state-state', 'state-info', 'state-relay'] as const;
export const JOURNALS = [
  'voltage', 'current', 'power-on-off', 'data-correction', 'external-impact', 'communication', 'access-control',
  'self-diagnostics', 'power-quality', 'time-correction', 'power-control', 'relay',
] as const;
export const TAG_PATTERN = '^(A\\+|A-|R\\+|R-) T[0-4]$';
export const DEPTH_UNITS = ['minutes', 'hours', 'days', 'months'] as const;

/** Command functions; the "configure" ones change tariffs or limits, "read" ones only read. */
export const COMMANDS = {
  'relay-connect': 'control', 'relay-disconnect': 'control', 'relay-read': 'control',
  'clock-read': 'control', 'clock-sync': 'control',
  'tariff-read-active': 'configure', 'tariff-read-passive': 'configure', 'tariff-write-passive': 'configure', 'tariff-activate': 'configure',
  'special-days-read': 'configure', 'special-days-write': 'configure', 'special-days-delete': 'configure',
  'limits-read': 'configure', 'limits-write': 'configure',
  'push-setup-read': 'configure', 'push-setup-write': 'configure',
} as const;
export type CommandFunction = keyof typeof COMMANDS;
export type ConfigureFunction = { [F in CommandFunction]: (typeof COMMANDS)[F] extends 'configure' ? F : never }[CommandFunction];

export interface Depth {
  count: number;
  unit: (typeof DEPTH_UNITS)[number];
}

export interface MeasurementItem {
  archive: (typeof MEASUREMENT_ARCHIVES)[number];
  depth?: Depth;
  /** e.g. "A+ T1", "A- T0"; empty = every tag of the archive. */
  tags?: string[];
  /**
   * The meter pushes this archive (its device profile's Push Setups): the launch does not read it; the gap
   * check after the launch reads from the meter only the slots of its depth that no push filled.
   */
  pushed?: boolean;
}

export interface CommandItem {
  function: CommandFunction;
  params?: Record<string, unknown>;
}

export interface TaskContent {
  measurements?: MeasurementItem[];
  events?: { journals?: string[]; depth?: Depth };
  states?: string[];
  commands?: CommandItem[];
}

const depth = {
  type: 'object', additionalProperties: false, required: ['count', 'unit'],
  properties: { count: { type: 'integer', minimum: 1, maximum: 10000 }, unit: { type: 'string', enum: DEPTH_UNITS } },
};

const OBIS = { type: 'string', pattern: '^\\d{1,3}(\\.\\d{1,3}){5}$' };
const cosemName = { type: 'string', maxLength: 64, description: 'octet-string as printable ASCII text, or 0x + hex' };
const dayId = { type: 'integer', minimum: 0, maximum: 255 };
const entries = (items: object, description: string) => ({ type: 'array', maxItems: 255, description, items });
const record = (required: string[], properties: Record<string, object>) => ({ type: 'object', additionalProperties: false, required, properties });

/** The JSON of scheduler/configure.ts: what the reads answer, the writes take. */
const calendar = {
  ...record(['name', 'seasons', 'weeks', 'days'], {
    name: cosemName,
    seasons: entries(record(['name', 'start', 'week'], {
      name: cosemName,
      start: { type: 'string', pattern: `^${DATE_TEXT}T${TIME_TEXT}${OFFSET_TEXT}$`, description: 'season_start, e.g. ****-04-01T00:00 (every 1 April)' },
      week: { ...cosemName, description: 'the name of a week profile in weeks' },
    }), 'season_profile'),
    weeks: entries(record(['name', ...WEEKDAYS], { name: cosemName, ...Object.fromEntries(WEEKDAYS.map((d) => [d, { ...dayId, description: 'a dayId in days' }])) }), 'week_profile_table'),
    days: entries(record(['dayId', 'schedule'], {
      dayId,
      schedule: entries(record(['start', 'script', 'selector'], {
        start: { type: 'string', pattern: `^${TIME_TEXT}$`, description: 'hh:mm[:ss[.cc]] local time' },
        script: { ...OBIS, description: 'script table run at start, e.g. 0.0.10.0.100.255 (tariffication)' },
        selector: { type: 'integer', minimum: 0, maximum: 65535, description: 'script id, e.g. the tariff number' },
      }), 'day_schedule'),
    }), 'day_profile_table'),
  }),
  description: 'activity calendar (COSEM class 20) as tariff-read-passive answers it; COSEM dates and times with * = not specified',
};

const threshold = { type: 'number', description: "in the monitored value's units, unscaled" };
const seconds = { type: 'integer', minimum: 0, maximum: 4294967295, description: 'seconds' };

/** Parameters by command function; unlisted functions take none. */
export const COMMAND_PARAMS: Record<string, object> = {
  relay: { type: 'string', enum: ['load', 'signal'], default: 'load' },
  maxDriftSeconds: { type: 'integer', minimum: 1, maximum: 86400, description: 'clock-sync: refuse a larger drift unless forced (default: the project\'s)' },
  minDriftSeconds: { type: 'integer', minimum: 0, maximum: 86400, description: 'clock-sync: leave a smaller drift alone (default: the project\'s)' },
  force: { type: 'boolean' },
  calendar,
  activateAt: { type: 'string', format: 'date-time', description: 'activate the passive calendar at this time; absent = now' },
  days: {
    type: 'array', maxItems: 256, description: 'special days (COSEM class 11), inserted; an entry with the date of an existing one replaces it',
    items: record(['date', 'dayId'], {
      index: { type: 'integer', minimum: 0, maximum: 65535, description: 'entry index; absent = that of the entry with the same date, else the next free one' },
      date: { type: 'string', pattern: `^${DATE_TEXT}$`, description: 'YYYY-MM-DD; **** as the year = every year' },
      yearly: { type: 'boolean', description: 'every year (the year of date is not kept)' },
      dayId: { ...dayId, description: 'the day profile of the activity calendar used on that date' },
    }),
  },
  indexes: { type: 'array', maxItems: 256, uniqueItems: true, items: { type: 'integer', minimum: 0, maximum: 65535 }, description: 'special-days-delete: the entries with these indexes' },
  dates: {
    type: 'array', maxItems: 256, uniqueItems: true, items: { type: 'string', pattern: `^${DATE_TEXT}$` },
    description: 'special-days-delete: the entries on these dates (YYYY-MM-DD; **** as the year = a yearly entry)',
  },
  pushSetup: { ...OBIS, description: 'push-setup-read / push-setup-write: the Push Setup (class 40), e.g. 0.2.25.9.0.255' },
  push: {
    type: 'object', additionalProperties: false, minProperties: 1, description: 'push-setup-write: the Push Setup attributes to set (only those given)',
    properties: {
      objects: {
        type: 'array', maxItems: 64, description: 'push_object_list',
        items: record(['classId', 'obis', 'attribute'], {
          classId: { type: 'integer', minimum: 0, maximum: 65535 }, obis: OBIS, attribute: { type: 'integer', minimum: -128, maximum: 127 },
          dataIndex: { type: 'integer', minimum: 0, maximum: 65535, description: 'a profile buffer: its newest n entries' },
        }),
      },
      service: { type: 'string', enum: ['tcp', 'udp', 'ftp', 'smtp', 'sms', 'hdlc', 'mBus', 'zigBee'], description: 'transport_service (with destination)' },
      destination: { type: 'string', minLength: 1, maxLength: 128, description: 'send_destination: "host:port" for tcp/udp, a phone number for sms' },
      window: {
        type: 'array', maxItems: 16, description: 'communication_window: start and end COSEM date-times, * = not specified',
        items: record(['start', 'end'], {
          start: { type: 'string', pattern: `^${DATE_TEXT}T${TIME_TEXT}${OFFSET_TEXT}$` }, end: { type: 'string', pattern: `^${DATE_TEXT}T${TIME_TEXT}${OFFSET_TEXT}$` },
        }),
      },
      randomisationS: { type: 'integer', minimum: 0, maximum: 65535, description: 'randomisation_start_interval, seconds' },
    },
  },
  limits: {
    type: 'object', additionalProperties: false, minProperties: 1, description: 'limiter (COSEM class 71) attributes; a write sets only those given',
    properties: {
      monitoredValue: record(['classId', 'obis', 'attribute'], { classId: { type: 'integer', minimum: 0, maximum: 65535 }, obis: OBIS, attribute: { type: 'integer', minimum: -128, maximum: 127 } }),
      thresholdActive: threshold, thresholdNormal: threshold, thresholdEmergency: threshold,
      minOverThresholdDuration: seconds, minUnderThresholdDuration: seconds,
    },
  },
};

export const commandSchema = {
  type: 'object', additionalProperties: false, required: ['function'],
  properties: {
    function: { type: 'string', enum: Object.keys(COMMANDS) },
    params: { type: 'object', additionalProperties: false, properties: COMMAND_PARAMS },
  },
};

export const contentSchema = {
  type: 'object', additionalProperties: false, minProperties: 1,
  properties: {
    measurements: {
      type: 'array', maxItems: 32,
      items: {
        type: 'object', additionalProperties: false, required: ['archive'],
        properties: {
          archive: { type: 'string', enum: MEASUREMENT_ARCHIVES }, depth,
          tags: { type: 'array', maxItems: 20, items: { type: 'string', pattern: TAG_PATTERN } },
          pushed: { type: 'boolean', description: 'the meter pushes it: not read by the launch; the gap check after it reads the slots of its depth no push filled' },
        },
      },
    },
    events: {
      type: 'object', additionalProperties: false,
      properties: { journals: { type: 'array', maxItems: JOURNALS.length, items: { type: 'string', enum: JOURNALS } }, depth },
    },
    states: { type: 'array', maxItems: STATE_ARCHIVES.length, items: { type: 'string', enum: STATE_ARCHIVES } },
    commands: { type: 'array', maxItems: 16, items: commandSchema },
  },
};

/** The start of the collection window ending at `endMs`, in UTC calendar arithmetic for months. */
export function depthStart(d: Depth, endMs: number): number {
  switch (d.unit) {
    case 'minutes':
      return endMs - d.count * 60_000;
    case 'hours':
      return endMs - d.count * 3_600_000;
    case 'days':
      return endMs - d.count * 86_400_000;
    case 'months': {
      const t = new Date(endMs);
      t.setUTCMonth(t.getUTCMonth() - d.count);
      return t.getTime();
    }
  }
}

/** Whether running this content needs a second user's approval under the project's settings. */
export function needsApproval(content: TaskContent, relayDisconnectApproval: boolean): boolean {
  return relayDisconnectApproval && (content.commands ?? []).some((c) => c.function === 'relay-disconnect');
}

export function hasConfigureCommands(content: TaskContent): boolean {
  return (content.commands ?? []).some((c) => COMMANDS[c.function] === 'configure');
}
