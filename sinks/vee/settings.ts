/**
 * A project's VEE settings in the registry (vee_settings, schemas/postgres/0020_vee.sql), and the rules of
 * the devices of a batch for streaming validation, cached per device and project and re-read after
 * `refreshMs` so a changed rule list applies within a minute.
 */
import type { Db } from '../../registry/db.js';
import { DEFAULT_RULES, parseRules, type Rule } from './rules.js';
import type { RulesOfDevices } from './streaming.js';

export interface VeeSettings {
  /** The saved rules, or the defaults when none were saved (`defaults` true). */
  rules: Rule[];
  defaults: boolean;
  linearMaxIntervals: number;
  profileWeeks: number;
  version: number;
}

export async function veeSettings(db: Db, projectId: string): Promise<VeeSettings> {
  const r = await db.query<{ rules: unknown; linear: number; weeks: number; version: number }>(
    'SELECT rules, linear_max_intervals AS linear, profile_weeks AS weeks, version FROM vee_settings WHERE project_id = $1', [projectId],
  );
  const row = r.rows[0];
  const saved = row?.rules === null || row?.rules === undefined ? undefined : parseRules(typeof row.rules === 'string' ? JSON.parse(row.rules) : row.rules);
  return { rules: saved ?? DEFAULT_RULES.map((x) => ({ ...x })), defaults: !saved, linearMaxIntervals: row?.linear ?? 4, profileWeeks: row?.weeks ?? 4, version: row?.version ?? 0 };
}

/** Saves what is given (rules null: back to the defaults). */
export async function saveVeeSettings(
  db: Db, projectId: string, s: { rules?: Rule[] | null; linearMaxIntervals?: number; profileWeeks?: number },
): Promise<VeeSettings> {
  const cur = await veeSettings(db, projectId);
  const rules = s.rules === undefined ? (cur.defaults ? null : cur.rules) : s.rules;
  await db.query(
    `INSERT INTO vee_settings (project_id, rules, linear_max_intervals, profile_weeks) VALUES ($1, $2, $3, $4)
     ON CONFLICT (project_id) DO UPDATE SET rules = EXCLUDED.rules, linear_max_intervals = EXCLUDED.linear_max_intervals,
       profile_weeks = EXCLUDED.profile_weeks, version = vee_settings.version + 1, updated_at = now()`,
    [projectId, rules === null ? null : JSON.stringify(rules), s.linearMaxIntervals ?? cur.linearMaxIntervals, s.profileWeeks ?? cur.profileWeeks],
  );
  return veeSettings(db, projectId);
}

/** The rules of devices by number, from their projects' settings (streaming validation). */
export function registryRules(db: Db, refreshMs = 60_000): RulesOfDevices {
  const projectOf = new Map<number, string | null>();
  const rules = new Map<string, { at: number; rules: readonly Rule[] }>();
  return async (nums) => {
    const unknown = nums.filter((n) => !projectOf.has(n));
    if (unknown.length) {
      const r = await db.query<{ num: number; project_id: string }>('SELECT num::float8 AS num, project_id FROM devices WHERE num = ANY($1::bigint[])', [unknown]);
      for (const n of unknown) projectOf.set(n, null);
      for (const row of r.rows) projectOf.set(Number(row.num), row.project_id);
    }
    const now = Date.now();
    for (const p of new Set(nums.map((n) => projectOf.get(n)))) {
      if (!p) continue;
      const cached = rules.get(p);
      if (!cached || now - cached.at > refreshMs) rules.set(p, { at: now, rules: (await veeSettings(db, p)).rules });
    }
    return (num) => {
      const p = projectOf.get(num);
      return p ? rules.get(p)?.rules : undefined;
    };
  };
}
