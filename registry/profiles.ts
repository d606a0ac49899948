/**
 * Device profiles as registry data (docs/profiles.md). A profile is validated against the published JSON
 * schema (schemas/device-profile.schema.json) and a few checks the schema cannot express (M-Bus quantity
 * names, event code tables). Profiles are installation-wide, like archives: the shipped ones (builtin,
 * read-only) are seeded from registry/profiles/*.json, custom ones are created, versioned, copied and
 * deleted through the API. A version, once written, never changes: a comm line pins one, or follows the
 * latest as it was when a launch started.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import type { DeviceProfile } from '../schemas/device-profile.js';
import { Ts013Codec } from '../decoders/lorawan/ts013.js';
import { compileMapping } from '../decoders/mbus/mapping.js';
import { EVENT_CODE_TABLES } from '../decoders/dlms/cosem/event-codes.js';
import * as crud from './crud.js';
import type { Db, Row } from './db.js';
import { RegistryError, type FieldProblem } from './errors.js';
import { profileSpec } from './specs.js';

export const profilesDir = fileURLToPath(new URL('./profiles/', import.meta.url));
export const profileSchema = JSON.parse(readFileSync(new URL('../schemas/device-profile.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;

const checkSchema = new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile<DeviceProfile>(profileSchema);

/** `/mbus/records/0/obis` → `mbus.records[0].obis`, under `root`. */
function pathOf(root: string, pointer: string, extra?: unknown): string {
  let out = root;
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (typeof extra === 'string') parts.push(extra);
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `["${p}"]`;
  return out;
}

function schemaProblem(root: string, e: ErrorObject): FieldProblem {
  const p = e.params as { missingProperty?: string; additionalProperty?: string; propertyName?: string; allowedValues?: unknown[] };
  if (e.keyword === 'required') return { field: pathOf(root, e.instancePath, p.missingProperty), message: 'is required' };
  if (e.keyword === 'additionalProperties') return { field: pathOf(root, e.instancePath, p.additionalProperty), message: 'is not an accepted field (schemas/device-profile.schema.json)' };
  if (e.keyword === 'propertyNames') return { field: pathOf(root, e.instancePath, p.propertyName), message: 'is not an accepted name here' };
  if (e.keyword === 'enum') return { field: pathOf(root, e.instancePath), message: `must be one of ${(p.allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}` };
  if (e.keyword === 'oneOf') return { field: pathOf(root, e.instancePath), message: 'needs exactly one of quantity and vib' };
  return { field: pathOf(root, e.instancePath), message: e.message ?? 'is not valid' };
}

