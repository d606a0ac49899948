import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dateTimeToUtcMs } from '../decoders/dlms/axdr/datetime.js';
import type { CosemDateTime, DlmsData } from '../decoders/dlms/axdr/types.js';
import { ActionResult, decodeApdu, type DataNotification } from '../decoders/dlms/apdu/index.js';
import { DlmsClientConnection, type ClientEvent } from '../decoders/dlms/connection/index.js';
import { codecs } from '../decoders/dlms/cosem/index.js';
import { parseObis } from '../decoders/dlms/obis.js';
import { decodeWrapperHeader, WRAPPER_HEADER_SIZE } from '../decoders/dlms/wrapper/wpdu.js';
import { DEFAULT_FLEET, Fleet } from './fleet.js';
import { outageOf, SLOTS_PER_DAY, utcOfSlot } from './model/energy.js';
import { RelayEvent } from './objects/control.js';
import { duePushes, PushScheduler, pushToDestination, type DuePush } from './push.js';
import { startInitiated } from './transport/initiated.js';
import { startTcp } from './transport/tcp.js';

// local midnight (UTC+3, the ce308 profile) of 2025-03-10
const MIDNIGHT = Date.UTC(2025, 2, 10) - 3 * 3_600_000;
const MIN = 60_000;

/** A HES push listener: every connection's bytes, split into WPDUs and decoded as APDUs. */
async function listener(): Promise<{ server: Server; port: number; received: { wPorts: [number, number]; n: DataNotification }[] }> {
  const received: { wPorts: [number, number]; n: DataNotification }[] = [];
  const server = createServer((s) => {
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= WRAPPER_HEADER_SIZE) {
        const h = decodeWrapperHeader(new Uint8Array(buf));
        if (buf.length < WRAPPER_HEADER_SIZE + h.length) break;
        const a = decodeApdu(new Uint8Array(buf.subarray(WRAPPER_HEADER_SIZE, WRAPPER_HEADER_SIZE + h.length)));
        assert.equal(a.type, 'data-notification');
        received.push({ wPorts: [h.sourceWPort, h.destinationWPort], n: a as DataNotification });
        buf = buf.subarray(WRAPPER_HEADER_SIZE + h.length);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port, received };
}

const fields = (d: DlmsData): DlmsData[] => (d as { value: DlmsData[] }).value;
const timeOf = (d: DlmsData): number => dateTimeToUtcMs(codecs.dateTime.decode(d, 't') as CosemDateTime, { defaultDeviation: -180 })!;

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), what);
}

test('daily and interval pushes after midnight reach the push destination over TCP and carry the newest rows', async () => {
  const hes = await listener();
  const fleet = new Fleet({ ...DEFAULT_FLEET, meters: 20, pushDestination: `127.0.0.1:${hes.port}` }, () => MIDNIGHT);
  try {
    const due = duePushes(fleet, ['daily', 'interval'], MIDNIGHT - MIN, MIDNIGHT + 15 * MIN);
    const daily = due.filter((p) => p.setup === '0.1.25.9.0.255');
    const interval = due.filter((p) => p.setup === '0.2.25.9.0.255');
    assert.equal(daily.length, 20); // one per meter, spread over the 10-minute randomisation interval
    assert.equal(interval.length, 20); // the 00:00 boundary, within 60 s
    assert.ok(daily.every((p) => p.timeMs >= MIDNIGHT && p.timeMs < MIDNIGHT + 10 * MIN));
    assert.ok(new Set(daily.map((p) => p.timeMs)).size > 15, 'meters do not all push at once');
    assert.ok(interval.every((p) => p.timeMs >= MIDNIGHT && p.timeMs < MIDNIGHT + MIN));
    for (const p of due) assert.equal(await pushToDestination(fleet, p), true);
    await until(() => hes.received.length === due.length, `${hes.received.length} of ${due.length} pushes arrived`);
    for (const { wPorts, n } of hes.received) {
      assert.deepEqual(wPorts, [1, 102]);
      const [setup, ldn, clock, rows] = fields(n.body);
      assert.equal(setup!.type, 'octet-string'); // the Push Setup's logical name, as IDIS lists it first
      assert.equal(ldn!.type, 'octet-string');
      assert.ok(timeOf(clock!) >= MIDNIGHT);
      const newest = fields(rows!);
      assert.equal(newest.length, 1);
      const row = fields(newest[0]!);
      // the daily row is stamped at midnight; the 15-minute row closes at 00:00 with the last interval of the day
      assert.equal(timeOf(row[0]!), MIDNIGHT);
    }
    const serials = new Set(hes.received.map(({ n }) => new TextDecoder().decode((fields(n.body)[1] as { value: Uint8Array }).value)));
    assert.equal(serials.size, 20, 'each meter identifies itself by its logical device name');
  } finally {
    hes.server.close();
  }
});

