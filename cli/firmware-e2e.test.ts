/**
 * Firmware update end to end (issue 23): `hes start` as a real child process driven through the REST API,
 * the meters simulated in this process (so that the test can look into a meter: which blocks it received,
 * and how often) — two CE308 meters over TCP and one GPRS meter dialling in to CENC, HLS-GMAC.
 *   - a 200 kB container is uploaded and updates added for the three meters and started;
 *   - mid-transfer of the slow TCP meter the HES is killed with SIGKILL and started again on the same data
 *     dir: the update is taken over once its lease is stale and goes on from the meter's first missing block —
 *     the meter received no block twice beyond the one in flight;
 *   - the meter that rejects the image ends in error with its reason; the CENC meter runs the new version.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../decoders/dlms/axdr/writer.js';
import { startSimMeters, type SimMeters } from '../ingest/testing/sim-meters.js';
import { DEFAULT_FLEET, Fleet } from '../sim/fleet.js';
import { IMAGE_BLOCK_SIZE } from '../sim/objects/control.js';
import { startInitiated, type InitiatedFleet } from '../sim/transport/initiated.js';
import { HesClient, freePort, poll, spawnHes, type HesProcess } from './hes-process.js';

const PASSWORD = 'Fw-admin-pass1';
const HES_TITLE = '4845533030303033'; // "HES00003"
const BYTES = 200 * 1024;
const BLOCKS = Math.ceil(BYTES / IMAGE_BLOCK_SIZE);
const SLOW = 0, REJECTING = 1;

interface Update { id: string; deviceId: string; serialNumber: string; state: string; note: string; blocksDone: number; versionAfter: string | null }

describe('firmware update in the running HES: TCP and CENC meters, SIGKILL mid-transfer and resume', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-fw-'));
  const dataDir = join(dir, 'hes');
  let hes: HesProcess;
  let api: HesClient;
  let tcp: SimMeters;
  let gprs: Fleet;
  let dialling: InitiatedFleet | undefined;
  let cencPort = 0;
  let p = '';
  const deviceOf = new Map<string, string>();

  const startHes = async () => {
    hes = spawnHes(['start', '--data-dir', dataDir, '--http-port', '0', '--http-host', '127.0.0.1'], {
      HES_CENC_LISTENERS: `tcp:${cencPort}:wrapper`, HES_CENC_HOST: '127.0.0.1',
    });
    const m = await hes.waitFor(/HES API listening on (http:\/\/127\.0\.0\.1:\d+)/, 180_000);
    api = new HesClient(`${m[1]}/api/v1`);
  };
  const protocol = async (fleet: Fleet, i: number) => {
    const k = fleet.keys(i);
    return (await api.post<{ id: string }>(`${p}/protocols`, {
      name: `DLMS ${k.serial}`, kind: 'DLMS',
      settings: {
        authentication: 'high', clientAddress: 48, serverAddressLength: 0, maxPduRx: 1024, systemTitle: HES_TITLE, waitTime: 10, resendCount: 1,
        encryptionKey: toHex(k.blockCipherKey), authenticationKey: toHex(k.authenticationKey),
      },
    })).id;
  };
  const updates = async () => (await api.get<{ items: Update[] }>(`${p}/firmware/updates?limit=100`)).items;

  before(async () => {
    tcp = await startSimMeters({
      framing: 'wrapper',
      fleet: { meters: 2, faults: [{ serials: ['30800001'], latencyMs: 15 }, { serials: ['30800002'], imageRejected: true }] },
    });
    gprs = new Fleet({ ...DEFAULT_FLEET, meters: 1, firstSerial: '30900001', security: 'high-gmac' });
    cencPort = await freePort();
    await startHes();
    await api.signIn('admin', 'hesadmin', PASSWORD);
  });

  after(async () => {
    dialling?.close();
    await hes?.stop();
    await tcp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers two TCP meters and a CENC meter dialling in, each with the CE308 profile and its keys', async () => {
    p = `/projects/${(await api.post<{ id: string }>('/projects', { name: 'Firmware', timeZone: 'UTC' })).id}`;
    const channel = (await api.post<{ id: string }>(`${p}/channels`, { name: 'Simulator', kind: 'TCP', settings: { host: '127.0.0.1', port: tcp.port } })).id;
    for (const i of [SLOW, REJECTING]) {
      const serial = tcp.fleet.serial(i);
      const device = await api.post<{ id: string }>(`${p}/devices`, { serialNumber: serial, type: 'CE308' });
      await api.post(`${p}/comm-lines`, {
        deviceId: device.id, channelId: channel, protocolId: await protocol(tcp.fleet, i), profileId: 'DL_CE_308',
        protocolMap: 'PROTO_MAP_SPODES_CE308_V12', priority: 10, address: String(256 + i), attempts: 1,
      });
      deviceOf.set(serial, device.id);
    }
    await api.call('PUT', `/port-bindings/${cencPort}`, { projectId: p.split('/')[2] });
    dialling = startInitiated({ fleet: gprs, framing: 'wrapper', host: '127.0.0.1', port: cencPort, announce: 'id', backoffMs: [200, 1000] });
    const serial = gprs.serial(0);
    const device = await poll(() => api.get<{ items: { id: string; serialNumber: string }[] }>(`${p}/devices?limit=10`), (r) => r.items.some((d) => d.serialNumber === serial), 60_000, 250, 'the CENC meter registered');
    const id = device.items.find((d) => d.serialNumber === serial)!.id;
    await api.call('PATCH', `${p}/devices/${id}`, { type: 'CE308' });
    const [line] = (await api.get<{ items: { id: string }[] }>(`${p}/comm-lines?deviceId=${id}`)).items;
    await api.call('PATCH', `${p}/comm-lines/${line!.id}`, { protocolId: await protocol(gprs, 0), profileId: 'DL_CE_308', protocolMap: 'PROTO_MAP_SPODES_CE308_V12' });
    deviceOf.set(serial, id);
  });

  it('uploads a 200 kB container and starts the updates; after SIGKILL mid-transfer and a restart the transfer resumes, no block sent twice', async () => {
    const image = Buffer.from(Uint8Array.from({ length: BYTES }, (_, i) => (i * 17 + 3) & 0xff));
    const q = new URLSearchParams({ name: 'ce308-20.0.0.bin', vendor: 'Energomera', deviceTypes: 'CE308', version: '20.0.0', imageIdentifier: 'CE308-20.0.0', size: String(BYTES) });
    const r = await fetch(`${api.base}${p}/firmware/images?${q}`, { method: 'POST', body: image, headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${api.token}` } });
    const text = await r.text();
    assert.equal(r.status, 201, text);
    const container = JSON.parse(text) as { id: string };
    const added = await api.post<{ items: Update[] }>(`${p}/firmware/updates`, { imageId: container.id, deviceIds: [...deviceOf.values()], settings: { attempts: 5 } });
    await api.post(`${p}/firmware/updates/start`, { ids: added.items.map((u) => u.id) });

    const slow = () => tcp.fleet.meter(SLOW).state.image;
    await poll(async () => slow()?.blockRequests ?? 0, (n) => n >= 300, 120_000, 20, 'the slow meter took 300 blocks');
    assert.equal(await hes.stop('SIGKILL'), 'SIGKILL');
    const atKill = slow()!.blockRequests;
    assert.ok(atKill < BLOCKS, `killed mid-transfer (${atKill} of ${BLOCKS})`);

    await startHes();
    await api.signIn('admin', PASSWORD);
    const done = await poll(updates, (us) => us.every((u) => u.state === 'success' || u.state === 'error'), 180_000, 500, 'every update finished');
    const bySerial = new Map(done.map((u) => [u.serialNumber, u]));
    const s = bySerial.get(tcp.fleet.serial(SLOW))!;
    assert.deepEqual([s.state, s.versionAfter], ['success', '20.0.0'], s.note);
    assert.equal(tcp.fleet.meter(SLOW).state.firmware, '20.0.0');
    const m = slow()!;
    assert.ok(m.duplicateBlocks <= 1, `blocks the meter received twice: ${m.duplicateBlocks}`);
    assert.equal(m.blockRequests - m.duplicateBlocks, BLOCKS);
    const history = (await api.get<{ items: { note: string }[] }>(`${p}/firmware/history?updateId=${s.id}&limit=1000`)).items;
    assert.ok(history.some((h) => /resumed: the meter holds \d+ of \d+ blocks/.test(h.note)), JSON.stringify(history.map((h) => h.note)));

    const rejecting = bySerial.get(tcp.fleet.serial(REJECTING))!;
    assert.equal(rejecting.state, 'error');
    assert.match(rejecting.note, /rejected the image at verification: other-reason/);

    const cenc = bySerial.get(gprs.serial(0))!;
    assert.deepEqual([cenc.state, cenc.versionAfter], ['success', '20.0.0'], cenc.note);
    assert.equal(gprs.meter(0).state.firmware, '20.0.0');
    assert.ok(gprs.meter(0).state.image!.duplicateBlocks <= 1);
  });
});
