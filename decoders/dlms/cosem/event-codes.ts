/**
 * Names of journal event codes, by code table. A device profile (driver) names the table of each journal
 * it reads; the decoder stores the name beside the code, and a code no table names keeps its number with
 * the name "unknown".
 *
 * SPODES (STO 34.01-5.1-006, GOST R 58940-2020 appendix D) numbers the events of each journal of its meters
 * (the Energomera CE-series among them) in tables D.1–D.9; each journal's event-code object 0.0.96.11.N.255
 * holds the last code:
 *   D.1 voltage (0.0.96.11.0), D.2 current (.1), D.3 power on/off and load relay switching (.2),
 *   D.4 parameter programming, "data correction" (.3), D.5 external impacts (.4), D.6 communication (.5),
 *   D.7 access control (.6), D.8 self-diagnostics (.7); D.9 (tg φ, .8) belongs to a journal the HES does not
 * read. The power-quality journal records status bits (0.0.96.5.4.255), not codes. The IDIS tables follow the
 * event lists of the IDIS package 2 specification (standard, fraud detection, disconnector control and power
 * quality logs). `idis-alarm` names the bits of the alarm register, whose set bits a push reports as events.
 */
type CodeTable = Readonly<Record<number, string>>;

/** Names per pair of codes: `[start, end]` events of one condition (codes n, n + 1). */
function pairs(first: number, names: [string, string][]): Record<number, string> {
  return Object.fromEntries(names.flatMap(([a, b], i) => [[first + 2 * i, a], [first + 2 * i + 1, b]]));
}

const PHASES = ['L1', 'L2', 'L3'] as const;
const perPhase = (what: (phase: string) => [string, string]) => PHASES.map(what);

const SPODES_VOLTAGE: CodeTable = {
  ...pairs(1, perPhase((p) => [`${p} voltage lost`, `${p} voltage restored`])),
  ...pairs(7, [['overvoltage on any phase: start', 'overvoltage on any phase: end'], ['undervoltage on any phase: start', 'undervoltage on any phase: end'],
    ['negative-sequence voltage unbalance above threshold: start', 'negative-sequence voltage unbalance above threshold: end']]),
  ...pairs(13, perPhase((p) => [`${p} overvoltage: start`, `${p} overvoltage: end`])),
  ...pairs(19, perPhase((p) => [`${p} voltage dip: start`, `${p} voltage dip: end`])),
  ...pairs(25, [['wrong phase sequence: start', 'wrong phase sequence: end'], ['voltage interruption', 'voltage restored after interruption']]),
};

const SPODES_CURRENT: CodeTable = {
  ...pairs(1, perPhase((p) => [`${p} export: start`, `${p} export: end`])),
  ...pairs(7, perPhase((p) => [`${p} current transformer open`, `${p} current transformer restored`])),
  ...pairs(13, [['current unbalance: start', 'current unbalance: end'], ['current transformer short circuit: start', 'current transformer short circuit: end'],
    ['overcurrent on any phase: start', 'overcurrent on any phase: end']]),
  ...pairs(19, perPhase((p) => [`${p} current without voltage: start`, `${p} current without voltage: end`])),
  ...pairs(25, perPhase((p) => [`${p} maximum current exceeded: start`, `${p} maximum current exceeded: end`])),
  ...pairs(31, [['current without voltage (neutral broken): start', 'current without voltage (neutral broken): end'],
    ['reverse power flow in a one-direction meter: start', 'reverse power flow in a one-direction meter: end'],
    ['opposite power directions on the phases: start', 'opposite power directions on the phases: end'],
    ['current with the load relay open: start', 'current with the load relay open: end']]),
};

const SPODES_POWER: CodeTable = {
  1: 'power off', 2: 'power on', 3: 'consumer disconnected remotely', 4: 'consumer connected remotely', 5: 'reconnection allowed',
  6: 'load relay opened by the consumer', 7: 'load relay closed by the consumer', 8: 'local disconnection: power limit exceeded',
  9: 'local disconnection: maximum current exceeded', 10: 'local disconnection: magnetic field', 11: 'local disconnection: overvoltage',
  12: 'local connection: voltage back to normal', 13: 'local disconnection: current without voltage', 14: 'local disconnection: current unbalance',
  15: 'local disconnection: temperature', 16: 'backup power on', 17: 'backup power off', 18: 'local disconnection: terminal cover or case opened',
};

