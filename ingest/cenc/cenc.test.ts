/**
 * CENC over real sockets: meters dial in (TCP and UDP), identify themselves by IMEI, serial, logical
 * device name or the system title of a ciphered DataNotification, are bound or auto-registered, and HES
 * sessions and AMR agents run over the held connections.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { toHex } from '../../decoders/dlms/axdr/writer.js';
import { encodeApdu } from '../../decoders/dlms/apdu/index.js';
import { DlmsServerConnection, type ConnectionSettingsInit } from '../../decoders/dlms/connection/index.js';
import { encipherApdu } from '../../decoders/dlms/security/index.js';
import { encodeWpdu } from '../../decoders/dlms/wrapper/wpdu.js';
import { MemoryInvocationCounterStore } from '../session/counters.js';
import { DlmsSession } from '../session/session.js';
import { MemoryRawFrameSink } from '../transport/frames.js';
import { ConnectError, SocketTransport } from '../transport/socket.js';
import { CLIENT_TITLE, LOAD_PROFILE, METER_TITLE, PROFILE_DAY_MS, TEST_KEYS, TestMeter, testAssociations } from '../testing/test-meter.js';
import { agentLines } from '../testing/agent-client.js';
import { AmrAgentServer, type AmrAgent } from './agents.js';
import { MemoryDeviceDirectory } from './directory.js';
import { identifyPacket } from './identify.js';
import { CencServer, type CencListener } from './server.js';


const IMEI = '356938035643809';
const HLS: ConnectionSettingsInit = {
  framing: 'wrapper',
  clientAddress: 1,
  authentication: 'high-gmac',
  securityPolicy: 'authenticated-and-encrypted',
  keys: TEST_KEYS,
  systemTitle: CLIENT_TITLE,
};
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A meter dialing CENC: sends its first packet, then answers DLMS on the same socket. */
async function dial(meter: TestMeter, port: number, first: Uint8Array): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port });
  await once(s, 'connect');
  meter.serve(s);
  s.write(first);
  return s;
}

interface Setup {
  cenc: CencServer;
  directory: MemoryDeviceDirectory;
  sink: MemoryRawFrameSink;
  meter: TestMeter;
  /** Per test: each test meter's counters start over, and the client's replay guard remembers the meter's. */
  counters: MemoryInvocationCounterStore;
}

const TWO_TCP: CencListener[] = [
  { protocol: 'tcp', port: 0, framing: 'wrapper', projectId: 'p1' },
  { protocol: 'tcp', port: 0, framing: 'wrapper' },
];

async function setup(fn: (x: Setup) => Promise<void>, listeners: CencListener[] = TWO_TCP): Promise<void> {
  const directory = new MemoryDeviceDirectory();
  const sink = new MemoryRawFrameSink();
  const counters = new MemoryInvocationCounterStore();
  const cenc = new CencServer({ listeners, directory, sink, counters, identificationTimeoutMs: 500 });
  await cenc.start();
  const meter = await TestMeter.start();
  try {
    await fn({ cenc, directory, sink, meter, counters });
  } finally {
    await cenc.stop();
    await meter.stop();
  }
}

