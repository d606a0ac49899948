/**
 * CENC in the running HES (issue 5): `hes start` with a CENC listener and the AMR agent port, and a simulated
 * fleet of GPRS meters (`hes sim --transport initiated`) dialling in, as real child processes driven through
 * the REST API, as an operator would:
 *   - the listening port is bound to a project; the meters connect, identify themselves (`ID:<IMEI>;SN:<serial>`),
 *     are self-registered with a CENC channel and comm line, and are listed as connected;
 *   - the operator sets each comm line's driver and the meter's keys; a collection task reads the meters over
 *     their held connections and the readings are stored;
 *   - an AMR agent signs in on the agent port and runs its own DLMS session to a meter through CENC;
 *   - connections, accesses and disconnections are in the general events.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex } from '../decoders/dlms/axdr/writer.js';
import { DlmsSession } from '../ingest/session/session.js';
import { agentLines } from '../ingest/testing/agent-client.js';
import { SocketTransport } from '../ingest/transport/socket.js';
import { DEFAULT_FLEET, type FleetConfig } from '../sim/fleet.js';
import { HesClient, freePort, poll, spawnHes, type HesProcess } from './hes-process.js';

const PASSWORD = 'Cenc-admin-pass1';
const HES_TITLE = '4845533030303032'; // "HES00002"
const METERS = 3;
const AGENT_PASSWORD = 'Agent-pass-1';

interface Keys { serial: string; blockCipherKey: string; authenticationKey: string }
interface Connection { deviceId: string; projectId: string; serialNumber: string; identity: { kind: string; value: string }; port: number; busy: boolean }
interface Device { id: string; serialNumber: string; type: string; source: string; groupId: string; version: number }
interface CommLine { id: string; channelId: string; protocolId: string; profileId: string | null; version: number }
interface Event { code: string; projectId: string | null; params: Record<string, unknown> }

describe('CENC in the running HES: meters dial in, register themselves, are read and reached by AMR agents', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-cenc-'));
  let hes: HesProcess;
  let sim: HesProcess | undefined;
  let api: HesClient;
  let cencPort = 0;
  let agentPort = 0;
  let p = '';
  let projectId = '';
  let keys: Keys[] = [];
  let devices: Device[] = [];
  const events = async (code: string) => (await api.get<{ items: Event[] }>(`/events/general?code=${code}&limit=1000`)).items.filter((e) => e.projectId === projectId);

  before(async () => {
    hes = spawnHes(['start', '--data-dir', join(dir, 'hes'), '--http-port', '0', '--http-host', '127.0.0.1'], {
      HES_CENC_LISTENERS: 'tcp:0:wrapper', HES_CENC_HOST: '127.0.0.1', HES_CENC_AGENT_PORT: String(await freePort()),
    });
    const m = await hes.waitFor(/HES API listening on (http:\/\/127\.0\.0\.1:\d+)/, 180_000);
    const c = await hes.waitFor(/cenc: listening on 127\.0\.0\.1 tcp:(\d+):wrapper; AMR agents: port (\d+)/);
    cencPort = Number(c[1]);
    agentPort = Number(c[2]);
    api = new HesClient(`${m[1]}/api/v1`);
    await api.signIn('admin', 'hesadmin', PASSWORD);
  });

  after(async () => {
    await sim?.stop();
    await hes?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers the meters dialling in on a port bound to a project, with a CENC channel and comm line each', async () => {
    projectId = (await api.post<{ id: string }>('/projects', { name: 'GPRS', timeZone: 'Europe/Moscow' })).id;
    p = `/projects/${projectId}`;
    const none = await api.get<{ running: boolean; ports: number[]; items: Connection[] }>('/cenc/connections');
    assert.deepEqual([none.running, none.ports, none.items], [true, [cencPort], []]);
    await api.call('PUT', `/port-bindings/${cencPort}`, { projectId });

    const fleet: FleetConfig & Record<string, unknown> = {
      ...DEFAULT_FLEET, meters: METERS, profile: 'ce308', security: 'high-gmac', framing: 'wrapper',
      transport: 'initiated', hes: `127.0.0.1:${cencPort}`, stateFile: join(dir, 'sim-state.json'), keysFile: join(dir, 'meters.json'),
    };
    writeFileSync(join(dir, 'sim.json'), JSON.stringify(fleet));
    sim = spawnHes(['sim', '--config', join(dir, 'sim.json')]);
    await sim.waitFor(/all meters with their addresses and keys/);
    keys = JSON.parse(readFileSync(join(dir, 'meters.json'), 'utf8')) as Keys[];

    const held = await poll(() => api.get<{ items: Connection[] }>(`/cenc/connections?projectId=${projectId}`), (r) => r.items.length === METERS, 60_000, 250, 'all meters connected');
    assert.deepEqual(held.items.map((h) => h.serialNumber).sort(), keys.map((k) => k.serial).sort());
    for (const h of held.items) assert.deepEqual([h.identity.kind, h.port, h.projectId], ['serial', cencPort, projectId], 'the meter is the device; its modem\'s IMEI is the other identity');

    devices = (await api.get<{ items: Device[] }>(`${p}/devices?limit=100`)).items;
    assert.deepEqual(devices.map((d) => [d.source, d.type]), Array(METERS).fill(['SELF_REGISTERED', 'UNIVERSAL']));
    const channels = (await api.get<{ items: { id: string; kind: string; settings: Record<string, string> }[] }>(`${p}/channels?kind=CENC&limit=100`)).items;
    assert.deepEqual(channels.map((c) => c.settings.identifyBy), Array(METERS).fill('serial'));
    assert.deepEqual(channels.map((c) => c.settings.identifier).sort(), keys.map((k) => k.serial).sort());
    assert.equal((await events('SET_CENC_DEVICE_CONNECTED')).length, METERS);
  });

  it('reads the meters over their held connections once the operator set the driver and keys', async () => {
    for (const d of devices) {
      const k = keys.find((x) => x.serial === d.serialNumber)!;
      await api.call('PATCH', `${p}/devices/${d.id}`, { type: 'CE308' });
      const protocol = await api.post<{ id: string }>(`${p}/protocols`, {
        name: `DLMS ${k.serial}`, kind: 'DLMS',
        settings: {
          authentication: 'high', clientAddress: 48, serverAddressLength: 0, maxPduRx: 1024, systemTitle: HES_TITLE,
          encryptionKey: k.blockCipherKey, authenticationKey: k.authenticationKey, waitTime: 10, resendCount: 1,
        },
      });
      const [line] = (await api.get<{ items: CommLine[] }>(`${p}/comm-lines?deviceId=${d.id}`)).items;
      assert.equal(line!.profileId, null, 'a self-registered meter has no driver until the operator names one');
      await api.call('PATCH', `${p}/comm-lines/${line!.id}`, { protocolId: protocol.id, profileId: 'DL_CE_308', protocolMap: 'PROTO_MAP_SPODES_CE308_V12' });
    }
    const group = (await api.get<{ items: { id: string; isDefault: boolean }[] }>(`${p}/groups?isDefault=true`)).items[0]!;
    const task = await api.post<{ id: string }>(`${p}/tasks`, {
      name: 'GPRS daily read', groupIds: [group.id], priority: 500, retries: 0,
      content: { measurements: [{ archive: 'end-of-day', depth: { count: 2, unit: 'days' } }] },
    });
    const launchId = (await api.post<{ id: string }>(`${p}/tasks/${task.id}/run`)).id;
    const launch = await poll(() => api.get<{ state: string; statistics: Record<string, number> }>(`${p}/launches/${launchId}`), (l) => l.state === 'finished', 90_000, 250, 'launch finished');
    assert.equal(launch.statistics.success, METERS, JSON.stringify(launch));
    const readings = await poll(
      () => api.get<{ total: number }>(`${p}/devices/${devices[0]!.id}/measurements?archive=end-of-day&limit=1`),
      (r) => r.total > 0, 60_000, 500, 'readings stored',
    );
    assert.ok(readings.total > 0);
    const connections = await api.get<{ items: Connection[] }>(`/cenc/connections?projectId=${projectId}`);
    assert.equal(connections.items.length, METERS, 'the meters stay connected after the sessions');
  });

  it('lets an AMR agent of the project run its own DLMS session to a meter, and records the access', async () => {
    await api.post(`${p}/amr-agents`, { name: 'tools', password: AGENT_PASSWORD, groupIds: [] });
    const wrong = await agentLines(agentPort, ['LOGIN tools not-the-password']);
    assert.deepEqual(wrong.replies, ['ERR authentication failed']);
    wrong.socket.destroy();

    const k = keys[0]!;
    const device = devices.find((d) => d.serialNumber === k.serial)!;
    const a = await agentLines(agentPort, ['LOGIN TOOLS ' + AGENT_PASSWORD, `OPEN ${k.serial}`]);
    assert.deepEqual(a.replies, ['OK', `OK ${device.id}`]);
    const session = await DlmsSession.open(new SocketTransport(a.socket), {
      framing: 'wrapper', clientAddress: 48, serverWPort: 1, authentication: 'high-gmac', securityPolicy: 'authenticated-and-encrypted',
      keys: { blockCipherKey: fromHex(k.blockCipherKey), authenticationKey: fromHex(k.authenticationKey) }, systemTitle: fromHex('4147454E54303031'),
    }, { waitTimeMs: 10_000 });
    const clock = await session.readClock();
    assert.ok(clock.utcMs !== null && Math.abs(clock.utcMs - Date.now()) < 120_000, `the meter's clock ${JSON.stringify(clock)}`);
    await session.close();
    a.socket.destroy();
    const access = await poll(() => events('SET_CENC_DEVICE_ACCESS_FINISH'), (e) => e.length === 1, 10_000, 100, 'access finished');
    assert.equal(access[0]!.params.deviceId, device.id);
    assert.equal((await events('SET_CENC_DEVICE_ACCESS_START')).length, 1);
  });

  it('records the disconnection of meters that went away', async () => {
    await sim!.stop();
    sim = undefined;
    await poll(() => api.get<{ items: Connection[] }>(`/cenc/connections?projectId=${projectId}`), (r) => r.items.length === 0, 30_000, 250, 'meters gone');
    await poll(() => events('SET_CENC_DEVICE_DISCONNECTED'), (e) => e.length === METERS, 10_000, 100, 'disconnections recorded');
  });
});
