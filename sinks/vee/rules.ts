/**
 * Validation rules as data (docs/vee.md): a project's list of rules, each with a code, a severity, the
 * archive and quantity it applies to, and the code's parameters. Parsed once when saved (an unknown code,
 * severity or parameter is a 400 naming the field) and matched per channel when readings are validated.
 */
import { RegistryError, type FieldProblem } from '../../registry/errors.js';

export const RULE_CODES = [
  'gap', 'spike', 'register-decrease', 'interval-sum', 'clock', 'zero-consumption', 'reverse-energy', 'duplicate-quality',
] as const;
export type RuleCode = (typeof RULE_CODES)[number];

export const SEVERITIES = ['info', 'warning', 'error'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The parameters each code takes, with their defaults (all numbers). */
export const RULE_PARAMS: Record<RuleCode, Record<string, number>> = {
  // nothing: the archive's period says what is expected
  gap: {},
  // an interval consumption above factor × the channel's recent median, or above the meter's rating
  // (maxPowerW × the interval's hours, in Wh; 0 = no rating); window: how many recent intervals make the median
  spike: { factor: 10, window: 96, maxPowerW: 0, minMedian: 1 },
  // a cumulative register that is negative or goes down; digits: the register's display digits, rollover
  // at 10^digits display units (unitMultiplier stored units per display unit: 1000 for Wh shown in kWh); 0 = no rollover
  'register-decrease': { digits: 0, unitMultiplier: 1000 },
  // the interval values between two register readings must add up to their difference within
  // tolerance (relative) + absolute (stored units)
  'interval-sum': { tolerance: 0.01, absolute: 1 },
  // clock status bits (statusMask over the status byte; the time-normal quality bit missing), a time in
  // the future, or a read-time value whose device time is off the server's by more than maxDriftSeconds
  clock: { statusMask: 0x22, maxDriftSeconds: 300 },
  // a cumulative register unchanged (or interval values all zero) for this many days
  'zero-consumption': { days: 3 },
  // export energy (A-, OBIS C = 2) growing on a meter that should not export: above minValue stored units
  'reverse-energy': { minValue: 0 },
  // the same reading stored twice with different quality flags
  'duplicate-quality': {},
};

export interface Rule {
  code: RuleCode;
  severity: Severity;
  /** Archive the rule applies to ('*' or absent: every archive). */
  archive?: string;
  /** OBIS prefix it applies to ('1.0.1.8' matches every tariff of A+; absent: every quantity the code checks). */
  obis?: string;
  params: Record<string, number>;
}

/** Rules used when a project has saved none: the checks every utility runs. */
export const DEFAULT_RULES: readonly Rule[] = [
  { code: 'gap', severity: 'warning', params: {} },
  { code: 'spike', severity: 'warning', params: { ...RULE_PARAMS.spike } },
  { code: 'register-decrease', severity: 'error', params: { ...RULE_PARAMS['register-decrease'] } },
  { code: 'interval-sum', severity: 'warning', params: { ...RULE_PARAMS['interval-sum'] } },
  { code: 'clock', severity: 'warning', params: { ...RULE_PARAMS.clock } },
  { code: 'duplicate-quality', severity: 'info', params: {} },
];

const OBIS_PREFIX = /^\d{1,3}(\.\d{1,3}){0,5}$/;
const ARCHIVE = /^[a-z0-9-]{1,40}$/;

/** Parses a rule list from a request body (`field` names it: body.rules); every problem named. */
export function parseRules(input: unknown, field = 'body.rules'): Rule[] {
  if (!Array.isArray(input)) throw new RegistryError('VALIDATION_ERROR', `${field} must be an array`, 400, field);
  const problems: FieldProblem[] = [];
  const rules: Rule[] = [];
  input.forEach((item, i) => {
    const at = `${field}[${i}]`;
    if (typeof item !== 'object' || item === null) {
      problems.push({ field: at, message: 'must be an object' });
      return;
    }
    const r = item as Record<string, unknown>;
    for (const key of Object.keys(r)) {
      if (!['code', 'severity', 'archive', 'obis', 'params'].includes(key)) problems.push({ field: `${at}.${key}`, message: 'is not a rule property' });
    }
    if (!(RULE_CODES as readonly unknown[]).includes(r.code)) {
      problems.push({ field: `${at}.code`, message: `unknown validation code ${JSON.stringify(r.code)}; one of ${RULE_CODES.join(', ')}` });
      return;
    }
    const code = r.code as RuleCode;
    if (!(SEVERITIES as readonly unknown[]).includes(r.severity)) problems.push({ field: `${at}.severity`, message: `must be one of ${SEVERITIES.join(', ')}` });
    if (r.archive !== undefined && (typeof r.archive !== 'string' || !(r.archive === '*' || ARCHIVE.test(r.archive)))) problems.push({ field: `${at}.archive`, message: 'must be an archive name or *' });
    if (r.obis !== undefined && (typeof r.obis !== 'string' || !OBIS_PREFIX.test(r.obis))) problems.push({ field: `${at}.obis`, message: 'must be an OBIS code or its first groups (1.0.1.8)' });
    const params: Record<string, number> = { ...RULE_PARAMS[code] };
    if (r.params !== undefined) {
      if (typeof r.params !== 'object' || r.params === null || Array.isArray(r.params)) problems.push({ field: `${at}.params`, message: 'must be an object' });
      else {
        for (const [k, v] of Object.entries(r.params)) {
          if (!(k in RULE_PARAMS[code])) problems.push({ field: `${at}.params.${k}`, message: `${code} takes ${Object.keys(RULE_PARAMS[code]).join(', ') || 'no parameters'}` });
          else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) problems.push({ field: `${at}.params.${k}`, message: 'must be a number ≥ 0' });
          else params[k] = v;
        }
      }
    }
    rules.push({
      code, severity: r.severity as Severity, params,
      ...(typeof r.archive === 'string' && r.archive !== '*' ? { archive: r.archive } : {}),
      ...(typeof r.obis === 'string' ? { obis: r.obis } : {}),
    });
  });
  if (problems.length) throw new RegistryError('VALIDATION_ERROR', `${problems[0]!.field} ${problems[0]!.message}`, 400, problems[0]!.field, problems);
  return rules;
}