test('identification packets: IMEI, serial, last gasp, plain and ciphered DataNotification', () => {
  assert.deepEqual(identifyPacket(enc(`IMEI:${IMEI}\r\n`), 'wrapper'), { kind: 'identification', identity: { kind: 'imei', value: IMEI }, alternatives: [], rest: new Uint8Array(0) });
  // a modem that knows its meter: the meter's serial is the device, the IMEI identifies it too; DLMS bytes follow
  const both = identifyPacket(enc(`ID:${IMEI};SN:30800001\r\n\x00\x01`), 'wrapper');
  assert.deepEqual(both, { kind: 'identification', identity: { kind: 'serial', value: '30800001' }, alternatives: [{ kind: 'imei', value: IMEI }], rest: Uint8Array.of(0, 1) });
  assert.equal(identifyPacket(enc(`ID:12345;SN:30800001\r\n`), 'wrapper'), undefined, 'ID is an IMEI');
  assert.equal(identifyPacket(enc(`SN:1;GASP:2\r\n`), 'wrapper'), undefined, 'a last gasp is a line of its own');
  assert.equal(identifyPacket(enc(`SN:30800001;\r\n`), 'wrapper'), undefined, 'an empty field');
  assert.equal(identifyPacket(enc('IMEI:12345\r\n'), 'wrapper'), undefined, 'an IMEI has 15 digits');
  assert.deepEqual(identifyPacket(enc('sn=CE308-0042\n'), 'hdlc')?.identity, { kind: 'serial', value: 'CE308-0042' });
  assert.deepEqual(identifyPacket(enc(`GASP:${IMEI}`), 'wrapper'), { kind: 'last-gasp', identity: { kind: 'imei', value: IMEI } });
  const ldn = encodeApdu({ type: 'data-notification', longInvokeIdAndPriority: 1, body: { type: 'structure', value: [{ type: 'octet-string', value: enc('EMR0000000012345') }] } });
  assert.deepEqual(identifyPacket(encodeWpdu(1, 1, ldn), 'wrapper')?.identity, { kind: 'logical-device-name', value: 'EMR0000000012345' });
  const ciphered = encipherApdu(ldn, { keys: { globalUnicastKey: TEST_KEYS.blockCipherKey, authenticationKey: TEST_KEYS.authenticationKey }, systemTitle: METER_TITLE, invocationCounter: 1, protection: 'authenticated-encryption', key: 'global-unicast', envelope: 'general' });
  assert.deepEqual(identifyPacket(encodeWpdu(1, 1, ciphered), 'wrapper')?.identity, { kind: 'system-title', value: toHex(METER_TITLE).toUpperCase() });
  assert.equal(identifyPacket(encodeWpdu(1, 1, Uint8Array.of(0xc0, 0x01, 0x41)), 'wrapper'), undefined, 'a GET request identifies nobody');
});

test('auto-registration by IMEI on a port bound to a project; an HLS session over the held connection', () =>
  setup(async ({ cenc, directory, meter }) => {
    const [bound] = cenc.ports();
    const s = await dial(meter, bound!, enc(`IMEI:${IMEI}\r\n`));
    await until(() => cenc.connectionCount === 1);
    const [dev] = [...directory.devices.values()];
    assert.deepEqual([dev!.projectId, dev!.source, dev!.type, dev!.serial], ['p1', 'self-registered', 'universal device', IMEI]);
    const r = await cenc.runSession(dev!.deviceId, HLS, [{ op: 'clock-read' }, { op: 'profile', obis: LOAD_PROFILE, range: { fromMs: PROFILE_DAY_MS, toMs: PROFILE_DAY_MS + 86_400_000 } }]);
    assert.equal(r.ok, true, JSON.stringify(r.error ?? r.results));
    assert.equal((r.results[1]!.value as { rows: unknown[] }).rows.length, 96);
    assert.equal(cenc.connectionCount, 1, 'the connection stays held after the session');
    // a second session on the same connection (the meter's counters go on)
    assert.equal((await cenc.runSession(dev!.deviceId, HLS, [{ op: 'clock-read' }])).ok, true);
    s.destroy();
    await until(() => cenc.connectionCount === 0);
    assert.deepEqual(
      directory.events.map((e) => e.type),
      ['registered', 'connected', 'disconnected'],
    );
  }));

test('a registered device identified by its first DataNotification (logical device name); the push reaches the sink', () =>
  setup(async ({ cenc, directory, sink, meter }) => {
    directory.add({ deviceId: 'd-ldn', projectId: 'p2', serial: '12345', groupIds: [] }, [{ kind: 'logical-device-name', value: 'EMR0000000012345' }]);
    const push = encodeWpdu(1, 1, encodeApdu({ type: 'data-notification', longInvokeIdAndPriority: 7, body: { type: 'structure', value: [{ type: 'visible-string', value: 'EMR0000000012345' }, { type: 'double-long-unsigned', value: 42 }] } }));
    const s = await dial(meter, cenc.ports()[1]!, push); // the unbound port: known devices are welcome
    await until(() => cenc.connected('d-ldn') !== undefined);
    assert.equal(sink.frames.length, 1);
    assert.deepEqual([sink.frames[0]!.kind, sink.frames[0]!.deviceId, sink.frames[0]!.channel], ['unsolicited', 'd-ldn', `cenc:${cenc.ports()[1]}`]);
    s.write(push); // a later push on the held connection
    await until(() => sink.frames.length === 2);
    assert.deepEqual(sink.frames[1]!.bytes, push);
    s.destroy();
  }));

