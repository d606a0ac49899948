/**
 * LoRaWAN end to end in a running HES (embedded bus and ClickHouse): ChirpStack-shaped uplinks published to
 * Mosquitto (MQTT integration) and posted to the HTTP integration's route → intake → bus → decoder pool
 * (OBIS-TLV and Cayenne LPP by the devices' profiles) → readings and events through the API; a redelivered
 * uplink stored once, a payload the codec refuses dead-lettered and counted, an unknown DevEUI listed; a round
 * of the simulated ChirpStack application (sim/lorawan) with redeliveries and refused payloads; a TS013
 * JavaScript codec uploaded with a profile through the API decoding uplinks in the pool's sandbox, a looping one
 * dead-lettered while the pool keeps decoding.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { loadConfig } from '../config/index.js';
import { TLV_VECTORS, TS013_WATER_CODEC, TS013_WATER_UPLINK } from '../decoders/lorawan/fixtures.js';
import { encodeObisTlv } from '../decoders/lorawan/obis-tlv.js';
import { uplinkEvent } from '../ingest/chirpstack/testing.js';
import { LorawanApplicationSim } from '../sim/lorawan/application.js';
import { HesClient, poll } from './hes-process.js';
import { startHes, type RunningHes } from './start.js';

interface Reading { archive: string; code: string; deviceTime: string; value: { value: number; unit: string } }
interface Event { journal: string; code: number; name: string; severity?: string }

const METER = '0004A30B001C0530';
const SENSOR = '70B3D57ED0001234';
const STRANGER = '70B3D57ED000FFFF';
const TS013_METER = '70B3D57ED0005678';

describe('LoRaWAN through ChirpStack in a running HES', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-lorawan-'));
  const prefix = `hes-test/lorawan-${randomUUID().slice(0, 8)}/`;
  const mqttApp = randomUUID();
  const httpApp = randomUUID();
  let hes: RunningHes;
  let api: HesClient;
  let p = '';
  const ids: Record<string, string> = {};
  const simOptions = { applicationId: mqttApp, meters: 6, target: { kind: 'mqtt', url: 'mqtt://127.0.0.1:1883', topicPrefix: prefix }, duplicateShare: 0.5, corruptShare: 0.3, seed: 'e2e' } as const;
  const simIds: string[] = [];

  const config = () => loadConfig({
    env: {},
    overrides: {
      dataDir: dir, httpPort: 0, httpHost: '127.0.0.1', logLevel: 'silent', decoderThreads: 1,
      lorawan: { mqttUrl: 'mqtt://127.0.0.1:1883', mqttShareGroup: '', mqttTopicPrefix: prefix },
    },
  });

  before(async () => {
    hes = await startHes(config(), { scheduler: false });
    api = new HesClient(`${hes.url}/api/v1`);
    await api.signIn('admin', 'hesadmin', 'Lorawan-pass-1');
    p = `/projects/${(await api.post<{ id: string }>('/projects', { name: 'LoRa', timeZone: 'Europe/Moscow' })).id}`;
    await api.post('/device-profiles', {
      id: 'LPP_WATER_E2E', name: 'water meter, Cayenne LPP', deviceTypes: ['LORAWAN'], protocol: 'LORAWAN', protocolMaps: [],
      lorawan: {
        codecs: [{ codec: 'cayenne-lpp', fPorts: [1] }],
        channels: [{ channel: 1, type: 'analog-input', obis: '8.0.1.0.0.255', unit: 'm³' }, { channel: 2, type: 'temperature', obis: '0.0.96.9.0.255', archive: 'telemetry' }],
        radio: { rssi: '0.128.96.12.5.255', snr: '0.128.96.12.6.255' },
      },
    });
    // A maker's TS013 codec, uploaded with its profile: fPort 10 its uplinks, fPort 11 a codec that never returns.
    const ts013Profile = {
      id: 'TS013_WATER_E2E', name: 'water meter, TS013 codec', deviceTypes: ['LORAWAN'], protocol: 'LORAWAN', protocolMaps: [],
      lorawan: {
        codecs: [{ codec: 'ts013', fPorts: [10], script: TS013_WATER_CODEC }, { codec: 'ts013', fPorts: [11], script: 'function decodeUplink() { for (;;) {} }' }],
        values: [{ path: 'volume', obis: '8.0.1.0.0.255', unit: 'm³' }, { path: 'temperature', obis: '8.0.41.0.0.255', unit: '°C', archive: 'telemetry' }],
      },
    };
    const refused = await fetch(`${hes.url}/api/v1/device-profiles`, {
      method: 'POST', headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...ts013Profile, id: 'TS013_BROKEN', lorawan: { ...ts013Profile.lorawan, codecs: [{ codec: 'ts013', script: 'function decodeUplink( {' }] } }),
    });
    const problem = await refused.json() as { error: { field?: string } };
    assert.deepEqual([refused.status, problem.error.field], [422, 'body.lorawan.codecs[0].script'], JSON.stringify(problem));
    await api.post('/device-profiles', ts013Profile);
    const mqttChannel = await api.post<{ id: string }>(`${p}/channels`, { name: 'chirpstack-mqtt', kind: 'LORAWAN', settings: { applicationId: mqttApp } });
    const httpChannel = await api.post<{ id: string }>(`${p}/channels`, { name: 'chirpstack-http', kind: 'LORAWAN', settings: { applicationId: httpApp, integration: 'http' } });
    const protocol = await api.post<{ id: string }>(`${p}/protocols`, { name: 'lorawan', kind: 'LORAWAN', settings: {} });
    for (const [serial, channel, devEui, profileId] of [
      ['LW-E', mqttChannel.id, METER, 'LORAWAN_OBIS_TLV'], ['LW-W', httpChannel.id, SENSOR, 'LPP_WATER_E2E'], ['LW-T', httpChannel.id, TS013_METER, 'TS013_WATER_E2E'],
    ] as const) {
      const d = await api.post<{ id: string }>(`${p}/devices`, { serialNumber: serial, type: 'LORAWAN' });
      await api.post(`${p}/comm-lines`, { deviceId: d.id, channelId: channel, protocolId: protocol.id, address: devEui, profileId });
      ids[serial] = d.id;
    }
    // The simulated application's meters (registered before any uplink: the intake's directory reloads an
    // application at most every 10 s for DevEUIs it does not know).
    const sim = new LorawanApplicationSim(simOptions);
    for (let i = 0; i < simOptions.meters; i++) {
      const d = await api.post<{ id: string }>(`${p}/devices`, { serialNumber: `SIM-${i}`, type: 'LORAWAN' });
      await api.post(`${p}/comm-lines`, { deviceId: d.id, channelId: mqttChannel.id, protocolId: protocol.id, address: sim.devEui(i), profileId: 'LORAWAN_OBIS_TLV' });
      simIds.push(d.id);
    }
  });

  after(async () => {
    await hes?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const readings = async (device: string, archive: string) =>
    (await api.get<{ items: Reading[] }>(`${p}/devices/${ids[device]}/measurements?archive=${archive}&from=2026-01-01T00:00:00Z&to=2027-12-31T00:00:00Z&limit=1000`)).items
      .map((r) => [r.code, r.deviceTime, r.value.value, r.value.unit]).sort();

  it('MQTT integration: the meter\'s OBIS-TLV uplinks become readings and events once; a refused payload is a dead letter; an unknown DevEUI is listed', async () => {
    const chirpstack = await mqtt.connectAsync('mqtt://127.0.0.1:1883');
    const topic = (devEui: string) => `${prefix}application/${mqttApp}/device/${devEui.toLowerCase()}/event/up`;
    const first = uplinkEvent({ applicationId: mqttApp, devEui: METER, payload: TLV_VECTORS.registersAndStatus, fCnt: 1, rssi: [-80, -95] });
    const later = Buffer.from(encodeObisTlv({ time: Date.UTC(2026, 11, 7, 1) / 1000, registers: [{ obis: '1.0.1.8.1.255', raw: 12351, scaler: 2, unit: 30 }] })).toString('hex');
    try {
      await chirpstack.publishAsync(topic(METER), JSON.stringify(first), { qos: 1 });
      await chirpstack.publishAsync(topic(METER), JSON.stringify(first), { qos: 1 }); // delivered again
      await chirpstack.publishAsync(topic(METER), JSON.stringify(uplinkEvent({ applicationId: mqttApp, devEui: METER, payload: later, fCnt: 2 })), { qos: 1 });
      await chirpstack.publishAsync(topic(METER), JSON.stringify(uplinkEvent({ applicationId: mqttApp, devEui: METER, payload: '0201', fCnt: 3 })), { qos: 1 });
      await chirpstack.publishAsync(topic(STRANGER), JSON.stringify(uplinkEvent({ applicationId: mqttApp, devEui: STRANGER, payload: '01', fCnt: 9 })), { qos: 1 });
    } finally {
      await chirpstack.endAsync();
    }
    const rows = await poll(() => readings('LW-E', 'current'), (r) => r.length >= 3, 60_000, 250, 'the meter\'s readings');
    assert.deepEqual(rows, [
      ['1.0.1.8.1.255', '2026-12-07T00:00:00.000Z', 1234500, 'Wh'], ['1.0.1.8.1.255', '2026-12-07T01:00:00.000Z', 1235100, 'Wh'],
      ['1.0.32.7.0.255', '2026-12-07T00:00:00.000Z', 231.4, 'V'],
    ].sort());
    const events = (await api.get<{ items: Event[] }>(`${p}/devices/${ids['LW-E']}/events?from=2026-01-01T00:00:00Z&to=2027-12-31T00:00:00Z`)).items;
    assert.deepEqual(events.map((e) => [e.journal, e.code, e.name]).sort(), [['external-impact', 0, 'cover opened'], ['power-quality', 2, 'reverse energy flow']]);
    const totals = await poll(async () => ({ ...hes.lorawan.intake.totals }), (t) => Object.values(t).reduce((a, n) => a + n, 0) >= 5, 30_000, 100, 'the five messages taken');
    assert.deepEqual(totals, { accepted: 3, duplicate: 1, unknownDevice: 1, unknownApplication: 0, ignored: 0, malformed: 0 });
    // ChirpStack's device-status and join events: battery, link margin and DevAddr as the device's state.
    const status = await mqtt.connectAsync('mqtt://127.0.0.1:1883');
    try {
      const event = { ...uplinkEvent({ applicationId: mqttApp, devEui: METER, payload: '' }), margin: 8, batteryLevel: 72.5 };
      await status.publishAsync(topic(METER).replace(/up$/, 'status'), JSON.stringify(event), { qos: 1 });
      await status.publishAsync(topic(METER).replace(/up$/, 'join'), JSON.stringify({ ...event, deduplicationId: randomUUID(), devAddr: '0188aa01' }), { qos: 1 });
    } finally {
      await status.endAsync();
    }
    const states = await poll(async () => (await api.get<{ items: { archive: string; code: string; value: unknown }[] }>(`${p}/devices/${ids['LW-E']}/states?archive=state-info`)).items,
      (items) => items.some((s) => s.code === 'lorawan-status') && items.some((s) => s.code === 'lorawan-join'), 60_000, 250, 'the device status and join stored');
    assert.deepEqual(states.find((s) => s.code === 'lorawan-join')?.value, { devAddr: '0188AA01' });
    assert.deepEqual(states.find((s) => s.code === 'lorawan-status')?.value, { batteryLevel: 72.5, margin: 8, externalPowerSource: false });
    const metrics = await poll(() => hes.metrics.text(), (t) => /hes_pipeline_decode_errors_total\{[^}]*protocol="lorawan"[^}]*\} 1/.test(t), 30_000, 250, 'the dead letter counted');
    assert.match(metrics, /hes_pipeline_decode_errors_total\{[^}]*code="TLV_VERSION"[^}]*\} 1/);
    // Accepted: the 3 uplinks, the status and the join.
    for (const [outcome, n] of [['accepted', 5], ['duplicate', 1], ['unknownDevice', 1]] as const) assert.match(metrics, new RegExp(`hes_lorawan_events_total\\{outcome="${outcome}"\\} ${n}\n`));
    await hes.lorawan.unknown.flush();
    const unknown = await api.get<{ items: { devEui: string; uplinks: number }[] }>(`${p}/lorawan/unknown-devices`);
    assert.deepEqual(unknown.items.map((d) => [d.devEui, d.uplinks]), [[STRANGER, 1]]);
  });

  it('HTTP integration: the water meter\'s Cayenne LPP uplink, posted by ChirpStack, becomes readings by the profile\'s channels', async () => {
    // ch 1 analog input 123.45 (m³), ch 2 temperature 12.3 °C, ch 3 digital input (not mapped).
    const event = uplinkEvent({ applicationId: httpApp, devEui: SENSOR, payload: '010230390267007B030001', fPort: 1, time: '2026-12-07T06:00:00Z' });
    const r = await fetch(`${hes.url}/api/v1${p}/lorawan/chirpstack?event=up`, {
      method: 'POST', headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' }, body: JSON.stringify(event),
    });
    assert.deepEqual([r.status, await r.json()], [202, { event: 'up', outcome: 'accepted' }]);
    const current = await poll(() => readings('LW-W', 'current'), (rows) => rows.length >= 1, 60_000, 250, 'the water reading');
    assert.deepEqual(current, [['8.0.1.0.0.255', '2026-12-07T06:00:00.000Z', 123.45, 'm³']]);
    assert.deepEqual(await readings('LW-W', 'telemetry'), [['0.0.96.9.0.255', '2026-12-07T06:00:00.000Z', 12.3, '°C']]);
    // The link quality the profile keeps: the best gateway's RSSI and SNR of the uplink.
    assert.deepEqual(await readings('LW-W', 'network'), [['0.128.96.12.5.255', '2026-12-07T06:00:00.000Z', -57, 'dBm'], ['0.128.96.12.6.255', '2026-12-07T06:00:00.000Z', 9.5, 'dB']]);
  });

  it('the simulated ChirpStack application: every meter\'s round stored once, redeliveries dropped, refused payloads dead-lettered', async () => {
    const sim = new LorawanApplicationSim(simOptions);
    const before = { ...hes.lorawan.intake.totals };
    const t = Date.UTC(2026, 11, 7, 12);
    const events = sim.events(t); // what the round sends, to know which payloads are refused
    const sim2 = new LorawanApplicationSim(simOptions); // the same seed: the same round, sent
    try {
      await sim2.round(t);
    } finally {
      await sim2.close();
    }
    const deliveries = events.reduce((a, e) => a + e.deliveries, 0);
    const taken = await poll(async () => ({ ...hes.lorawan.intake.totals }), (n) => n.accepted + n.duplicate - before.accepted - before.duplicate >= deliveries, 30_000, 100, 'the round taken');
    assert.deepEqual([taken.accepted - before.accepted, taken.duplicate - before.duplicate], [6, sim2.sent.duplicates]);
    const good = events.map((e, i) => [i, Buffer.from(e.event.data as string, 'base64')[1] !== 0xff] as const).filter(([, ok]) => ok).map(([i]) => i);
    assert.equal(good.length, 6 - sim2.sent.corrupt);
    assert.ok(sim2.sent.duplicates >= 1 && sim2.sent.corrupt >= 1, JSON.stringify(sim2.sent)); // the seed gives both faults
    await poll(() => hes.metrics.text(), (m) => new RegExp(`hes_pipeline_decode_errors_total\\{[^}]*code="TLV_TAG"[^}]*\\} ${sim2.sent.corrupt}\\n`).test(m), 30_000, 250, 'the refused payloads dead-lettered');
    for (const i of good) {
      const rows = await poll(async () => (await api.get<{ items: Reading[] }>(`${p}/devices/${simIds[i]}/measurements?archive=current&from=2026-12-07T00:00:00Z&to=2026-12-08T00:00:00Z`)).items, (r) => r.length >= 5, 60_000, 250, `sim meter ${i}`);
      assert.deepEqual(rows.find((r) => r.code === '1.0.1.8.0.255')?.value, { value: sim.energyWh(i, t), unit: 'Wh' });
    }
  });

  it('a TS013 codec uploaded with the profile decodes uplinks in the pool\'s sandbox; a codec that never returns is a dead letter and the pool goes on', async () => {
    const post = async (payload: string, fPort: number, time: string, fCnt: number) => {
      const r = await fetch(`${hes.url}/api/v1${p}/lorawan/chirpstack?event=up`, {
        method: 'POST', headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(uplinkEvent({ applicationId: httpApp, devEui: TS013_METER, payload, fPort, time, fCnt })),
      });
      assert.equal(r.status, 202, await r.text());
    };
    await post('00', 11, '2026-12-07T07:00:00Z', 1); // the looping codec: 50 ms, then a dead letter
    await post(TS013_WATER_UPLINK, 10, '2026-12-07T07:15:00Z', 2);
    const current = await poll(() => readings('LW-T', 'current'), (rows) => rows.length >= 1, 60_000, 250, 'the TS013 reading');
    assert.deepEqual(current, [['8.0.1.0.0.255', '2026-12-07T07:15:00.000Z', 1234.567, 'm³']]);
    assert.deepEqual(await readings('LW-T', 'telemetry'), [['8.0.41.0.0.255', '2026-12-07T07:15:00.000Z', 12.34, '°C']]);
    await poll(() => hes.metrics.text(), (m) => /hes_pipeline_decode_errors_total\{[^}]*code="TS013_TIMEOUT"[^}]*\} 1\n/.test(m), 30_000, 250, 'the looping codec dead-lettered');
  });

  it('a restart of the HES in the middle of a stream: uplinks delivered again afterwards (new process, new deduplication ids) are not stored twice, none is lost', async () => {
    const chirpstack = await mqtt.connectAsync('mqtt://127.0.0.1:1883');
    const topic = `${prefix}application/${mqttApp}/device/${METER.toLowerCase()}/event/up`;
    const day = Date.UTC(2026, 11, 9);
    const uplink = (n: number) => JSON.stringify(uplinkEvent({
      applicationId: mqttApp, devEui: METER, fCnt: 100 + n,
      payload: Buffer.from(encodeObisTlv({ time: day / 1000 + n * 900, registers: [{ obis: '1.0.1.8.0.255', raw: 5000 + n, unit: 30 }] })).toString('hex'),
    }));
    const onDay = async () => (await readings('LW-E', 'current')).filter((r) => String(r[1]).startsWith('2026-12-09'));
    try {
      for (const n of [1, 2, 3, 4, 5]) await chirpstack.publishAsync(topic, uplink(n), { qos: 1 });
      await poll(onDay, (rows) => rows.length >= 5, 60_000, 250, 'the uplinks before the restart');
    } finally {
      await chirpstack.endAsync();
    }
    await hes.close();
    hes = await startHes(config(), { scheduler: false });
    api = new HesClient(`${hes.url}/api/v1`);
    await api.signIn('admin', 'Lorawan-pass-1');
    const again = await mqtt.connectAsync('mqtt://127.0.0.1:1883');
    try {
      // ChirpStack (or the broker) delivers 3–5 again — each with a deduplication id this process never saw — then 6–8.
      for (const n of [3, 4, 5, 6, 7, 8]) await again.publishAsync(topic, uplink(n), { qos: 1 });
    } finally {
      await again.endAsync();
    }
    const totals = await poll(async () => ({ ...hes.lorawan.intake.totals }), (t) => t.accepted + t.duplicate >= 6, 30_000, 100, 'the deliveries after the restart taken');
    assert.deepEqual([totals.accepted, totals.duplicate], [3, 3]);
    const rows = await poll(onDay, (r) => r.length >= 8, 60_000, 250, 'every uplink stored');
    assert.deepEqual(rows.map((r) => r[2]), [5001, 5002, 5003, 5004, 5005, 5006, 5007, 5008], 'each uplink once');
  });
});
