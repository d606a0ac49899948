/**
 * DLMS Image Transfer (class 18) through the DLMS reader's sessions against the fleet simulator over TCP,
 * HLS-GMAC: a whole transfer with activation and the version read; a session cut off half way and a new
 * one that goes on from the meter's transferred-blocks status (no block sent twice beyond the one in
 * flight); refused blocks sent again; a meter that rejects the image at verification, one whose image does
 * not start, an image of another device type.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openTestDb, type TestDb } from '../registry/testing.js';
import { SecretBox } from '../registry/crypto.js';
import { createProject } from '../registry/project-data.js';
import { startSimMeters, type SimMeters } from '../ingest/testing/sim-meters.js';
import { registerFleet } from '../cli/demo.js';
import { IMAGE_BLOCK_SIZE } from '../sim/objects/control.js';
import { RegistryInvocationCounterStore } from './counters.js';
import { DlmsDeviceReader } from './dlms-reader.js';
import { ImageTransfer, ImageTransferError, type ImagePlan, type TransferObserver } from './image-transfer.js';
import type { DeviceLink, DeviceTarget } from './reader.js';
import { commLines } from './scheduler.js';
import { DlmsSession } from '../ingest/session/session.js';
import { connectTcp } from '../ingest/transport/socket.js';
import { simSettings } from '../ingest/testing/sim-meters.js';

const IMAGE = Uint8Array.from({ length: IMAGE_BLOCK_SIZE * 40 + 17 }, (_, i) => (i * 7) & 0xff);
const BLOCKS = 41;
const enc = (s: string) => new TextEncoder().encode(s);

describe('Image Transfer against the simulator', () => {
  let t: TestDb, sim: SimMeters, ids: string[], reader: DlmsDeviceReader;

  const open = async (i: number, signal = new AbortController().signal): Promise<DeviceLink> => {
    const id = ids[i]!;
    const device = (await t.db.query<DeviceTarget>('SELECT id, num::float8 AS num, project_id AS "projectId", serial_number AS "serialNumber", type FROM devices WHERE id = $1', [id])).rows[0]!;
    return reader.open(device, (await commLines(t.db, id))[0]!, signal);
  };
  const plan = (link: DeviceLink, over: Partial<ImagePlan> = {}): ImagePlan => {
    const f = link.firmware!()!;
    return {
      imageTransferObis: f.imageTransferObis, firmwareVersionObis: f.firmwareVersionObis, maxPdu: f.maxPdu, ciphered: f.ciphered,
      identifier: enc('CE308-12.9.0'), image: IMAGE, version: '12.9.0', resume: false, forceClean: false, versionOnly: false, activate: true,
      blockAttempts: 3, verifyPollMs: 10, ...over,
    };
  };
  const transfer = (link: DeviceLink, over: Partial<ImagePlan> = {}, observer?: TransferObserver) => new ImageTransfer(link.firmware!()!.session, plan(link, over), observer);
  const meterImage = (i: number) => sim.fleet.meter(i).state.image!;

  before(async () => {
    t = await openTestDb('pglite');
    const box = new SecretBox(Buffer.alloc(32, 3));
    sim = await startSimMeters({
      framing: 'wrapper',
      fleet: {
        meters: 6, profile: 'ce308',
        faults: [{ serials: ['30800004'], imageBlockFailEvery: 7 }, { serials: ['30800005'], imageRejected: true }, { serials: ['30800006'], imageBad: true }],
      },
    });
    const projectId = String((await createProject(t.db, { name: 'Sim' }, null)).id);
    ids = await registerFleet(t.db, box, projectId, sim.fleet, '127.0.0.1', sim.port);
    reader = new DlmsDeviceReader({ db: t.db, box, counters: new RegistryInvocationCounterStore(t.db) });
  });
  after(async () => {
    await sim.close();
    await t.drop();
  });

  it('sends every block once in blocks of the meter\'s image_block_size, verifies, activates and reads the new version', async () => {
    const link = await open(0);
    assert.equal(link.firmware!()!.ciphered, true);
    const actions: string[] = [];
    const out = await transfer(link, {}, { action: (a) => void actions.push(a) }).run();
    await link.close();
    assert.equal(out.result, 'success', out.note);
    assert.equal(out.version, '12.9.0');
    assert.deepEqual(out.stats, { blocksSent: BLOCKS, blocksResent: 0, bytesSent: IMAGE.length, blocksKept: 0 });
    assert.deepEqual(actions, ['version-query', 'initiate', 'send-blocks', 'verify', 'activate', 'confirm']);
    assert.equal(sim.fleet.meter(0).state.firmware, '12.9.0');
    // Run again: the meter runs the version already, nothing is sent.
    const again = await open(0);
    const second = await transfer(again).run();
    await again.close();
    assert.equal(second.result, 'success');
    assert.equal(second.stats.blocksSent, 0);
  });

  it('goes on from the first missing block after the session is cut off, with no block sent twice beyond the one in flight', async () => {
    const cut = new AbortController();
    const first = await open(1, cut.signal);
    let acked = 0;
    const broken = transfer(first, {}, { block: () => void (++acked === 15 && cut.abort()) });
    await assert.rejects(broken.run(), (e: Error) => !(e instanceof ImageTransferError));
    await first.close().catch(() => undefined);
    assert.ok(broken.stats.blocksSent >= 15 && broken.stats.blocksSent <= 16, `sent ${broken.stats.blocksSent}`);
    // A new HES instance knows only that it initiated this image: the meter says what it holds.
    const second = await open(1);
    const started: number[] = [];
    const resumed = transfer(second, { resume: true }, { started: (g) => void started.push(g.held) });
    const out = await resumed.run();
    await second.close();
    assert.equal(out.result, 'success', out.note);
    assert.ok(started[0]! >= 15, `held ${started[0]}`);
    assert.equal(out.stats.blocksKept, started[0]);
    assert.equal(out.stats.blocksSent, BLOCKS - started[0]!);
    assert.ok(meterImage(1).duplicateBlocks <= 1, `duplicates ${meterImage(1).duplicateBlocks}`);
    assert.equal(sim.fleet.meter(1).state.firmware, '12.9.0');
  });

  it('without the record of an earlier initiate (or with force clean) starts over', async () => {
    const cut = new AbortController();
    const first = await open(2, cut.signal);
    let acked = 0;
    await assert.rejects(transfer(first, {}, { block: () => void (++acked === 5 && cut.abort()) }).run());
    await first.close().catch(() => undefined);
    const second = await open(2);
    const out = await transfer(second, { resume: true, forceClean: true }).run();
    await second.close();
    assert.equal(out.stats.blocksKept, 0);
    assert.equal(out.stats.blocksSent, BLOCKS);
  });

  it('sends a block the meter refused again, counted as resent', async () => {
    const link = await open(3);
    const out = await transfer(link).run();
    await link.close();
    assert.equal(out.result, 'success', out.note);
    assert.equal(out.stats.blocksResent, Math.floor(out.stats.blocksSent / 7));
    assert.equal(out.stats.blocksSent - out.stats.blocksResent, BLOCKS);
  });

  it('a meter that rejects the image at verification ends in error with its reason', async () => {
    const link = await open(4);
    await assert.rejects(transfer(link).run(), (e: ImageTransferError) => {
      assert.equal(e.action, 'verify');
      assert.equal(e.reason, 'rejected');
      assert.match(e.message, /rejected the image at verification: other-reason.*verification failed/);
      return true;
    });
    await link.close();
  });

  it('a meter whose image does not start keeps its old version: error at activation', async () => {
    const link = await open(5);
    await assert.rejects(transfer(link).run(), (e: ImageTransferError) => {
      assert.equal(e.action, 'activate');
      assert.match(e.message, /hardware-fault.*activation failed/);
      return true;
    });
    const version = await transfer(link).version();
    await link.close();
    assert.equal(version, sim.fleet.profile.firmware);
  });

  it('an image of another device type is refused at initiate; a version-only check reports the version', async () => {
    const link = await open(0);
    await assert.rejects(transfer(link, { identifier: enc('IDIS-2.0.0'), version: '2.0.0' }).run(), (e: ImageTransferError) => e.action === 'initiate' && e.reason === 'refused');
    await assert.rejects(transfer(link, { versionOnly: true, version: '13.0.0' }).run(), /runs 12\.9\.0, not 13\.0\.0/);
    await link.close();
  });
});

describe('Image Transfer over HDLC with a window of 7 frames', () => {
  it('negotiates the window the profile proposes and sends each block request as several frames per window', async () => {
    const sim = await startSimMeters({ framing: 'hdlc', fleet: { meters: 1, profile: 'ce308' } });
    try {
      const settings = { ...simSettings(sim.fleet, 0, 'hdlc', 'high-gmac'), hdlc: { windowTx: 7, windowRx: 7, maxInfoTx: 64, maxInfoRx: 128 } };
      const session = await DlmsSession.open(await connectTcp('127.0.0.1', sim.port, 5000), settings);
      assert.deepEqual([session.connection.hdlcParameters?.windowTx, session.connection.hdlcParameters?.maxInfoTx], [7, 64]);
      const out = await new ImageTransfer(session, {
        imageTransferObis: '0.0.44.0.0.255', firmwareVersionObis: '0.0.96.1.2.255', maxPdu: session.connection.negotiated!.serverMaxReceivePduSize, ciphered: true,
        identifier: enc('CE308-12.9.0'), image: IMAGE, version: '12.9.0', resume: false, forceClean: false, versionOnly: false, activate: true, blockAttempts: 3, verifyPollMs: 10,
      }).run();
      await session.close();
      assert.equal(out.result, 'success', out.note);
      assert.deepEqual([out.stats.blocksSent, sim.fleet.meter(0).state.image?.duplicateBlocks], [BLOCKS, 0]);
    } finally {
      await sim.close();
    }
  });
});