test('a registered meter that pushes and hangs up at once (a HES-initiated meter pushing to its Push Setup destination): the push reaches the sink with its device', () =>
  setup(async ({ cenc, directory, sink }) => {
    directory.add({ deviceId: 'd-push', projectId: 'p2', serial: '777', groupIds: [] }, [{ kind: 'logical-device-name', value: 'EMR0000000000777' }]);
    const push = encodeWpdu(1, 1, encodeApdu({ type: 'data-notification', longInvokeIdAndPriority: 9, body: { type: 'structure', value: [{ type: 'visible-string', value: 'EMR0000000000777' }] } }));
    const s = connect({ host: '127.0.0.1', port: cenc.ports()[1]! });
    const closed = once(s, 'close');
    // the directory answers only after the meter hung up
    const find = directory.find.bind(directory);
    directory.find = async (identity) => {
      await closed;
      return find(identity);
    };
    s.on('connect', () => s.end(push));
    await until(() => sink.frames.length === 1);
    assert.deepEqual([sink.frames[0]!.kind, sink.frames[0]!.deviceId, sink.frames[0]!.projectId, sink.frames[0]!.bytes], ['unsolicited', 'd-push', 'p2', push]);
    assert.equal(cenc.connectionCount, 0, 'nothing to hold');
  }));

test('unknown device on an unbound port is refused; silence is "unidentified"; last gasp over UDP is recorded', () =>
  setup(
    async ({ cenc, directory, meter, sink }) => {
      directory.add({ deviceId: 'd-gasp', projectId: 'p1', serial: 'SN1', groupIds: [] }, [{ kind: 'serial', value: 'SN1' }]);
      const [, unbound, udpPort] = cenc.ports();
      const s = await dial(meter, unbound!, enc('SN:NOBODY\n'));
      await once(s, 'close');
      // an unknown meter's push on the unbound port: refused too, but its data goes to the sink without a device
      const push = encodeWpdu(1, 1, encodeApdu({ type: 'data-notification', longInvokeIdAndPriority: 3, body: { type: 'structure', value: [{ type: 'visible-string', value: 'EMR0000000099999' }] } }));
      await once(await dial(meter, unbound!, push), 'close');
      assert.deepEqual(sink.frames.map((f) => [f.kind, f.deviceId, f.bytes]), [['unsolicited', undefined, push]]);
      const quiet = connect({ host: '127.0.0.1', port: unbound! });
      quiet.on('error', () => undefined);
      await once(quiet, 'close');
      const udp = createSocket('udp4');
      udp.send(enc('GASP:SN1'), udpPort!, '127.0.0.1');
      await until(() => directory.events.some((e) => e.type === 'last-gasp'));
      udp.close();
      assert.deepEqual(
        directory.events.map((e) => [e.type, e.deviceId ?? null]),
        [
          ['unbound', null],
          ['unbound', null],
          ['unidentified', null],
          ['last-gasp', 'd-gasp'],
        ],
      );
      assert.equal(cenc.connectionCount, 0);
    },
    [
      { protocol: 'tcp', port: 0, framing: 'wrapper', projectId: 'p1' },
      { protocol: 'tcp', port: 0, framing: 'wrapper' },
      { protocol: 'udp', port: 0, framing: 'wrapper' },
    ],
  ));

test("a modem naming IMEI and serial finds a device registered by its IMEI; the directory's port binding registers new ones", () =>
  setup(async ({ cenc, directory, meter }) => {
    directory.add({ deviceId: 'by-imei', projectId: 'p1', serial: IMEI, groupIds: [] }, [{ kind: 'imei', value: IMEI }]);
    const unbound = cenc.ports()[1]!;
    directory.bindings.set(unbound, 'p-bound');
    const known = await dial(meter, unbound, enc(`ID:${IMEI};SN:30800001\r\n`));
    const fresh = await dial(meter, unbound, enc('ID:356938035643817;SN:30800002\r\n'));
    await until(() => cenc.connectionCount === 2);
    assert.ok(cenc.connected('by-imei'), 'found by the alternative identity');
    const added = [...directory.devices.values()].filter((d) => d.source === 'self-registered');
    assert.deepEqual(added.map((d) => [d.serial, d.projectId]), [['30800002', 'p-bound']], 'registered by its serial into the bound project');
    known.destroy();
    fresh.destroy();
  }));

