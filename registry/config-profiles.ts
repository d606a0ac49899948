/**
 * The `DeviceProfiles` section of the JSON project configuration (config-json.ts): the custom profiles the
 * project's comm lines name, each with every version, so that pinned versions keep their numbers. Shipped
 * profiles are not in the file (every HES has them). Profiles are installation-wide: an import adds the
 * profiles and versions the installation lacks, finds the ones it has unchanged, and refuses a version that
 * differs from the one stored under the same number (a version never changes).
 */
import type { Db, Row } from './db.js';
import { RegistryError } from './errors.js';
import { checkProfile, createProfile, addProfileVersion } from './profiles.js';

export async function exportProfiles(db: Db, projectId: string): Promise<Row[]> {
  const r = await db.query<{ id: string; name: string; versions: { version: number; body: Row }[] }>(
    `SELECT dp.id, dp.name, json_agg(json_build_object('version', v.version, 'body', v.body) ORDER BY v.version) AS versions
       FROM device_profiles dp JOIN device_profile_versions v ON v.profile_id = dp.id
      WHERE NOT dp.builtin AND dp.id IN (SELECT profile_id FROM comm_lines WHERE project_id = $1)
      GROUP BY dp.id, dp.name ORDER BY dp.id`,
    [projectId],
  );
  return r.rows.map((p) => ({ Id: p.id, Name: p.name, Versions: p.versions.map((v) => ({ Version: v.version, Body: v.body })) }));
}

export interface ProfileImportOptions {
  /** Who imports (the versions' author). */
  by: string | null;
  /** The caller may change device profiles (Write.HesConfig): without it, a file that would add one is refused. */
  mayWrite: boolean;
}

/** Imports the section: the versions written (created) and the ones found as the file has them (unchanged). */
export async function importProfiles(tx: Db, items: Row[], path: string, o: ProfileImportOptions): Promise<{ created: number; unchanged: number }> {
  const count = { created: 0, unchanged: 0 };
  for (const [i, p] of items.entries()) {
    const at = `${path}[${i}]`;
    if (typeof p.Id !== 'string') throw new RegistryError('VALIDATION_ERROR', `${at}.Id must be the profile's id`, 400, `${at}.Id`);
    if (!Array.isArray(p.Versions) || !p.Versions.length) throw new RegistryError('VALIDATION_ERROR', `${at}.Versions must list the profile's versions`, 400, `${at}.Versions`);
    const head = await tx.query<{ builtin: boolean; version: number }>('SELECT builtin, version FROM device_profiles WHERE id = $1', [p.Id]);
    if (head.rows[0]?.builtin) throw new RegistryError('BUILTIN_PROFILE', `${at}.Id names a shipped profile: the file can carry custom profiles only`, 409, `${at}.Id`);
    let latest = head.rows[0]?.version ?? 0;
    for (const [j, v] of (p.Versions as Row[]).entries()) {
      const vat = `${at}.Versions[${j}]`;
      const body = checkProfile(v.Body, `${vat}.Body`);
      if (body.id !== p.Id) throw new RegistryError('PROFILE_INVALID', `${vat}.Body.id must be ${p.Id}`, 422, `${vat}.Body.id`, [{ field: `${vat}.Body.id`, message: `must be ${p.Id}` }]);
      if (v.Version !== j + 1) throw new RegistryError('VALIDATION_ERROR', `${vat}.Version must be ${j + 1}: versions are listed from 1 without gaps`, 400, `${vat}.Version`);
      if (j + 1 <= latest) {
        const same = await tx.query<{ same: boolean }>('SELECT body = $3::jsonb AS same FROM device_profile_versions WHERE profile_id = $1 AND version = $2', [p.Id, j + 1, JSON.stringify(body)]);
        if (!same.rows[0]?.same) {
          throw new RegistryError('PROFILE_VERSION_CONFLICT', `${vat}: version ${j + 1} of ${p.Id} differs from the one this HES has (a version never changes; copy the profile under another id)`, 409, `${vat}.Body`);
        }
        count.unchanged++;
        continue;
      }
      if (!o.mayWrite) throw new RegistryError('FORBIDDEN', `${vat} would add a device profile version: that needs Write.HesConfig`, 403, vat);
      if (latest === 0) await createProfile(tx, body, o.by);
      else await addProfileVersion(tx, p.Id, body, o.by);
      latest = j + 1;
      count.created++;
    }
  }
  return count;
}
