/**
 * Names of journal event codes, by code table. A device profile (driver) names the table of each journal
 * it reads; the decoder stores the name beside the code, and an unknown code keeps an empty name. The IDIS
 * tables follow the event lists of the IDIS package 2 specification (standard, fraud detection, disconnector
 * control and power quality logs); SPODES journals number their events per vendor, so only the power
 * journal's off/on pair is named here.
 */
export const EVENT_CODE_TABLES: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  power: { 1: 'power off', 2: 'power on' },
  'idis-standard': {
    1: 'power down', 2: 'power up', 3: 'daylight saving time enabled or disabled', 4: 'clock adjusted (old date/time)',
    5: 'clock adjusted (new date/time)', 6: 'clock invalid', 7: 'replace battery', 8: 'battery voltage low', 9: 'TOU activated',
    10: 'error register cleared', 11: 'alarm register cleared', 12: 'program memory error', 13: 'RAM error', 14: 'NV memory error',
    15: 'watchdog error', 16: 'measurement system error', 17: 'firmware ready for activation', 18: 'firmware activated',
  },
  'idis-fraud': {
    40: 'terminal cover removed', 41: 'terminal cover closed', 42: 'strong DC field detected', 43: 'no strong DC field anymore',
    44: 'meter cover removed', 45: 'meter cover closed', 46: 'association authentication failure',
  },
  'idis-disconnector': {
    59: 'disconnector ready for manual reconnection', 60: 'manual disconnection', 61: 'manual connection', 62: 'remote disconnection',
    63: 'remote connection', 64: 'local disconnection', 65: 'limiter threshold exceeded', 66: 'limiter threshold ok',
    67: 'limiter threshold changed', 68: 'disconnect/reconnect failure', 69: 'local reconnection',
  },
  'idis-power-quality': {
    76: 'undervoltage L1', 77: 'undervoltage L2', 78: 'undervoltage L3', 79: 'overvoltage L1', 80: 'overvoltage L2', 81: 'overvoltage L3',
  },
};

/** The name of `code` in `table`, or '' when the table or the code is unknown. */
export function eventName(table: string | null | undefined, code: number): string {
  return (table ? EVENT_CODE_TABLES[table]?.[code] : undefined) ?? '';
}