test('UDP: a meter identifies by serial, is auto-registered, and a session runs over datagrams', () =>
  setup(
    async ({ cenc, directory }) => {
      const server = new DlmsServerConnection({ framing: 'wrapper', systemTitle: METER_TITLE, associations: testAssociations() }, { random: randomBytes });
      const meter = await TestMeter.start();
      const udp = createSocket('udp4');
      udp.on('message', (msg, r) => {
        server.receiveData(msg);
        for (let e = server.nextEvent(); e; e = server.nextEvent()) meter.table.serve(server, e);
        for (const f of server.takeOutgoing()) udp.send(f, r.port, r.address);
      });
      await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
      udp.send(enc('SN:UDP-METER-1'), cenc.ports()[0]!, '127.0.0.1');
      await until(() => cenc.connectionCount === 1);
      const dev = [...directory.devices.values()][0]!;
      assert.deepEqual([dev.serial, dev.source, dev.type], ['UDP-METER-1', 'self-registered', 'electricity meter']);
      const r = await cenc.runSession(dev.deviceId, { framing: 'wrapper', clientAddress: 16 }, [{ op: 'clock-read' }], { waitTimeMs: 500 });
      assert.equal(r.ok, true, JSON.stringify(r));
      udp.close();
      await meter.stop();
    },
    [{ protocol: 'udp', port: 0, framing: 'wrapper', projectId: 'p9' }],
  ));

