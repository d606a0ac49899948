/**
 * Device profiles in the JSON project configuration: the custom profiles a project's comm lines name travel
 * with every version, a pinned version keeps its number in another installation, importing the same file
 * again adds nothing, a different body under a stored version number is refused, and adding profiles needs
 * the right to change them.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, openTestDb, type TestDb } from './testing.js';
import { SecretBox } from './crypto.js';
import { exportConfig, importConfig } from './config-json.js';
import { createProject, defaultGroupId } from './project-data.js';
import { addProfileVersion, copyProfile, profileVersions } from './profiles.js';
import { RegistryError } from './errors.js';
import type { Row } from './db.js';

const box = new SecretBox(Buffer.alloc(32, 5));
const writer = { profiles: { by: 'admin', mayWrite: true } };
const reader = { profiles: { by: 'operator', mayWrite: false } };

async function projectWithLine(db: TestDb['db'], profileId: string, version: number | null): Promise<string> {
  const projectId = String((await createProject(db, { name: 'Site A' }, null)).id);
  const one = async (sql: string, params: unknown[]) => (await db.query<{ id: string }>(sql, params)).rows[0]!.id;
  const channel = await one(`INSERT INTO channels (project_id, name, kind, settings) VALUES ($1, 'tcp', 'TCP', '{"host":"10.0.0.1","port":4059}') RETURNING id`, [projectId]);
  const protocol = await one(`INSERT INTO protocols (project_id, name, kind, settings) VALUES ($1, 'public', 'DLMS', '{}') RETURNING id`, [projectId]);
  const device = await one(`INSERT INTO devices (project_id, serial_number, type, group_id) VALUES ($1, '0001', 'CE308', $2) RETURNING id`, [projectId, await defaultGroupId(db, projectId)]);
  await db.query(`INSERT INTO comm_lines (project_id, device_id, channel_id, protocol_id, profile_id, profile_version) VALUES ($1, $2, $3, $4, $5, $6)`,
    [projectId, device, channel, protocol, profileId, version]);
  return projectId;
}

for (const engine of ENGINES) {
  describe(`device profiles in the JSON configuration (${engine})`, () => {
    let from: TestDb, to: TestDb;
    before(async () => {
      from = await openTestDb(engine);
      to = await openTestDb(engine);
    });
    after(async () => {
      await from.drop();
      await to.drop();
    });

    it('carries the custom profiles with their versions; the pinned version arrives under its number', async () => {
      const v1 = await copyProfile(from.db, 'DL_CE_308', { id: 'CE308_SITE_A' }, 'admin');
      await addProfileVersion(from.db, 'CE308_SITE_A', { ...(v1.body as Row), dlms: { hdlc: { maxInfoRx: 512 } } }, 'admin');
      const projectId = await projectWithLine(from.db, 'CE308_SITE_A', 1);
      const { doc } = await exportConfig(from.db, box, projectId);
      assert.deepEqual((doc.DeviceProfiles as Row[]).map((p) => [p.Id, (p.Versions as Row[]).map((v) => v.Version)]), [['CE308_SITE_A', [1, 2]]], 'shipped profiles stay out');

      const target = String((await createProject(to.db, { name: 'Site A' }, null)).id);
      const denied = await importConfig(to.db, box, target, doc, reader).catch((e: unknown) => e);
      assert.ok(denied instanceof RegistryError && denied.status === 403 && denied.field === 'body.DeviceProfiles[0].Versions[0]', String(denied));
      const counts = await importConfig(to.db, box, target, doc, writer);
      assert.deepEqual([counts.created.profileVersions, counts.unchanged.profileVersions], [2, 0]);
      assert.deepEqual((await profileVersions(to.db, 'CE308_SITE_A')).map((v) => [v.version, (v.body as Row).dlms ?? null]), [[1, null], [2, { hdlc: { maxInfoRx: 512 } }]]);
      const line = await to.db.query<{ profile_id: string; profile_version: number }>('SELECT profile_id, profile_version FROM comm_lines WHERE project_id = $1', [target]);
      assert.deepEqual(line.rows, [{ profile_id: 'CE308_SITE_A', profile_version: 1 }]);
      // The same file again: the profiles are found unchanged (also without the right to change them).
      const again = await importConfig(to.db, box, target, doc, reader);
      assert.deepEqual([again.created.profileVersions, again.unchanged.profileVersions], [0, 2]);
    });

    it('refuses a version that differs from the stored one, and a shipped profile in the file', async () => {
      const projectId = (await from.db.query<{ id: string }>(`SELECT id FROM projects WHERE name = 'Site A'`)).rows[0]!.id;
      const { doc } = await exportConfig(from.db, box, projectId);
      const profile = (doc.DeviceProfiles as Row[])[0]!;
      const versions = profile.Versions as Row[];
      const changed = { ...doc, DeviceProfiles: [{ ...profile, Versions: [{ ...versions[0], Body: { ...(versions[0]!.Body as Row), name: 'edited' } }, versions[1]] }] };
      const target = (await to.db.query<{ id: string }>(`SELECT id FROM projects WHERE name = 'Site A'`)).rows[0]!.id;
      await assert.rejects(importConfig(to.db, box, target, changed, writer),
        (e: RegistryError) => e.code === 'PROFILE_VERSION_CONFLICT' && e.field === 'body.DeviceProfiles[0].Versions[0].Body');
      const shipped = { ...doc, DeviceProfiles: [{ ...profile, Id: 'DL_CE_308' }] };
      await assert.rejects(importConfig(to.db, box, target, shipped, writer), (e: RegistryError) => e.code === 'BUILTIN_PROFILE' && e.field === 'body.DeviceProfiles[0].Id');
      const invalid = { ...doc, DeviceProfiles: [{ Id: 'NEW_ONE', Versions: [{ Version: 1, Body: { id: 'NEW_ONE', name: 'n', deviceTypes: ['CE308'], protocol: 'DLMS', protocolMaps: [], clock: '0.0.1' } }] }] };
      await assert.rejects(importConfig(to.db, box, target, invalid, writer),
        (e: RegistryError) => e.status === 422 && e.problems?.[0]?.field === 'body.DeviceProfiles[0].Versions[0].Body.clock');
    });
  });
}