test('alarms: power off / on of an outage at their times, and a relay switched by the HES at once', async () => {
  const hes = await listener();
  const now = MIDNIGHT + 36 * 3_600_000;
  const fleet = new Fleet({ ...DEFAULT_FLEET, meters: 2, security: 'none', pushDestination: `127.0.0.1:${hes.port}`, faults: [{ serials: ['30800001'], outagesPerDay: 1 }] }, () => now);
  const sent: Promise<boolean>[] = [];
  const scheduler = new PushScheduler({ fleet, kinds: ['alarm'], deliver: (p: DuePush) => void sent.push(pushToDestination(fleet, p)) });
  const tcp = await startTcp({ fleet, framing: 'wrapper', port: 0 });
  try {
    const day = (MIDNIGHT + 3 * 3_600_000) / 86_400_000;
    const outage = outageOf(fleet.meter(0).load, day)!;
    const delivered = scheduler.runBetween(MIDNIGHT, MIDNIGHT + 86_400_000);
    const due = delivered.filter((p) => p.setup === '0.3.25.9.0.255');
    // the alarm register is pushed at the same events (power: bit 2)
    assert.deepEqual(delivered.filter((p) => p.setup === '0.7.25.9.0.255').map((p) => p.timeMs), due.map((p) => p.timeMs));
    assert.deepEqual(
      due.map((p) => [p.index, p.timeMs]),
      [
        [0, utcOfSlot(fleet.meter(0).load, day * SLOTS_PER_DAY + outage[0])],
        [0, utcOfSlot(fleet.meter(0).load, day * SLOTS_PER_DAY + outage[1])],
      ],
    );
    await Promise.all(sent);
    await until(() => hes.received.length === delivered.length, 'outage alarms arrived');
    const setupOf = (n: DataNotification) => Buffer.from((fields(n.body)[0] as { value: Uint8Array }).value).toString('hex');
    const power = hes.received.filter(({ n }) => setupOf(n) === Buffer.from(parseObis('0.3.25.9.0.255')).toString('hex')).map(({ n }) => fields(fields(fields(n.body)[3]!)[0]!));
    assert.deepEqual(
      power.slice(0, 2).map((r) => [timeOf(r[0]!), (r[1] as { value: number }).value]),
      due.map((p, i) => [p.timeMs, i + 1]), // power off (1) then on (2)
    );
    // a HES disconnects meter 1's relay: the relay journal (external impacts, alarm 0.4.25.9.0.255) pushes at once
    hes.received.length = 0;
    const socket = connect(tcp.ports[0]!, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const client = new DlmsClientConnection({ framing: 'wrapper', clientAddress: 16, serverWPort: 257 }, { random: (n) => new Uint8Array(randomBytes(n)) });
    const events: ClientEvent[] = [];
    const pump = (): void => {
      for (const b of client.takeOutgoing()) socket.write(b);
      for (let e = client.nextEvent(); e; e = client.nextEvent()) events.push(e);
    };
    socket.on('data', (d) => (client.receiveData(new Uint8Array(d)), pump()));
    client.connect();
    client.associate();
    pump();
    await until(() => events.some((e) => e.type === 'associated'), 'associated');
    client.action({ classId: 70, instanceId: parseObis('0.0.96.3.10.255'), methodId: 1 }, { type: 'integer', value: 0 });
    pump();
    await until(() => events.some((e) => e.type === 'action-response'), 'action answered');
    assert.equal((events.find((e) => e.type === 'action-response') as { result: number }).result, ActionResult.success);
    await until(() => hes.received.length === 1, 'relay alarm arrived');
    const [, ldn, , rows] = fields(hes.received[0]!.n.body);
    assert.equal(new TextDecoder().decode((ldn as { value: Uint8Array }).value).slice(-8), '30800002');
    assert.equal((fields(fields(rows!)[0]!)[1] as { value: number }).value, RelayEvent.disconnected);
    socket.destroy();
  } finally {
    scheduler.stop();
    await tcp.close();
    hes.server.close();
  }
});

test('meter-initiated: scheduled pushes go on the connection the meter opened, decoded by the client role', async () => {
  let now = MIDNIGHT - MIN;
  const fleet = new Fleet({ ...DEFAULT_FLEET, meters: 3 }, () => now);
  const sockets: Socket[] = [];
  const notifications: { socket: number; e: ClientEvent }[] = [];
  const hes = createServer((s) => {
    const i = sockets.push(s) - 1;
    const client = new DlmsClientConnection({ framing: 'wrapper', clientAddress: 102, serverWPort: 1 });
    s.on('data', (d) => {
      client.receiveData(new Uint8Array(d));
      for (let e = client.nextEvent(); e; e = client.nextEvent()) notifications.push({ socket: i, e });
    });
  });
  await new Promise<void>((r) => hes.listen(0, '127.0.0.1', () => r()));
  const sims = startInitiated({ fleet, framing: 'wrapper', host: '127.0.0.1', port: (hes.address() as { port: number }).port, announce: 'push', backoffMs: [50, 200] });
  try {
    await until(() => sims.connected === 3 && notifications.length === 3, 'three meters connected and announced');
    const scheduler = new PushScheduler({ fleet, kinds: ['daily'], deliver: (p) => ((now = p.timeMs), assert.equal(sims.push(p.index, p.setup), true)) });
    assert.equal(scheduler.runBetween(MIDNIGHT - MIN, MIDNIGHT + 15 * MIN).length, 3);
    await until(() => notifications.length === 6, `${notifications.length} notifications`);
    for (const { e } of notifications.slice(3)) {
      assert.equal(e.type, 'data-notification');
      const body = fields((e as { notification: DataNotification }).notification.body);
      assert.equal(timeOf(fields(fields(body[3]!)[0]!)[0]!), MIDNIGHT);
    }
    assert.deepEqual(new Set(notifications.slice(3).map((x) => x.socket)), new Set([0, 1, 2]));
  } finally {
    sims.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => hes.close(r));
  }
});
