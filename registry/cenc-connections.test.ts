/**
 * The held CENC connections in the registry, on both engines: a node records a meter when it connects and
 * forgets it when it goes; a meter that reconnects to another node moves there and the old node's late
 * "disconnected" leaves it alone; leases are renewed, run out, and a stopping node drops its rows.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, openTestDb, type TestDb } from './testing.js';
import { RegistryDeviceDirectory } from './cenc-directory.js';
import { CencConnections } from './cenc-connections.js';
import { createDevice, createProject } from './project-data.js';
import type { DeviceEvent } from '../ingest/cenc/directory.js';

for (const engine of ENGINES) {
  describe(`CENC connections held by nodes (${engine})`, () => {
    let t: TestDb;
    let clock = Date.parse('2025-08-01T00:00:00Z');
    const node = (nodeId: string) => new CencConnections({
      db: t.db, directory: new RegistryDeviceDirectory(t.db, { log: () => undefined }), nodeId, leaseMs: 10_000, now: () => clock,
    });
    const rows = async () => (await t.db.query<{ device: string; node: string; remote: string; until: Date }>(
      'SELECT device_id AS device, node_id AS node, remote, lease_until AS until FROM cenc_connections ORDER BY device_id',
    )).rows.map((r) => ({ ...r, until: new Date(r.until).toISOString() }));
    const event = (type: DeviceEvent['type'], deviceId: string, remote: string): DeviceEvent => ({ type, deviceId, remote, port: 4059, at: clock });

    before(async () => {
      t = await openTestDb(engine);
    });
    after(() => t.drop());

    it('records, moves, renews and drops the connections of two nodes', async () => {
      const projectId = String((await createProject(t.db, { name: 'held' }, null)).id);
      const d1 = String((await createDevice(t.db, projectId, { serialNumber: 'held-1', type: 'CE308' })).id);
      const d2 = String((await createDevice(t.db, projectId, { serialNumber: 'held-2', type: 'CE308' })).id);
      const a = node('node-a'), b = node('node-b');
      await a.recordEvent(event('connected', d1, 'tcp:10.0.0.1:1'));
      await a.recordEvent(event('connected', d2, 'tcp:10.0.0.2:1'));
      assert.deepEqual((await rows()).map((r) => [r.node, r.remote, r.until]).sort(), [
        ['node-a', 'tcp:10.0.0.1:1', '2025-08-01T00:00:10.000Z'], ['node-a', 'tcp:10.0.0.2:1', '2025-08-01T00:00:10.000Z'],
      ]);

      // The meter of d1 redials node b before node a noticed its socket was gone.
      clock += 1000;
      await b.recordEvent(event('connected', d1, 'tcp:10.0.0.1:2'));
      await a.recordEvent(event('disconnected', d1, 'tcp:10.0.0.1:1'));
      const moved = (await rows()).find((r) => r.device === d1)!;
      assert.deepEqual([moved.node, moved.remote], ['node-b', 'tcp:10.0.0.1:2'], 'node a\'s late disconnect leaves node b\'s row');

      clock += 5000;
      await a.renew();
      assert.deepEqual((await rows()).map((r) => [r.node, r.until]).sort(), [['node-a', '2025-08-01T00:00:16.000Z'], ['node-b', '2025-08-01T00:00:11.000Z']]);

      await b.recordEvent(event('disconnected', d1, 'tcp:10.0.0.1:2'));
      await a.stop();
      assert.deepEqual(await rows(), [], 'a meter gone and a stopped node leave nothing held');
    });
  });
}