/** Every problem of a profile body, each naming its path under `root` (body.archives["end-of-day"].obis); empty when valid. */
export function profileProblems(body: unknown, root = 'body'): FieldProblem[] {
  if (!checkSchema(body)) {
    // A failed oneOf or propertyNames also reports its branches' errors, a failed if/then its `if`: those say nothing more.
    const errors = (checkSchema.errors ?? []).filter((e) => !/\/oneOf\/\d+\//.test(e.schemaPath) && e.keyword !== 'if' && (e.propertyName === undefined || e.keyword === 'propertyNames'));
    const seen = new Set<string>();
    return errors.map((e) => schemaProblem(root, e)).filter((p) => !seen.has(`${p.field} ${p.message}`) && seen.add(`${p.field} ${p.message}`));
  }
  const problems: FieldProblem[] = [];
  for (const [name, j] of Object.entries(body.journals ?? {})) {
    if (j.codes !== undefined && !EVENT_CODE_TABLES[j.codes]) {
      problems.push({ field: pathOf(root, `/journals/${name}/codes`), message: `names no event code table (one of ${Object.keys(EVENT_CODE_TABLES).join(', ')})` });
    }
  }
  if (body.mbus) {
    try {
      compileMapping(body.mbus);
    } catch (e) {
      const message = (e as Error).message;
      const at = /^mbus\.records\[\d+\](\.\w+)?/.exec(message)?.[0];
      problems.push({ field: `${root}.${at ?? 'mbus'}`, message: at ? message.slice(at.length).trim() : message });
    }
  }
  // A TS013 codec that does not load (not JavaScript, no decodeUplink, loops at load) is refused on upload, not per uplink.
  for (const [i, c] of (body.lorawan?.codecs ?? []).entries()) {
    if (c.codec !== 'ts013') continue;
    try {
      new Ts013Codec(c.script!);
    } catch (e) {
      problems.push({ field: pathOf(root, `/lorawan/codecs/${i}/script`), message: (e as Error).message });
    }
  }
  return problems;
}

/** The body, or a 422 listing every problem. */
export function checkProfile(body: unknown, root = 'body'): DeviceProfile {
  const problems = profileProblems(body, root);
  if (problems.length) {
    throw new RegistryError('PROFILE_INVALID', `the device profile has ${problems.length} problem(s): ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, 422, problems[0]!.field, problems);
  }
  return body as DeviceProfile;
}

/** The shipped profiles; a file that does not validate is a defect of the release. */
export function loadProfiles(dir = profilesDir): DeviceProfile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const body = JSON.parse(readFileSync(dir + f, 'utf8')) as unknown;
      const problems = profileProblems(body, f);
      if (problems.length) throw new Error(`device profile ${f}: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`);
      return body as DeviceProfile;
    });
}

async function writeVersion(db: Db, p: DeviceProfile, version: number, by: string | null): Promise<void> {
  await db.query('INSERT INTO device_profile_versions (profile_id, version, body, created_by) VALUES ($1, $2, $3, $4)', [p.id, version, JSON.stringify(p), by]);
  await db.query(
    `UPDATE device_profiles SET name = $2, device_types = $3, protocol = $4, protocol_maps = $5, body = $6, version = $7, updated_at = now() WHERE id = $1`,
    [p.id, p.name, p.deviceTypes, p.protocol, p.protocolMaps, JSON.stringify(p), version],
  );
}

/**
 * Seeds the shipped profiles: a new one as version 1, a changed one (a new HES release) as its next version;
 * an id a custom profile already uses keeps the custom profile.
 */
export async function seedBuiltinProfiles(db: Db, profiles = loadProfiles()): Promise<void> {
  await db.transaction(async (tx) => {
    // Processes starting together would each add the same new version: one seeds, the others then find it.
    await tx.query('SELECT pg_advisory_xact_lock(7243002)');
    for (const p of profiles) {
      const cur = await tx.query<{ builtin: boolean; version: number; same: boolean }>(
        'SELECT builtin, version, body = $2::jsonb AS same FROM device_profiles WHERE id = $1', [p.id, JSON.stringify(p)],
      );
      const row = cur.rows[0];
      if (!row) {
        await tx.query(
          `INSERT INTO device_profiles (id, name, device_types, protocol, protocol_maps, body, builtin, version) VALUES ($1, $2, $3, $4, $5, $6, true, 0)`,
          [p.id, p.name, p.deviceTypes, p.protocol, p.protocolMaps, JSON.stringify(p)],
        );
        await writeVersion(tx, p, 1, null);
      } else if (row.builtin && !row.same) {
        await writeVersion(tx, p, row.version + 1, null);
      }
    }
  });
}

const HEAD = `SELECT id, name, builtin, version, created_at AS "createdAt", updated_at AS "updatedAt" FROM device_profiles WHERE id = $1`;

async function head(db: Db, id: string, forUpdate = false): Promise<{ id: string; builtin: boolean; version: number }> {
  const r = await db.query<{ id: string; builtin: boolean; version: number }>(HEAD + (forUpdate ? ' FOR UPDATE' : ''), [id]);
  if (!r.rows[0]) throw new RegistryError('NOT_FOUND', 'device profile not found', 404, 'params.profileId');
  return r.rows[0];
}

function writable(p: { builtin: boolean }): void {
  if (p.builtin) throw new RegistryError('BUILTIN_PROFILE', 'shipped device profiles are read-only: copy one (POST /device-profiles/{id}/copy) and change the copy', 409, 'params.profileId');
}

/** A new custom profile, version 1. */
export async function createProfile(db: Db, body: unknown, by: string | null): Promise<Row> {
  const p = checkProfile(body);
  await db.transaction(async (tx) => {
    try {
      await tx.query(
        `INSERT INTO device_profiles (id, name, device_types, protocol, protocol_maps, body, builtin, version) VALUES ($1, $2, $3, $4, $5, $6, false, 0)`,
        [p.id, p.name, p.deviceTypes, p.protocol, p.protocolMaps, JSON.stringify(p)],
      );
    } catch (e) {
      if ((e as { code?: string }).code === '23505') throw new RegistryError('ALREADY_EXISTS', `device profile ${p.id} already exists`, 409, 'body.id');
      throw e;
    }
    await writeVersion(tx, p, 1, by);
  });
  return crud.get(db, profileSpec, null, p.id);
}

/** The next version of a custom profile; `expected` (If-Match) refuses a lost update. */
export async function addProfileVersion(db: Db, id: string, body: unknown, by: string | null, expected?: number): Promise<Row> {
  const p = checkProfile(body);
  if (p.id !== id) throw new RegistryError('PROFILE_INVALID', `body.id must be the profile's id ${id}`, 422, 'body.id', [{ field: 'body.id', message: `must be ${id}` }]);
  await db.transaction(async (tx) => {
    const cur = await head(tx, id, true);
    writable(cur);
    if (expected !== undefined && expected !== cur.version) {
      throw new RegistryError('VERSION_CONFLICT', `the profile is at version ${cur.version}, not ${expected}; reload and retry`, 412, 'headers.if-match');
    }
    await writeVersion(tx, p, cur.version + 1, by);
  });
  return crud.get(db, profileSpec, null, id);
}

/** A custom profile made from another one (by default its latest version), with its own id and name. */
export async function copyProfile(db: Db, sourceId: string, to: { id: string; name?: string; version?: number }, by: string | null): Promise<Row> {
  const source = await profileVersion(db, sourceId, to.version);
  const body = source.body as DeviceProfile;
  return createProfile(db, { ...body, id: to.id, name: to.name ?? `${body.name} (copy)` }, by);
}

/** Deletes a custom profile and its versions; not while a comm line names it. */
export async function deleteProfile(db: Db, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    writable(await head(tx, id, true));
    const used = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM comm_lines WHERE profile_id = $1', [id]);
    if (used.rows[0]!.n) throw new RegistryError('PROFILE_IN_USE', `${used.rows[0]!.n} comm line(s) use this profile`, 409, 'params.profileId');
    await tx.query('DELETE FROM device_profiles WHERE id = $1', [id]);
  });
}

const VERSION_COLUMNS = `version, body, created_at AS "createdAt", created_by AS "createdBy"`;

export async function profileVersions(db: Db, id: string): Promise<Row[]> {
  await head(db, id);
  return (await db.query<Row>(`SELECT ${VERSION_COLUMNS} FROM device_profile_versions WHERE profile_id = $1 ORDER BY version`, [id])).rows;
}

/** One version of a profile (default: the latest). */
export async function profileVersion(db: Db, id: string, version?: number): Promise<Row> {
  const cur = await head(db, id);
  const r = await db.query<Row>(`SELECT ${VERSION_COLUMNS} FROM device_profile_versions WHERE profile_id = $1 AND version = $2`, [id, version ?? cur.version]);
  if (!r.rows[0]) throw new RegistryError('NOT_FOUND', `device profile ${id} has no version ${version}`, 404, 'params.version');
  return r.rows[0];
}

/** The latest version of every profile now: what a launch starting now uses for comm lines that pin none. */
export async function latestProfileVersions(db: Db): Promise<ReadonlyMap<string, number>> {
  const r = await db.query<{ id: string; version: number }>('SELECT id, version FROM device_profiles');
  return new Map(r.rows.map((p) => [p.id, p.version]));
}

/**
 * The profile versions of a launch: the latest ones when it first started, recorded with it, so that a launch
 * taken over after a crash goes on with the versions it began with.
 */
export async function launchProfileVersions(db: Db, launchId: string): Promise<ReadonlyMap<string, number>> {
  const r = await db.query<{ versions: Record<string, number> | null }>(
    `UPDATE task_launches SET profile_versions = coalesce(profile_versions, (SELECT coalesce(jsonb_object_agg(id, version), '{}'::jsonb) FROM device_profiles))
      WHERE id = $1 RETURNING profile_versions AS versions`,
    [launchId],
  );
  return new Map(Object.entries(r.rows[0]?.versions ?? {}));
}
