/**
 * What a task collects or executes (seed 003 §2.2.22 step 2, figure 114): measurement archives with depth
 * and tags (A+/A-/R+/R- by tariff T0..T4), event journals with depth, state archives, and commands. The JSON
 * schemas validate API bodies and appear in the OpenAPI document.
 */
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
  'special-days-read': 'configure', 'special-days-write': 'configure',
  'limits-read': 'configure', 'limits-write': 'configure',
} as const;
export type CommandFunction = keyof typeof COMMANDS;

export interface Depth {
  count: number;
  unit: (typeof DEPTH_UNITS)[number];
}

export interface MeasurementItem {
  archive: (typeof MEASUREMENT_ARCHIVES)[number];
  depth?: Depth;
  /** e.g. "A+ T1", "A- T0"; empty = every tag of the archive. */
  tags?: string[];
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

/** Parameters by command function; unlisted functions take none. */
export const COMMAND_PARAMS: Record<string, object> = {
  relay: { type: 'string', enum: ['load', 'signal'], default: 'load' },
  maxDriftSeconds: { type: 'integer', minimum: 1, maximum: 86400 },
  force: { type: 'boolean' },
  calendar: { type: 'object', description: 'activity calendar: season, week and day profiles (COSEM class 20)' },
  activateAt: { type: 'string', format: 'date-time', description: 'activate the passive calendar at this time; absent = now' },
  days: {
    type: 'array', maxItems: 256,
    items: {
      type: 'object', additionalProperties: false, required: ['date', 'dayId'],
      properties: { date: { type: 'string', format: 'date' }, yearly: { type: 'boolean' }, dayId: { type: 'integer', minimum: 0, maximum: 255 } },
    },
  },
  limits: { type: 'object', description: 'limiter thresholds (COSEM class 71) by name' },
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