const SPODES_DATA_CORRECTION: CodeTable = {
  1: 'RS-485 port 1 address or speed changed', 2: 'RS-485 port 2 address or speed changed', 3: 'time set', 4: 'daylight saving settings changed',
  5: 'tariff calendar season profile changed', 6: 'tariff calendar week profile changed', 7: 'tariff calendar day profile changed',
  8: 'tariff calendar activation date changed', 9: 'tariff calendar activated', 10: 'billing day/hour changed', 11: 'display parameters changed',
  12: 'display auto-scroll changed', 13: 'low-security (read) password changed', 14: 'high-security (write) password changed', 15: 'metering point data changed',
  16: 'current transformer ratio changed', 17: 'voltage transformer ratio changed', 18: 'line loss parameters changed', 19: 'power limit for disconnection changed',
  20: 'power disconnection delay changed', 21: 'maximum-current disconnection delay changed', 22: 'maximum-voltage disconnection delay changed',
  23: 'magnetic-field disconnection delay changed', 24: 'power interruption threshold changed', 25: 'overvoltage threshold changed',
  26: 'voltage dip threshold changed', 27: 'tg φ threshold changed', 28: 'voltage unbalance threshold changed', 29: 'declared voltage changed',
  30: 'peak power integration period changed', 31: 'profile 1 capture period changed', 32: 'profile 2 capture period changed', 33: 'display backlight mode changed',
  34: 'telemetry mode 1 changed', 35: 'monthly log cleared', 36: 'daily log cleared', 37: 'voltage journal cleared', 38: 'current journal cleared',
  39: 'power on/off journal cleared', 40: 'external impact journal cleared', 41: 'communication journal cleared', 42: 'access control journal cleared',
  43: 'power quality journal cleared', 44: 'tg φ journal cleared', 45: 'inputs/outputs journal cleared', 46: 'profile 1 cleared', 47: 'profile 2 cleared',
  48: 'profile 3 cleared', 49: 'special days table changed', 50: 'relay control mode changed', 51: 'readings captured in the monthly log',
  52: 'push (initiative) mode changed', 53: 'low-security unicast key changed', 54: 'low-security broadcast key changed', 55: 'high-security unicast key changed',
  56: 'high-security broadcast key changed', 57: 'high-security authentication key changed', 58: 'master key changed', 59: 'low-security protection level changed',
  60: 'high-security protection level changed', 61: 'remote display number changed', 62: 'active energy metering mode changed (absolute or per direction)',
  63: 'time set from GPS/GLONASS', 64: 'neutral-break disconnection mode changed', 65: 'firmware updated', 66: 'current-unbalance disconnection mode changed',
  67: 'temperature disconnection mode changed', 68: 'time corrected', 69: 'low-security authentication key changed', 70: 'push (initiative) flags cleared',
  71: 'HDLC inactivity timeout changed', 72: 'peak load hours changed', 73: 'maximum demand hours changed', 74: 'connection diagram changed',
  75: 'telemetry mode 2 changed', 76: 'telemetry mode 3 changed', 77: 'telemetry mode 4 changed', 78: 'terminal cover or case disconnection mode changed',
  79: 'active communication profile of the ports changed', 80: 'monthly power quality journal cleared', 81: 'network parameter integration period changed',
  82: 'tg φ threshold over time changed', 83: 'differential current threshold over time changed', 84: 'negative-sequence unbalance threshold over time changed',
  85: 'optical port address or speed changed', 86: 'port 4 address or speed changed',
};

const SPODES_EXTERNAL_IMPACT: CodeTable = { 1: 'magnetic field: start', 2: 'magnetic field: end', 3: 'terminal cover seal broken', 4: 'case seal broken' };
const SPODES_COMMUNICATION: CodeTable = { 1: 'connection closed (interface)', 2: 'connection established (interface)' };
const SPODES_ACCESS_CONTROL: CodeTable = { 1: 'unauthorised access attempt (interface)', 2: 'protocol violation' };

const SPODES_SELF_DIAGNOSTICS: CodeTable = {
  1: 'meter initialised', 2: 'measurement unit error', 3: 'measurement unit ok', 4: 'computing unit error', 19: 'computing unit ok',
  ...pairs(5, [['real-time clock error', 'real-time clock ok'], ['power supply error', 'power supply ok'], ['display error', 'display ok'],
    ['memory error', 'memory ok'], ['program memory error', 'program memory ok'], ['core clock error', 'core clock ok'], ['clock oscillator error', 'clock oscillator ok']]),
};

export const EVENT_CODE_TABLES: Readonly<Record<string, CodeTable>> = {
  power: { 1: 'power off', 2: 'power on' },
  'spodes-voltage': SPODES_VOLTAGE,
  'spodes-current': SPODES_CURRENT,
  'spodes-power': SPODES_POWER,
  'spodes-data-correction': SPODES_DATA_CORRECTION,
  'spodes-external-impact': SPODES_EXTERNAL_IMPACT,
  'spodes-communication': SPODES_COMMUNICATION,
  'spodes-access-control': SPODES_ACCESS_CONTROL,
  'spodes-self-diagnostics': SPODES_SELF_DIAGNOSTICS,
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
  // Alarm register bits (0.0.97.98.0.255, a bit field the companion specification lays out): the code is
  // the bit's number. The DSMR / IDIS layout as open implementations publish it (assumed; the simulator's).
  'idis-alarm': {
    0: 'clock invalid', 1: 'replace battery', 2: 'power up', 8: 'program memory error', 9: 'RAM error', 10: 'NV memory error',
    11: 'watchdog error', 12: 'measurement system error', 13: 'fraud attempt',
  },
  'idis-power-quality': {
    76: 'undervoltage L1', 77: 'undervoltage L2', 78: 'undervoltage L3', 79: 'overvoltage L1', 80: 'overvoltage L2', 81: 'overvoltage L3',
  },
};

/** What a code no table names is called (its number is stored beside it). */
export const UNKNOWN_EVENT = 'unknown';

/** The name of `code` in `table`; "unknown" when the journal has no table or the table does not name the code. */
export function eventName(table: string | null | undefined, code: number): string {
  return (table ? EVENT_CODE_TABLES[table]?.[code] : undefined) ?? UNKNOWN_EVENT;
}