/** The rules of `rules` that apply to one channel. */
export function rulesFor(rules: readonly Rule[], archive: string, obis: string): Rule[] {
  return rules.filter((r) => (r.archive === undefined || r.archive === archive) && (r.obis === undefined || obis === r.obis || obis.startsWith(r.obis + '.')));
}

/** How a quantity accumulates, by its OBIS code (as obis_quantities in schemas/clickhouse/003_sql_views.sql says). */
export type QuantityKind = 'cumulative' | 'interval' | 'instantaneous';

const CUMULATIVE = new Set(['1.0.1.8', '1.0.2.8', '1.0.3.8', '1.0.4.8', '6.0.1.0', '6.0.2.0', '7.0.3.0', '8.0.1.0']);

export function quantityKind(obis: string): QuantityKind {
  const q = obis.split('.').slice(0, 4).join('.');
  if (CUMULATIVE.has(q)) return 'cumulative';
  return q.split('.')[3] === '29' ? 'interval' : 'instantaneous';
}

/** The register an interval quantity is the period difference of (1.0.1.29.x → 1.0.1.8.x), else undefined. */
export function registerOfInterval(obis: string): string | undefined {
  const g = obis.split('.');
  return g[3] === '29' ? [g[0], g[1], g[2], '8', ...g.slice(4)].join('.') : undefined;
}

/** Seconds between the timestamps of a periodic archive; undefined for archives without a period. */
export function archivePeriod(archive: string): number | undefined {
  const m = /^profile-(\d+)(min)?$/.exec(archive);
  if (m) return Number(m[1]) * 60;
  return archive === 'end-of-day' ? 86_400 : undefined;
}
