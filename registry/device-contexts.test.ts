/** Device contexts for the decoder pool on both engines: profile, protocol, opened secrets, archive retention, cache and expiry. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ENGINES, openTestDb, type TestDb } from './testing.js';
import { createDevice, createProject, ProtocolStore, saveChannel, sealSecurityKey } from './project-data.js';
import { SecretBox } from './crypto.js';
import * as crud from './crud.js';
import { commLineSpec } from './specs.js';
import { RegistryDeviceContexts } from './device-contexts.js';

for (const engine of ENGINES) {
  describe(`registry device contexts (${engine})`, () => {
    let t: TestDb;
    const box = new SecretBox(randomBytes(32));
    before(async () => {
      t = await openTestDb(engine);
    });
    after(() => t.drop());

    it('loads the device, its comm line of highest priority, the profile and the opened secrets; caches them until they expire', async () => {
      const p = String((await createProject(t.db, { name: 'contexts' }, null)).id);
      const protocols = new ProtocolStore(t.db, box);
      const proto = await protocols.create(p, { name: 'hls', kind: 'DLMS', settings: { authentication: 'high', encryptionKey: '000102030405060708090A0B0C0D0E0F' } });
      const other = await protocols.create(p, { name: 'plain', kind: 'DLMS', settings: {} });
      const channel = await saveChannel(t.db, p, null, { name: 'tcp', kind: 'TCP', settings: { host: '127.0.0.1', port: 4059 } });
      const device = await createDevice(t.db, p, { serialNumber: 'M-1', type: 'CE308' });
      const bare = await createDevice(t.db, p, { serialNumber: 'M-2', type: 'CE308' });
      await crud.insert(t.db, commLineSpec, p, { deviceId: device.id, channelId: channel.id, protocolId: other.id, profileId: 'DL_IDIS', priority: 1 });
      await crud.insert(t.db, commLineSpec, p, { deviceId: device.id, channelId: channel.id, protocolId: proto.id, profileId: 'DL_CE_308', priority: 5 });
      const nums = (await t.db.query<{ num: number }>('SELECT num FROM devices WHERE id = ANY($1::uuid[]) ORDER BY serial_number', [[device.id, bare.id]])).rows.map((r) => Number(r.num));
      let now = 1_000_000;
      const contexts = new RegistryDeviceContexts(t.db, box, { ttlMs: 60_000, now: () => now });
      assert.equal(contexts.cached(nums[0]!), undefined);
      const got = await contexts.load([...nums, 999_999_999]);
      const c = got.get(nums[0]!)!;
      assert.deepEqual([c.num, c.serial, c.projectId, c.profile?.id, c.protocol?.kind, c.protocol?.settings.authentication], [nums[0], 'M-1', p, 'DL_CE_308', 'DLMS', 'high']);
      assert.deepEqual(c.secrets, { encryptionKey: '000102030405060708090A0B0C0D0E0F' });
      assert.equal(c.protocol?.settings.encryptionKey, undefined, 'secrets never in the settings');
      assert.equal(c.profile!.version, '1', 'the registry version: the latest, as the line pins none');
      assert.ok(Array.isArray((c.profile!.body as { deviceTypes?: unknown }).deviceTypes));
      // what a push's rows need beside the profile's Push Setups: the archives' retention (seeded: 365 days)
      assert.ok(Array.isArray((c.profile!.body as { pushes?: unknown }).pushes));
      assert.equal(c.retentionDays?.['profile-15'], 365);
      assert.deepEqual(c.overrides, {}, 'the project overrides no severity');
      // A device without a comm line has a context without profile or protocol; an unknown number has none.
      assert.deepEqual([got.get(nums[1]!)?.profile, got.get(nums[1]!)?.protocol, got.get(999_999_999)], [null, null, null]);
      assert.equal(contexts.cached(nums[0]!), c);
      assert.equal(contexts.cached(999_999_999), null);
      now += 60_001;
      assert.equal(contexts.cached(nums[0]!), undefined, 'expired: not used without asking the registry');
      // Revalidated: nothing changed, so the same objects for another minute (the pool's threads keep them).
      await contexts.revalidate([...nums, 999_999_999, 123]);
      assert.equal(contexts.cached(nums[0]!), c);
      assert.equal(contexts.cached(nums[1]!), got.get(nums[1]!));
      assert.equal(contexts.cached(999_999_999), null);
      assert.equal(contexts.cached(123), undefined, 'never loaded: not made up');
      // Every edit of a row the context is made of shows: the project's severities (control settings override the profile's) ...
      now += 60_001;
      await t.db.query(`INSERT INTO control_settings (project_id, event_severities) VALUES ($1, '{"power off": "critical"}')`, [p]);
      await contexts.revalidate([nums[0]!]);
      const edited = contexts.cached(nums[0]!)!;
      assert.notEqual(edited, c);
      assert.deepEqual(edited.overrides, { severities: { 'power off': 'critical' } });
      // ... the protocol's keys (written by any path: the stamp is the rows' version) ...
      now += 60_001;
      await protocols.update(p, String(proto.id), { settings: { authentication: 'high', encryptionKey: '101112131415161718191A1B1C1D1E1F' } });
      await contexts.revalidate([nums[0]!]);
      assert.deepEqual(contexts.cached(nums[0]!)!.secrets, { encryptionKey: '101112131415161718191A1B1C1D1E1F' });
      // ... another comm line taking over (the other one's priority raised), a device no longer in use.
      now += 60_001;
      await t.db.query('UPDATE comm_lines SET priority = 9 WHERE device_id = $1 AND protocol_id = $2', [device.id, other.id]);
      await contexts.revalidate([nums[0]!]);
      assert.equal(contexts.cached(nums[0]!)!.profile?.id, 'DL_IDIS');
      now += 60_001;
      await t.db.query(`UPDATE devices SET status = 'REMOVED' WHERE id = $1`, [device.id]);
      await contexts.revalidate([nums[0]!]);
      assert.equal(contexts.cached(nums[0]!), null);
    });

    it('an M-Bus meter: its profile with the mbus mapping and its MBUS_AES key opened among the secrets', async () => {
      const p = String((await createProject(t.db, { name: 'water' }, null)).id);
      const proto = await new ProtocolStore(t.db, box).create(p, { name: 'm-bus', kind: 'MBUS', settings: { frameFormat: 'A' } });
      const air = await saveChannel(t.db, p, null, { name: 'air', kind: 'WMBUS', settings: {} });
      const meter = await createDevice(t.db, p, { serialNumber: 'W-1', type: 'MBUS' });
      const plain = await createDevice(t.db, p, { serialNumber: 'W-2', type: 'MBUS' });
      await crud.insert(t.db, commLineSpec, p, { deviceId: meter.id, channelId: air.id, protocolId: proto.id, profileId: 'MBUS_WATER', address: '30000000-HES' });
      await crud.insert(t.db, commLineSpec, p, { deviceId: plain.id, channelId: air.id, protocolId: proto.id, profileId: 'MBUS_WATER', address: '30000001-HES' });
      const key = (await t.db.query<{ id: string }>(`INSERT INTO security_keys (project_id, device_id, kind, key_enc) VALUES ($1, $2, 'MBUS_AES', 'pending') RETURNING id`, [p, meter.id])).rows[0]!.id;
      await t.db.query('UPDATE security_keys SET key_enc = $2 WHERE id = $1', [key, sealSecurityKey(box, key, '000102030405060708090A0B0C0D0E0F')]);
      const nums = (await t.db.query<{ num: number }>('SELECT num FROM devices WHERE id = ANY($1::uuid[]) ORDER BY serial_number', [[meter.id, plain.id]])).rows.map((r) => Number(r.num));
      const got = await new RegistryDeviceContexts(t.db, box).load(nums);
      const c = got.get(nums[0]!)!;
      assert.deepEqual([c.profile?.id, c.protocol?.kind, c.protocol?.settings.frameFormat, c.secrets], ['MBUS_WATER', 'MBUS', 'A', { MBUS_AES: '000102030405060708090a0b0c0d0e0f' }]);
      assert.ok(Array.isArray((c.profile!.body.mbus as { records?: unknown }).records));
      assert.deepEqual(got.get(nums[1]!)?.secrets, {}, 'a meter without a key: plain telegrams only');
    });
  });
}