test('sessions on one held connection run one at a time, in order; a waiting one may give up', () =>
  setup(async ({ cenc, directory, meter, counters }) => {
    const s = await dial(meter, cenc.ports()[0]!, enc(`IMEI:${IMEI}\n`));
    await until(() => cenc.connectionCount === 1);
    const id = [...directory.devices.keys()][0]!;
    const order: string[] = [];
    const one = async (name: string): Promise<void> => {
      const t = await cenc.lease(id);
      order.push(`${name}+`);
      const session = await DlmsSession.open(t, HLS, { counters: { store: counters, deviceId: id } });
      await session.readClock();
      order.push(`${name}-`);
      await session.close();
    };
    await Promise.all([one('a'), one('b'), one('c')]);
    assert.deepEqual(order, ['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);

    // a caller that cannot wait for ever leaves the queue: by timeout or by its signal; the queue goes on
    const held = await cenc.lease(id);
    await assert.rejects(cenc.lease(id, { timeoutMs: 30 }), (e: Error) => e instanceof ConnectError && /stayed busy for 0 s/.test(e.message));
    const cancel = new AbortController();
    const cancelled = cenc.lease(id, { signal: cancel.signal });
    const next = cenc.lease(id);
    cancel.abort();
    await assert.rejects(cancelled, (e: Error) => e instanceof ConnectError && /cancelled/.test(e.message));
    held.close();
    (await next).close();
    assert.equal(cenc.connected(id)!.connection.busy, false);
    s.destroy();
  }));

test('AMR agents: authentication, group-restricted access, a transparent DLMS session to the meter', () =>
  setup(async ({ cenc, directory, meter, counters }) => {
    directory.add({ deviceId: 'g2-meter', projectId: 'p1', serial: 'SN-G2', groupIds: ['g2'] }, [{ kind: 'serial', value: 'SN-G2' }]);
    directory.add({ deviceId: 'free-meter', projectId: 'p1', serial: 'SN-FREE', groupIds: [] }, [{ kind: 'serial', value: 'SN-FREE' }]);
    // The registry checks agents' passwords (registry/cenc-directory.ts); here a table of plain ones stands in.
    const agents = new Map<string, [string, AmrAgent]>([
      ['admin', ['root-pw', { name: 'admin', groupIds: [], extended: true }]],
      ['g1-agent', ['g1-pw', { name: 'g1-agent', groupIds: ['g1'], extended: false }]],
      ['other-project', ['op-pw', { name: 'other-project', projectId: 'p9', groupIds: [], extended: true }]],
    ]);
    const authenticate = (name: string, password: string) => {
      const a = agents.get(name);
      return Promise.resolve(a && a[0] === password ? a[1] : undefined);
    };
    const server = new AmrAgentServer({ cenc, directory, authenticate, port: 0, maxFailures: 3, lockMs: 60_000 });
    const port = await server.start();
    const sockets = [await dial(meter, cenc.ports()[0]!, enc('SN:SN-G2\n')), await dial(meter, cenc.ports()[0]!, enc('SN:SN-FREE\n'))];
    try {
      await until(() => cenc.connectionCount === 2);
      assert.deepEqual((await agentLines(port, ['LOGIN g1-agent wrong'])).replies, ['ERR authentication failed']);
      assert.deepEqual((await agentLines(port, ['OPEN SN-G2'])).replies, ['ERR LOGIN first']);
      const denied = await agentLines(port, ['LOGIN g1-agent g1-pw', 'OPEN SN-G2']);
      assert.deepEqual(denied.replies, ['OK', 'ERR access denied']);
      denied.socket.destroy();
      // guessing: after 3 failures the name is locked for this address, the right password included
      for (let i = 0; i < 3; i++) assert.deepEqual((await agentLines(port, ['LOGIN other-project guess'])).replies, ['ERR authentication failed']);
      assert.deepEqual((await agentLines(port, ['LOGIN other-project op-pw'])).replies, ['ERR authentication failed']);
      agents.set('locked-out', agents.get('other-project')!);
      const foreign = await agentLines(port, ['LOGIN locked-out op-pw', 'OPEN SN-FREE']);
      assert.deepEqual(foreign.replies, ['OK', 'ERR access denied'], 'an agent of another project sees none of these (another name: not locked)');
      foreign.socket.destroy();
      const missing = await agentLines(port, ['LOGIN admin root-pw', 'OPEN SN-NOT-HERE']);
      assert.deepEqual(missing.replies, ['OK', 'ERR not connected']);
      missing.socket.destroy();
      for (const [name, pw, target] of [
        ['g1-agent', 'g1-pw', 'SN-FREE'],
        ['admin', 'root-pw', 'SN-G2'],
      ] as const) {
        const a = await agentLines(port, [`LOGIN ${name} ${pw}`, `OPEN ${target}`]);
        assert.equal(a.replies[1], `OK ${target === 'SN-FREE' ? 'free-meter' : 'g2-meter'}`);
        const deviceId = a.replies[1]!.slice(3);
        const session = await DlmsSession.open(new SocketTransport(a.socket), HLS, { counters: { store: counters, deviceId } });
        assert.equal((await session.readClock()).utc, new Date(PROFILE_DAY_MS + 86_400_000).toISOString());
        await session.close();
      }
      // the agent is gone: the connection is back with CENC for HES sessions
      await until(() => !cenc.connected('g2-meter')!.connection.busy);
      assert.equal((await cenc.runSession('g2-meter', HLS, [{ op: 'clock-read' }])).ok, true);
      assert.deepEqual(
        directory.events.filter((e) => e.type.startsWith('access-')).map((e) => [e.type, e.deviceId, e.detail]),
        [['access-start', 'free-meter', 'agent g1-agent'], ['access-finish', 'free-meter', 'agent g1-agent'], ['access-start', 'g2-meter', 'agent admin'], ['access-finish', 'g2-meter', 'agent admin']],
      );
    } finally {
      for (const s of sockets) s.destroy();
      await server.stop();
    }
  }));

test('the in-memory directory keeps the latest events, oldest dropped', async () => {
  const d = new MemoryDeviceDirectory(20);
  for (let i = 0; i < 100; i++) await d.recordEvent({ type: 'connected', at: i, remote: 'tcp:x', port: 1 });
  assert.ok(d.events.length >= 20 && d.events.length <= 22, `${d.events.length} events kept`);
  assert.equal(d.events.at(-1)!.at, 99);
  assert.deepEqual(
    d.events.map((e) => e.at),
    Array.from({ length: d.events.length }, (_, i) => 100 - d.events.length + i),
  );
});
