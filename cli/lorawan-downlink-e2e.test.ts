/**
 * LoRaWAN downlinks in a running HES (scheduler on, ChirpStack's MQTT integration on Mosquitto at 127.0.0.1:1883;
 * the test plays ChirpStack): a relay disconnect approved by a second user is encoded by the device profile's TS013
 * codec and queued on `application/{app}/device/{devEui}/command/down`; its history says it waits for the device's
 * next uplink; ChirpStack's `txack` and `ack` events close it (done), a downlink not acknowledged fails it (error);
 * the ack events are device states.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { loadConfig } from '../config/index.js';
import { TS013_WATER_CODEC } from '../decoders/lorawan/fixtures.js';
import { uplinkEvent } from '../ingest/chirpstack/testing.js';
import { HesClient, poll } from './hes-process.js';
import { startHes, type RunningHes } from './start.js';

const DEV_EUI = '70B3D57ED0007777';
const RELAY_CODEC = `${TS013_WATER_CODEC}
  function encodeDownlink(input) {
    if (input.data.relay === 'on') return { bytes: [0xA0, 0x01], fPort: 30 };
    if (input.data.relay === 'off') return { bytes: [0xA0, 0x00], fPort: 30 };
    return { errors: ['relay must be on or off'] };
  }`;

interface Command { function: string; state: string; note: string; result: { queueItemId?: string } | null }
interface Down { id: string; devEui: string; confirmed: boolean; fPort: number; data: string }

describe('LoRaWAN downlinks through ChirpStack in a running HES', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-lorawan-down-'));
  const prefix = `hes-test/lorawan-down-${randomUUID().slice(0, 8)}/`;
  const app = randomUUID();
  let hes: RunningHes;
  let api: HesClient;
  let chirpstack: MqttClient;
  const downs: Down[] = [];
  let p = '';
  let deviceId = '';

  before(async () => {
    hes = await startHes(loadConfig({
      env: {},
      overrides: { dataDir: dir, httpPort: 0, httpHost: '127.0.0.1', logLevel: 'silent', decoderThreads: 1, lorawan: { mqttUrl: 'mqtt://127.0.0.1:1883', mqttShareGroup: '', mqttTopicPrefix: prefix } },
    }));
    api = new HesClient(`${hes.url}/api/v1`);
    await api.signIn('admin', 'hesadmin', 'Lorawan-pass-2');
    p = `/projects/${(await api.post<{ id: string }>('/projects', { name: 'LoRa downlinks', timeZone: 'Europe/Moscow' })).id}`;
    await api.call('PUT', `${p}/control-settings`, { relayDisconnectApproval: true });
    await api.post('/device-profiles', {
      id: 'TS013_RELAY_E2E', name: 'meter with a relay, TS013 codec', deviceTypes: ['LORAWAN'], protocol: 'LORAWAN', protocolMaps: [],
      lorawan: {
        codecs: [{ codec: 'ts013', fPorts: [10], script: RELAY_CODEC }],
        downlinks: { commands: { 'relay-connect': { data: { relay: 'on' } }, 'relay-disconnect': { data: { relay: 'off' } } } },
      },
    });
    const channel = await api.post<{ id: string }>(`${p}/channels`, { name: 'chirpstack', kind: 'LORAWAN', settings: { applicationId: app } });
    const protocol = await api.post<{ id: string }>(`${p}/protocols`, { name: 'lorawan', kind: 'LORAWAN', settings: {} });
    deviceId = (await api.post<{ id: string }>(`${p}/devices`, { serialNumber: 'LW-RELAY', type: 'LORAWAN' })).id;
    await api.post(`${p}/comm-lines`, { deviceId, channelId: channel.id, protocolId: protocol.id, address: DEV_EUI, profileId: 'TS013_RELAY_E2E' });
    chirpstack = await mqtt.connectAsync('mqtt://127.0.0.1:1883');
    chirpstack.on('message', (_t, payload) => downs.push(JSON.parse(payload.toString('utf8')) as Down));
    await chirpstack.subscribeAsync(`${prefix}application/${app}/device/+/command/down`, { qos: 1 });
  });

  after(async () => {
    await chirpstack?.endAsync();
    await hes?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const history = async () => (await api.get<{ items: Command[] }>(`${p}/devices/${deviceId}/commands`)).items;
  const event = async (kind: 'ack' | 'txack', body: Record<string, unknown>) => chirpstack.publishAsync(
    `${prefix}application/${app}/device/${DEV_EUI.toLowerCase()}/event/${kind}`,
    JSON.stringify({ ...uplinkEvent({ applicationId: app, devEui: DEV_EUI, payload: '' }), ...body }), { qos: 1 },
  );

  it('a relay disconnect approved by a second user is queued to ChirpStack, encoded by the profile\'s codec; txack and ack close it', async () => {
    const asked = await api.post<{ id: string; approval: string }>(`${p}/commands/control`, { deviceIds: [deviceId], function: 'relay-disconnect', params: {} });
    assert.equal(asked.approval, 'awaiting');
    const roles = await api.get<{ items: { id: string; name: string }[] }>('/roles?limit=100');
    const user = await api.post<{ id: string }>('/users', { username: 'operator2', password: 'Operator-pass2', roleId: roles.items.find((r) => r.name === 'Operator')!.id, mustChangePassword: false });
    await api.call('PUT', `${p}/members/${user.id}`);
    const operator = new HesClient(api.base);
    await operator.signIn('operator2', 'Operator-pass2');
    assert.equal(downs.length, 0, 'nothing queued before approval');
    const approved = await operator.post<{ approval: string; launch: { id: string } }>(`${p}/tasks/${asked.id}/approve`);
    assert.equal(approved.approval, 'approved');
    const launch = await poll(() => api.get<{ state: string; result: string }>(`${p}/launches/${approved.launch.id}`), (l) => l.state === 'finished', 60_000, 250, 'the launch');
    assert.equal(launch.result, 'success');
    await poll(() => Promise.resolve(downs.length), (n) => n >= 1, 10_000, 50, 'the downlink on command/down');
    const down = downs[0]!;
    assert.deepEqual({ ...down, id: undefined }, { id: undefined, devEui: DEV_EUI.toLowerCase(), confirmed: true, fPort: 30, data: Buffer.from([0xa0, 0x00]).toString('base64') });
    let [cmd] = await history();
    assert.deepEqual([cmd!.function, cmd!.state, cmd!.result?.queueItemId], ['relay-disconnect', 'done', down.id]);
    assert.match(cmd!.note, /queued; a class A device receives it after its next uplink/);

    await event('txack', { queueItemId: down.id, downlinkId: 7, fCntDown: 3, gatewayId: '0016c001f1500000' });
    await event('ack', { deduplicationId: randomUUID(), queueItemId: down.id, acknowledged: true, fCntDown: 3 });
    [cmd] = await poll(history, (h) => /acknowledged by the device/.test(h[0]?.note ?? ''), 30_000, 250, 'the ack');
    assert.equal(cmd!.state, 'done');
    assert.match(cmd!.note, /sent by gateway 0016c001f1500000 \(fCntDown 3\); acknowledged by the device$/);
    const states = await poll(async () => (await api.get<{ items: { code: string; value: Record<string, unknown> }[] }>(`${p}/devices/${deviceId}/states?archive=state-info`)).items,
      (s) => s.some((x) => x.code === 'lorawan-ack'), 60_000, 250, 'the ack as a device state');
    assert.deepEqual(states.find((x) => x.code === 'lorawan-ack')!.value, { queueItemId: down.id, acknowledged: true, fCntDown: '3' });
  });

  it('a downlink the device does not acknowledge fails its command', async () => {
    const asked = await api.post<{ approval: string }>(`${p}/commands/control`, { deviceIds: [deviceId], function: 'relay-connect', params: {} });
    assert.equal(asked.approval, 'not-required');
    await poll(() => Promise.resolve(downs.length), (n) => n >= 2, 60_000, 100, 'the second downlink');
    const down = downs[1]!;
    assert.deepEqual([down.fPort, down.data], [30, Buffer.from([0xa0, 0x01]).toString('base64')]);
    await poll(history, (h) => h.some((c) => c.result?.queueItemId === down.id), 30_000, 250, 'the command recorded');
    await event('ack', { deduplicationId: randomUUID(), queueItemId: down.id, acknowledged: false, fCntDown: 4 });
    const h = await poll(history, (x) => x.some((c) => c.result?.queueItemId === down.id && c.state === 'error'), 30_000, 250, 'the nack');
    const cmd = h.find((c) => c.result?.queueItemId === down.id)!;
    assert.equal(cmd.function, 'relay-connect');
    assert.match(cmd.note, /not acknowledged by the device$/);
  });
});
