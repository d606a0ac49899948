/** The registry's CENC directory on both engines: lookup, self-registration, events, port bindings, AMR agent sign-in. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, openTestDb, type TestDb } from './testing.js';
import { deviceOutages } from './outages.js';
import { RegistryDeviceDirectory, authenticateAgent } from './cenc-directory.js';
import { createDevice, createProject, defaultGroupId, saveChannel, saveGroup } from './project-data.js';
import { hashPassword } from './crypto.js';
import type { DeviceEvent } from '../ingest/cenc/directory.js';

type Logged = { level: 'info' | 'warn'; message: string; fields: Record<string, unknown> };

for (const engine of ENGINES) {
  describe(`CENC registry directory (${engine})`, () => {
    let t: TestDb;
    let dir: RegistryDeviceDirectory;
    const logged: Logged[] = [];
    let projects = 0;
    const project = async () => String((await createProject(t.db, { name: `cenc ${++projects}` }, null)).id);
    const events = async (projectId: string) =>
      (await t.db.query<{ code: string; username: string; params: Record<string, unknown> }>(
        'SELECT code, username, params FROM events WHERE project_id = $1 ORDER BY id', [projectId],
      )).rows;
    const lastGasp = async (deviceId: string) =>
      (await t.db.query<{ at: Date | null }>('SELECT last_gasp_at AS at FROM devices WHERE id = $1', [deviceId])).rows[0].at;
    const event = (e: Partial<DeviceEvent> & Pick<DeviceEvent, 'type'>): DeviceEvent => ({ at: Date.now(), remote: 'tcp:10.0.0.7:50123', port: 4059, ...e });

    before(async () => {
      t = await openTestDb(engine);
      dir = new RegistryDeviceDirectory(t.db, { log: (level, message, fields) => logged.push({ level, message, fields }) });
    });
    after(() => t.drop());

    it('migrates the CENC lookup indexes', async () => {
      const r = await t.db.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE indexname IN ('channels_cenc_identity', 'devices_serial') ORDER BY 1`);
      assert.deepEqual(r.rows.map((x) => x.indexname), ['channels_cenc_identity', 'devices_serial']);
    });

    it('registers a device with its CENC channel, the project\'s CENC protocol (once) and a comm line, and records SET_DEVICE_ADD', async () => {
      const p = await project();
      const a = await dir.register({ kind: 'imei', value: '356938035643809' }, p);
      assert.deepEqual({ ...a, deviceId: '' }, { deviceId: '', projectId: p, serial: '356938035643809', groupIds: [], type: 'UNIVERSAL', source: 'self-registered' });
      const d = await t.db.query('SELECT serial_number, type, source, status, group_id FROM devices WHERE id = $1', [a.deviceId]);
      assert.deepEqual(d.rows, [{ serial_number: '356938035643809', type: 'UNIVERSAL', source: 'SELF_REGISTERED', status: 'IN_USE', group_id: await defaultGroupId(t.db, p) }]);
      const b = await dir.register({ kind: 'serial', value: '012345678' }, p);
      const lines = await t.db.query<{ device_id: string; channel: string; kind: string; settings: unknown; protocol: string; pkind: string; psettings: unknown; profile_id: null; address: string; enabled: boolean }>(
        `SELECT l.device_id, c.name AS channel, c.kind, c.settings, pr.name AS protocol, pr.kind AS pkind, pr.settings AS psettings, l.profile_id, l.address, l.enabled
           FROM comm_lines l JOIN channels c ON c.id = l.channel_id JOIN protocols pr ON pr.id = l.protocol_id WHERE l.project_id = $1 ORDER BY c.name`, [p],
      );
      assert.deepEqual(lines.rows, [
        { device_id: b.deviceId, channel: 'CENC 012345678', kind: 'CENC', settings: { identifyBy: 'serial', identifier: '012345678' }, protocol: 'CENC', pkind: 'DLMS', psettings: {}, profile_id: null, address: '', enabled: true },
        { device_id: a.deviceId, channel: 'CENC 356938035643809', kind: 'CENC', settings: { identifyBy: 'imei', identifier: '356938035643809' }, protocol: 'CENC', pkind: 'DLMS', psettings: {}, profile_id: null, address: '', enabled: true },
      ]);
      assert.equal((await t.db.query('SELECT 1 FROM protocols WHERE project_id = $1', [p])).rows.length, 1, 'one CENC protocol, reused');
      assert.deepEqual(await events(p), [
        { code: 'SET_DEVICE_ADD', username: 'CENC', params: { deviceId: a.deviceId, serialNumber: '356938035643809', source: 'SELF_REGISTERED', identity: { kind: 'imei', value: '356938035643809' } } },
        { code: 'SET_DEVICE_ADD', username: 'CENC', params: { deviceId: b.deviceId, serialNumber: '012345678', source: 'SELF_REGISTERED', identity: { kind: 'serial', value: '012345678' } } },
      ]);
      assert.deepEqual(await dir.find({ kind: 'imei', value: '356938035643809' }), a);
      assert.deepEqual(await dir.get(b.deviceId), b);
    });

    it('names the channel "CENC <value> (2)" when the name is taken in the project', async () => {
      const p = await project();
      await saveChannel(t.db, p, null, { name: 'cenc 0042', kind: 'TCP', settings: { host: '10.0.0.1', port: 4059 } });
      const d = await dir.register({ kind: 'serial', value: '0042' }, p);
      const c = await t.db.query('SELECT c.name FROM channels c JOIN comm_lines l ON l.channel_id = c.id WHERE l.device_id = $1', [d.deviceId]);
      assert.deepEqual(c.rows, [{ name: 'CENC 0042 (2)' }]);
    });

    it('finds by the CENC channel\'s identity (a system title in any case) across projects, and by the serial number for a serial or IMEI', async () => {
      const p = await project();
      const st = await dir.register({ kind: 'system-title', value: '4d4d4d0000bc614e' }, p);
      assert.equal(st.serial, '4D4D4D0000BC614E');
      assert.equal((await dir.find({ kind: 'system-title', value: '4D4D4D0000BC614E' }))?.deviceId, st.deviceId);
      assert.equal((await dir.find({ kind: 'system-title', value: '4d4d4d0000bc614e' }))?.deviceId, st.deviceId);
      assert.equal(await dir.find({ kind: 'logical-device-name', value: '4D4D4D0000BC614E' }), undefined, 'the kind must match');

      const other = await project();
      const manual = await createDevice(t.db, other, { serialNumber: 'SN-FALLBACK-1', type: 'CE308' });
      const expected = { deviceId: manual.id, projectId: other, serial: 'SN-FALLBACK-1', groupIds: [], type: 'CE308', source: 'manual' };
      assert.deepEqual(await dir.find({ kind: 'serial', value: 'SN-FALLBACK-1' }), expected);
      assert.deepEqual(await dir.find({ kind: 'imei', value: 'SN-FALLBACK-1' }), expected);
      assert.equal(await dir.find({ kind: 'logical-device-name', value: 'SN-FALLBACK-1' }), undefined, 'no serial fallback for other kinds');
      assert.equal(await dir.find({ kind: 'serial', value: 'SN-UNKNOWN' }), undefined);
    });

    it('ignores removed devices, and prefers a device in use', async () => {
      const p = await project();
      const reg = await dir.register({ kind: 'serial', value: 'SN-REMOVED-1' }, p);
      await t.db.query(`UPDATE devices SET status = 'REMOVED' WHERE id = $1`, [reg.deviceId]);
      assert.equal(await dir.find({ kind: 'serial', value: 'SN-REMOVED-1' }), undefined, 'neither by channel nor by serial');

      const q = await project();
      const stock = await createDevice(t.db, q, { serialNumber: 'SN-TWICE', type: 'CE207', status: 'STOCK' });
      const inUse = await createDevice(t.db, q, { serialNumber: 'SN-TWICE', type: 'CE307' });
      await createDevice(t.db, q, { serialNumber: 'SN-TWICE', type: 'CE308', status: 'REMOVED' });
      assert.equal((await dir.find({ kind: 'serial', value: 'SN-TWICE' }))?.deviceId, inUse.id);
      await t.db.query(`UPDATE devices SET status = 'REMOVED' WHERE id = $1`, [inUse.id]);
      assert.equal((await dir.find({ kind: 'serial', value: 'SN-TWICE' }))?.deviceId, stock.id);
    });

    it('gives groupIds [] for the default group and [id] for another group', async () => {
      const p = await project();
      const d = await dir.register({ kind: 'logical-device-name', value: 'EMH00000012345678' }, p);
      assert.deepEqual((await dir.find({ kind: 'logical-device-name', value: 'EMH00000012345678' }))?.groupIds, []);
      const g = await saveGroup(t.db, p, null, { name: 'Three-phase' });
      await t.db.query('UPDATE devices SET group_id = $2 WHERE id = $1', [d.deviceId, g.id]);
      assert.deepEqual((await dir.find({ kind: 'logical-device-name', value: 'EMH00000012345678' }))?.groupIds, [g.id]);
      assert.deepEqual((await dir.get(d.deviceId))?.groupIds, [g.id]);
    });

    it('answers undefined for an unknown or malformed device id', async () => {
      assert.equal(await dir.get('00000000-0000-4000-8000-000000000000'), undefined);
      assert.equal(await dir.get('auto-1'), undefined);
      assert.equal(await dir.get(''), undefined);
    });

    it('gives the project bound to a port', async () => {
      const p = await project();
      await t.db.query('INSERT INTO port_bindings (port, project_id) VALUES (4059, $1)', [p]);
      assert.equal(await dir.projectForPort(4059), p);
      assert.equal(await dir.projectForPort(4060), undefined);
    });

    it('records connections and accesses as events of the device\'s project; a last gasp shows until the next connection', async () => {
      const p = await project();
      const d = await dir.register({ kind: 'serial', value: 'SN-EVENTS-1' }, p);
      const identity = { kind: 'serial' as const, value: 'SN-EVENTS-1' };
      await dir.recordEvent(event({ type: 'registered', deviceId: d.deviceId, identity }));
      await dir.recordEvent(event({ type: 'connected', deviceId: d.deviceId, identity }));
      await dir.recordEvent(event({ type: 'access-start', deviceId: d.deviceId, port: 4070, detail: 'agent tools' }));
      await dir.recordEvent(event({ type: 'access-finish', deviceId: d.deviceId, port: 4070, detail: 'agent tools' }));
      await dir.recordEvent(event({ type: 'disconnected', deviceId: d.deviceId, identity }));
      const at = Date.UTC(2024, 4, 1, 12, 30, 15, 250);
      logged.length = 0;
      await dir.recordEvent(event({ type: 'last-gasp', at, deviceId: d.deviceId, identity }));
      assert.equal((await lastGasp(d.deviceId))?.getTime(), at);
      assert.deepEqual(logged.map((l) => [l.level, l.fields.deviceId]), [['info', d.deviceId]]);
      // a second gasp during the outage changes nothing
      await dir.recordEvent(event({ type: 'last-gasp', at: at + 1000, deviceId: d.deviceId, identity }));
      await dir.recordEvent(event({ type: 'connected', at: at + 60_000, deviceId: d.deviceId, identity }));
      assert.equal(await lastGasp(d.deviceId), null, 'cleared at the next connection');
      // the gasp opened an outage, the connection closed it
      assert.deepEqual((await deviceOutages(t.db, p, d.deviceId, { limit: 10, offset: 0 })).items, [
        { startedAt: new Date(at).toISOString(), startedBy: 'last-gasp', endedAt: new Date(at + 60_000).toISOString(), endedBy: 'connected' },
      ]);

      const base = { deviceId: d.deviceId, remote: 'tcp:10.0.0.7:50123' };
      assert.deepEqual((await events(p)).map((e) => [e.code, e.username, e.params]), [
        ['SET_DEVICE_ADD', 'CENC', { deviceId: d.deviceId, serialNumber: 'SN-EVENTS-1', source: 'SELF_REGISTERED', identity }],
        ['SET_CENC_DEVICE_CONNECTED', 'CENC', { ...base, port: 4059, identity }],
        ['SET_CENC_DEVICE_ACCESS_START', 'CENC', { ...base, port: 4070, detail: 'agent tools' }],
        ['SET_CENC_DEVICE_ACCESS_FINISH', 'CENC', { ...base, port: 4070, detail: 'agent tools' }],
        ['SET_CENC_DEVICE_DISCONNECTED', 'CENC', { ...base, port: 4059, identity }],
        ['SET_CENC_DEVICE_CONNECTED', 'CENC', { ...base, port: 4059, identity }],
      ]);
    });

    it('only logs what concerns no device of the registry', async () => {
      const before = (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0].n;
      logged.length = 0;
      const identity = { kind: 'imei' as const, value: '490154203237518' };
      await dir.recordEvent(event({ type: 'unidentified', detail: 'no identification in 30 s' }));
      await dir.recordEvent(event({ type: 'unbound', identity, detail: 'no device and no project bound to port 4059' }));
      await dir.recordEvent(event({ type: 'last-gasp', identity }));
      await dir.recordEvent(event({ type: 'last-gasp', identity, deviceId: '00000000-0000-4000-8000-000000000000' }));
      await dir.recordEvent(event({ type: 'connected', identity }));
      await dir.recordEvent(event({ type: 'disconnected', deviceId: 'auto-7' }));
      assert.deepEqual(logged.map((l) => [l.level, l.fields.type]), [
        ['warn', 'unidentified'], ['warn', 'unbound'], ['warn', 'last-gasp'], ['warn', 'last-gasp'], ['warn', 'connected'], ['warn', 'disconnected'],
      ]);
      assert.deepEqual(logged[1].fields.identity, identity);
      assert.equal((await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0].n, before);
    });

    it('ends a concurrent double registration of one identity with one device', async () => {
      const p = await project();
      const identity = { kind: 'serial' as const, value: 'SN-RACE-1' };
      const [a, b] = await Promise.all([dir.register(identity, p), dir.register(identity, p)]);
      assert.equal(a.deviceId, b.deviceId);
      const n = await t.db.query<{ devices: number; channels: number; lines: number; added: number }>(
        `SELECT (SELECT count(*)::int FROM devices WHERE project_id = $1) AS devices, (SELECT count(*)::int FROM channels WHERE project_id = $1) AS channels,
                (SELECT count(*)::int FROM comm_lines WHERE project_id = $1) AS lines, (SELECT count(*)::int FROM events WHERE project_id = $1 AND code = 'SET_DEVICE_ADD') AS added`, [p],
      );
      assert.deepEqual(n.rows[0], { devices: 1, channels: 1, lines: 1, added: 1 });
    });

    it('registers two meters at once into a project without its CENC protocol yet: both, sharing one protocol', async () => {
      const p = await project();
      const [a, b] = await Promise.all([dir.register({ kind: 'serial', value: 'SN-PAIR-1' }, p), dir.register({ kind: 'serial', value: 'SN-PAIR-2' }, p)]);
      assert.notEqual(a.deviceId, b.deviceId);
      const r = await t.db.query<{ n: number }>('SELECT count(DISTINCT protocol_id)::int AS n FROM comm_lines WHERE project_id = $1', [p]);
      assert.equal(r.rows[0].n, 1);
      assert.equal((await t.db.query('SELECT 1 FROM protocols WHERE project_id = $1', [p])).rows.length, 1);
    });

    it('signs AMR agents in by name (any case) and password', async () => {
      const p = await project();
      const g = await saveGroup(t.db, p, null, { name: 'Agents' });
      await t.db.query('INSERT INTO amr_agents (project_id, name, password_hash, group_ids) VALUES ($1, $2, $3, $4)', [p, 'AdminTools', await hashPassword('Agent-pass-1'), [g.id]]);
      const agent = { name: 'AdminTools', projectId: p, groupIds: [g.id], extended: false };
      assert.deepEqual(await authenticateAgent(t.db, 'AdminTools', 'Agent-pass-1'), agent);
      assert.deepEqual(await authenticateAgent(t.db, 'admintools', 'Agent-pass-1'), agent);
      assert.equal(await authenticateAgent(t.db, 'AdminTools', 'agent-pass-1'), undefined);
      assert.equal(await authenticateAgent(t.db, 'nobody', 'Agent-pass-1'), undefined);
    });
  });
}
