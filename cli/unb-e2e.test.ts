/**
 * UNB end to end in a running HES (embedded bus and ClickHouse, the scheduler on): the simulated network
 * (sim/unb: meters with their own XTEA keys, three base stations with overlapping coverage) posts to the station
 * service → bus → decoder pool (decoders/smp-m) → ClickHouse → API. Every packet is heard by three stations and
 * stored once; a station with a wrong token gets 401 and a security event; a relay disconnect approved by a
 * second user becomes a downlink task that a station delivers to the simulated meter, whose relay opens and
 * whose command result sets the device's relay state; a forged packet and a replayed one are dead letters.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { UnbNetworkSim } from '../sim/unb/stations.js';
import { encodeMessage } from '../decoders/smp-m/messages.js';
import { seal, SmpmKey } from '../decoders/smp-m/packet.js';
import { HesClient, poll } from './hes-process.js';
import { startHes, type RunningHes } from './start.js';

interface Reading { archive: string; code: string; deviceTime: string; value: { value: number; unit: string } }

const METERS = 4;
const T = Date.UTC(2026, 11, 7, 12);

describe('UNB base stations and SMP-M meters in a running HES', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-unb-'));
  let hes: RunningHes;
  let api: HesClient;
  let p = '';
  let sim: UnbNetworkSim;
  const stations: { identifier: string; token: string }[] = [];
  const deviceIds: string[] = [];

  before(async () => {
    hes = await startHes(loadConfig({ env: {}, overrides: { dataDir: dir, httpPort: 0, httpHost: '127.0.0.1', logLevel: 'silent', decoderThreads: 1 } }));
    api = new HesClient(`${hes.url}/api/v1`);
    await api.signIn('admin', 'hesadmin', 'Unb-pass-1');
    p = `/projects/${(await api.post<{ id: string }>('/projects', { name: 'UNB', timeZone: 'Europe/Moscow' })).id}`;
    await api.call('PUT', `${p}/control-settings`, { relayDisconnectApproval: true });
    for (const identifier of ['9121', '9122', '9123']) {
      const s = await api.post<{ id: string }>('/unb/base-stations', { identifier, tzOffsetMinutes: 180 });
      stations.push({ identifier, token: (await api.post<{ token: string }>(`/unb/base-stations/${s.id}/token`)).token });
    }
    sim = new UnbNetworkSim({ meters: METERS, stations, hes: hes.url, seed: 'e2e', endOfDayEvery: 1 });
    const channel = await api.post<{ id: string }>(`${p}/channels`, { name: 'unb', kind: 'UNB', settings: {} });
    const protocol = await api.post<{ id: string }>(`${p}/protocols`, { name: 'smp-m', kind: 'SMP_M', settings: {} });
    for (let i = 0; i < METERS; i++) {
      const d = await api.post<{ id: string }>(`${p}/devices`, { serialNumber: String(sim.serial(i)), type: i % 2 ? 'CE307' : 'CE207' });
      await api.post(`${p}/comm-lines`, { deviceId: d.id, channelId: channel.id, protocolId: protocol.id, profileId: i % 2 ? 'DL_CE_307_SMP_M' : 'DL_CE_207_SMP_M' });
      await api.post(`${p}/security-keys`, { deviceId: d.id, kind: 'XTEA_UPLINK', key: sim.keys(i).uplink });
      await api.post(`${p}/security-keys`, { deviceId: d.id, kind: 'XTEA_DOWNLINK', key: sim.keys(i).downlink });
      deviceIds.push(d.id);
    }
  });

  after(async () => {
    await hes?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const readings = async (i: number, archive: string) =>
    (await api.get<{ items: Reading[] }>(`${p}/devices/${deviceIds[i]}/measurements?archive=${archive}&from=2026-12-01T00:00:00Z&to=2026-12-31T00:00:00Z&limit=1000`)).items
      .map((r) => [r.code, r.deviceTime, r.value.value]).sort();
  const metric = async (re: RegExp) => poll(() => hes.metrics.text(), (t) => re.test(t), 60_000, 250, String(re));

  it('a round of the simulated network: every packet heard by three stations, stored once, in ClickHouse and through the API', async () => {
    await sim.round(T);
    assert.equal(sim.stats.postFailures, 0, sim.lastError ?? '');
    assert.deepEqual([sim.stats.transmitted, sim.stats.receptions], [METERS * 2, METERS * 2 * 3]);
    assert.deepEqual({ ...hes.unb!.totals }, { accepted: METERS * 2, duplicate: METERS * 2 * 2, unknownDevice: 0, foreign: 0 });
    const day = Math.floor((T + 3 * 3_600_000) / 86_400_000) * 86_400_000 - 3 * 3_600_000; // the meters' midnight (UTC+3)
    for (let i = 0; i < METERS; i++) {
      const a = sim.energyWh(i, T);
      const current = await poll(() => readings(i, 'current'), (r) => r.length >= 3, 60_000, 250, `meter ${i} current`);
      assert.deepEqual(current, [
        ['1.0.1.8.0.255', new Date(T).toISOString(), a], ['1.0.1.8.1.255', new Date(T).toISOString(), Math.floor(a * 0.6)], ['1.0.1.8.2.255', new Date(T).toISOString(), a - Math.floor(a * 0.6)],
      ].sort());
      const e = sim.energyWh(i, day);
      assert.deepEqual((await readings(i, 'end-of-day')).map((r) => r[2]).sort(), [e, Math.floor(e * 0.6), e - Math.floor(e * 0.6)].sort());
    }
    const list = await api.get<{ items: { identifier: string; status: string; firmware: string }[] }>('/unb/base-stations');
    assert.deepEqual(list.items.map((s) => [s.identifier, s.status, s.firmware]), [['9121', 'online', 'sim-1.0'], ['9122', 'online', 'sim-1.0'], ['9123', 'online', 'sim-1.0']]);
    await metric(new RegExp(`hes_unb_packets_total\\{outcome="duplicate"\\} ${METERS * 4}\\n`));
    // Collection statistics count the UNB meters like every other: each has its end of day.
    const group = (await api.get<{ items: { id: string; isDefault: boolean }[] }>(`${p}/groups`)).items[0]!;
    const stats = await api.get<{ archives: { group: { present: number; expected: number } }[]; total: number }>(`${p}/groups/${group.id}/statistics?archive=end-of-day&from=2026-12-07&to=2026-12-07`);
    assert.deepEqual([stats.total, stats.archives[0]!.group.present, stats.archives[0]!.group.expected], [METERS, METERS, METERS]);
  });

  it('a station with a wrong token gets 401 and a security event', async () => {
    const r = await fetch(`${hes.url}/api/UnbBS/v1/messages`, {
      method: 'POST', headers: { authorization: 'Bearer unbbs-not-the-token', 'content-type': 'application/json' }, body: JSON.stringify({ version: 1, stationId: '9121', packets: [] }),
    });
    assert.equal(r.status, 401);
    const events = await api.get<{ items: { code: string; level: string; params: { identifier: string } }[] }>('/events/security?code=SSET_UNB_STATION_AUTH_FAILED');
    assert.deepEqual(events.items.map((e) => [e.level, e.params.identifier]), [['warning', '9121']]);
  });

  it('a relay disconnect approved by a second user becomes a downlink task; a station delivers it; the meter\'s relay opens and its result sets the relay state', async () => {
    const asked = await api.post<{ id: string; approval: string }>(`${p}/commands/control`, { deviceIds: [deviceIds[0]], function: 'relay-disconnect', params: {} });
    assert.equal(asked.approval, 'awaiting');
    assert.equal((await api.get<{ total: number }>(`${p}/devices/${deviceIds[0]}/downlink-tasks`)).total, 0, 'nothing queued before approval');
    const roles = await api.get<{ items: { id: string; name: string }[] }>('/roles?limit=100');
    const user = await api.post<{ id: string }>('/users', { username: 'operator2', password: 'Operator-pass2', roleId: roles.items.find((r) => r.name === 'Operator')!.id, mustChangePassword: false });
    await api.call('PUT', `${p}/members/${user.id}`);
    const operator = new HesClient(api.base);
    await operator.signIn('operator2', 'Operator-pass2');
    const approved = await operator.post<{ approval: string; launch: { id: string } }>(`${p}/tasks/${asked.id}/approve`);
    assert.equal(approved.approval, 'approved');
    const launch = await poll(() => api.get<{ state: string; result: string }>(`${p}/launches/${approved.launch.id}`), (l) => l.state === 'finished', 60_000, 250, 'the launch');
    assert.equal(launch.result, 'success');
    const queued = (await api.get<{ items: { id: number; kind: string; state: string }[] }>(`${p}/devices/${deviceIds[0]}/downlink-tasks`)).items;
    assert.deepEqual(queued.map((t) => [t.kind, t.state]), [['relay-disconnect', 'queued']]);
    assert.equal(sim.relay(0), 'connected');
    // Rounds until a station fetched and delivered it (the first offer may be to a station that polled already).
    for (let k = 1; k <= 5 && sim.relay(0) === 'connected'; k++) await sim.round(T + k * 60_000);
    assert.equal(sim.relay(0), 'disconnected', JSON.stringify(sim.stats));
    await sim.round(T + 10 * 60_000); // the station reports the outcome; the meter sends its command result
    const done = await poll(async () => (await api.get<{ items: { state: string; sentBy: string; note: string }[] }>(`${p}/devices/${deviceIds[0]}/downlink-tasks`)).items, (t) => t[0]?.state === 'success', 30_000, 250, 'the task reported');
    assert.match(done[0]!.note, /relay done/);
    const relay = await poll(async () => (await api.get<{ items: { code: string; value: unknown }[] }>(`${p}/devices/${deviceIds[0]}/states?archive=state-relay`)).items,
      (s) => s.some((x) => x.code === 'relay-state' && x.value === 'disconnected'), 60_000, 250, 'the relay state from the meter');
    assert.ok(relay.length >= 1);
    const history = (await api.get<{ items: { function: string; state: string; note: string }[] }>(`${p}/devices/${deviceIds[0]}/commands`)).items;
    assert.deepEqual(history.map((c) => [c.function, c.state]), [['relay-disconnect', 'done']]);
    assert.match(history[0]!.note, /queued as downlink task \d+/);
  });

  it('a lossy network: what no station heard is missing, what one station heard is stored once; an offline station posts its backlog later', async () => {
    // Three more meters on a network that loses half the receptions and has stations offline a third of the rounds.
    const faulty = new UnbNetworkSim({ meters: 3, stations, hes: hes.url, seed: 'e2e-faults', firstSerial: 196_000_000, lossShare: 0.5, offlineShare: 0.34, endOfDayEvery: 1_000_000 });
    const channel = (await api.get<{ items: { id: string; kind: string }[] }>(`${p}/channels`)).items.find((c) => c.kind === 'UNB')!;
    const protocol = (await api.get<{ items: { id: string; kind: string }[] }>(`${p}/protocols`)).items.find((x) => x.kind === 'SMP_M')!;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const d = await api.post<{ id: string }>(`${p}/devices`, { serialNumber: String(faulty.serial(i)), type: 'CE207' });
      await api.post(`${p}/comm-lines`, { deviceId: d.id, channelId: channel.id, protocolId: protocol.id, profileId: 'DL_CE_207_SMP_M' });
      await api.post(`${p}/security-keys`, { deviceId: d.id, kind: 'XTEA_UPLINK', key: faulty.keys(i).uplink });
      ids.push(d.id);
    }
    await new Promise((r) => setTimeout(r, 10_500)); // the service's directory reloads a serial it missed at most every 10 s
    const before = { ...hes.unb!.totals };
    const rounds = 6;
    for (let r = 0; r < rounds; r++) await faulty.round(T + (r + 30) * 60_000);
    assert.ok(faulty.stats.lost > 0 && faulty.stats.offlineRounds > 0, JSON.stringify(faulty.stats));
    // Stations still offline in the last round keep their backlog: post until every outbox is empty (no new transmissions counted).
    const heard = faulty.stats.transmitted - faulty.stats.unheard;
    const taken = await poll(async () => {
      await faulty.drain();
      return { ...hes.unb!.totals };
    }, (t) => t.accepted - before.accepted >= heard, 60_000, 200, 'the backlog posted');
    assert.equal(taken.accepted - before.accepted, heard, JSON.stringify(faulty.stats));
    let stored = 0;
    await poll(async () => {
      stored = 0;
      for (const id of ids) stored += (await api.get<{ items: Reading[] }>(`${p}/devices/${id}/measurements?archive=current&from=2026-12-01T00:00:00Z&to=2026-12-31T00:00:00Z&limit=1000`)).items.length / 3;
      return stored;
    }, (n) => n >= heard, 60_000, 250, 'every heard packet stored');
    assert.equal(stored, heard, 'each packet heard by at least one station stored once, none of the unheard');
  });

  it('a forged packet and a replayed counter are dead letters with their reason; the meter\'s next genuine packet is stored', async () => {
    const key = SmpmKey.fromHex(sim.keys(1).uplink);
    const { type, payload } = encodeMessage({ type: 'current', time: T / 1000 + 7200, total: 1, tariffs: [] });
    const forged = seal({ direction: 'uplink', serial: sim.serial(1), counter: 999_999, type }, payload, SmpmKey.fromHex(sim.keys(2).uplink));
    const replayed = seal({ direction: 'uplink', serial: sim.serial(1), counter: sim.uplinkCounter(1) - 16, type }, payload, key);
    const post = await fetch(`${hes.url}/api/UnbBS/v1/messages`, {
      method: 'POST', headers: { authorization: `Bearer ${stations[0]!.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: 1, stationId: '9121', packets: [forged, replayed].map((b, k) => ({ id: `x-${k}`, receivedAt: '2026-12-07T17:00:00+03:00', data: Buffer.from(b).toString('hex'), rssi: -110 })) }),
    });
    assert.equal(post.status, 200);
    await metric(/hes_pipeline_decode_errors_total\{[^}]*protocol="smp-m"[^}]*code="SMPM_AUTH"[^}]*\} 1\n/);
    await metric(/hes_pipeline_decode_errors_total\{[^}]*protocol="smp-m"[^}]*code="SMPM_REPLAY"[^}]*\} 1\n/);
    // the forged counter 999999 did not move the meter's counter: its next round is stored
    await sim.round(T + 20 * 60_000);
    await poll(() => readings(1, 'current'), (r) => r.some((x) => x[1] === new Date(T + 20 * 60_000).toISOString()), 60_000, 250, 'the next genuine reading');
  });
});
