/**
 * A client and a simulated meter connected in memory, the byte stream cut at random points.
 * Keys and system titles are the Green Book / Gurux example values (EK 000102..0F, AK D0D1..DF).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDataBytes } from '../axdr/data.js';
import type { DlmsData } from '../axdr/types.js';
import { fromHex } from '../axdr/writer.js';
import { entryAccess, rangeAccess, type CosemMethodDescriptor } from '../apdu/index.js';
import { parseObis } from '../obis.js';
import { DlmsClientConnection, type ClientEvent } from './client.js';
import { DlmsServerConnection, type ServerAssociation } from './server.js';
import type { ConnectionSettingsInit, Framing } from './settings.js';
import { attr, pump, seededRandom, SimulatedMeter, type PumpOptions } from './testkit.js';

const EK = fromHex('000102030405060708090A0B0C0D0E0F');
const AK = fromHex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF');
const DK = fromHex('00112233445566778899AABBCCDDEEFF');
const CLIENT_TITLE = fromHex('4D4D4D0000BC614E');
const METER_TITLE = fromHex('4D4D4D0000000001');

const CLOCK = attr(8, '0.0.1.0.0.255', 2);
const PROFILE = attr(7, '1.0.99.1.0.255', 2);
const LARGE = attr(1, '0.0.96.1.128.255', 2);
const OUTPUT_STATE = attr(70, '0.0.96.3.10.255', 2);
const REMOTE_DISCONNECT: CosemMethodDescriptor = { classId: 70, instanceId: parseObis('0.0.96.3.10.255'), methodId: 1 };

/** 12-byte COSEM date-time, day of week not specified so that time stamps compare as bytes. */
function stamp(minutes: number): Uint8Array {
  const d = new Date(Date.UTC(2024, 0, 1) + minutes * 60_000);
  return Uint8Array.from([d.getUTCFullYear() >> 8, d.getUTCFullYear() & 0xff, d.getUTCMonth() + 1, d.getUTCDate(), 0xff, d.getUTCHours(), d.getUTCMinutes(), 0, 0, 0x00, 0x00, 0x00]);
}

function profileRow(i: number): DlmsData {
  return {
    type: 'structure',
    value: [
      { type: 'octet-string', value: stamp(i * 15) },
      { type: 'double-long-unsigned', value: 100_000 + i * 7 },
      { type: 'long-unsigned', value: i & 0xffff },
    ],
  };
}

function meter(): SimulatedMeter {
  return new SimulatedMeter()
    .set(CLOCK, { type: 'octet-string', value: stamp(0) })
    .set(PROFILE, { type: 'array', value: Array.from({ length: 300 }, (_, i) => profileRow(i)) })
    .set(LARGE, { type: 'octet-string', value: new Uint8Array(10) })
    .set(OUTPUT_STATE, { type: 'boolean', value: true });
}

interface Setup {
  framing?: Framing;
  client?: ConnectionSettingsInit;
  association?: Partial<ServerAssociation>;
  serverKeys?: ServerAssociation['keys'];
  server?: Partial<ConnectionSettingsInit>;
}

function setup(o: Setup = {}) {
  const framing = o.framing ?? 'hdlc';
  const client = new DlmsClientConnection(
    { framing, clientAddress: 48, systemTitle: CLIENT_TITLE, maxReceivePduSize: 256, hdlc: { maxInfoTx: 48, maxInfoRx: 48 }, ...o.client },
    { random: seededRandom(7) },
  );
  const c = client.settings;
  const server = new DlmsServerConnection(
    {
      framing,
      systemTitle: METER_TITLE,
      maxReceivePduSize: 200,
      hdlc: { maxInfoTx: 64, maxInfoRx: 64 },
      ...o.server,
      associations: [
        {
          clientAddress: 48,
          authentication: c.authentication,
          securityPolicy: c.securityPolicy,
          ...(c.password !== undefined ? { password: c.password } : {}),
          ...(o.serverKeys ?? c.keys ? { keys: o.serverKeys ?? c.keys! } : {}),
          ...o.association,
        },
      ],
    },
    { random: seededRandom(11) },
  );
  return { client, server, meter: meter() };
}

type Conn = ReturnType<typeof setup>;

function run(s: Conn, action: () => unknown, o: PumpOptions = {}): ClientEvent[] {
  action();
  return pump(s.client, s.server, s.meter, { chunking: s.client.settings.framing !== 'none', ...o }).client;
}

function only<T extends ClientEvent['type']>(events: ClientEvent[], type: T): Extract<ClientEvent, { type: T }> {
  assert.equal(events.length, 1, `one event expected, got ${JSON.stringify(events.map((e) => e.type))}`);
  assert.equal(events[0]!.type, type, JSON.stringify(events[0], (_, v) => (typeof v === 'bigint' ? String(v) : v)));
  return events[0] as Extract<ClientEvent, { type: T }>;
}

function open(s: Conn): void {
  only(run(s, () => s.client.connect()), 'link-connected');
  only(run(s, () => s.client.associate()), 'associated');
  assert.equal(s.client.state, 'associated');
  assert.equal(s.server.state, 'associated');
}

function getData(s: Conn, a: Parameters<DlmsClientConnection['get']>[0], access?: Parameters<DlmsClientConnection['get']>[1]): DlmsData {
  const e = only(run(s, () => s.client.get(a, access)), 'get-response');
  assert.equal(e.result.type, 'data', JSON.stringify(e.result));
  return (e.result as { value: DlmsData }).value;
}

function rows(d: DlmsData): number[] {
  assert.equal(d.type, 'array');
  return (d as { value: DlmsData[] }).value.map((r) => ((r as { value: DlmsData[] }).value[2] as { value: number }).value);
}

function fullSession(s: Conn): void {
  open(s);
  assert.deepEqual(getData(s, CLOCK), { type: 'octet-string', value: stamp(0) });

  // a 300-row profile read through a 256-byte client PDU: GET-Request-Next loop
  const all = getData(s, PROFILE);
  assert.deepEqual(all, s.meter.get(PROFILE));

  const byEntry = getData(s, PROFILE, entryAccess({ fromEntry: 11, toEntry: 20, fromSelectedValue: 1, toSelectedValue: 0 }));
  assert.deepEqual(rows(byEntry), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);

  const byRange = getData(
    s,
    PROFILE,
    rangeAccess({
      restrictingObject: { classId: 8, logicalName: parseObis('0.0.1.0.0.255'), attributeIndex: 2, dataIndex: 0 },
      fromValue: { type: 'octet-string', value: stamp(60) },
      toValue: { type: 'octet-string', value: stamp(120) },
      selectedValues: [],
    }),
  );
  assert.deepEqual(rows(byRange), [4, 5, 6, 7, 8]);

  const list = only(run(s, () => s.client.getWithList([{ attribute: CLOCK }, { attribute: attr(3, '1.0.1.8.0.255', 2) }, { attribute: OUTPUT_STATE }])), 'get-with-list-response');
  assert.deepEqual(list.results, [
    { type: 'data', value: { type: 'octet-string', value: stamp(0) } },
    { type: 'data-access-result', value: 4, name: 'object-undefined' },
    { type: 'data', value: { type: 'boolean', value: true } },
  ]);

  // 1000 bytes through a 200-byte server PDU: SET with datablocks, read back with GET blocks
  const big: DlmsData = { type: 'octet-string', value: Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff) };
  const set = only(run(s, () => s.client.set(LARGE, big)), 'set-response');
  assert.deepEqual([set.result, set.name], [0, 'success']);
  assert.deepEqual(s.meter.get(LARGE), big);
  assert.deepEqual(getData(s, LARGE), big);

  const act = only(run(s, () => s.client.action(REMOTE_DISCONNECT, { type: 'integer', value: 0 })), 'action-response');
  assert.deepEqual([act.result, act.name, act.returnData], [0, 'success', undefined]);
  assert.deepEqual(getData(s, OUTPUT_STATE), { type: 'boolean', value: false });

  only(run(s, () => s.client.release()), 'released');
  assert.equal(s.client.state, 'link-connected');
  assert.equal(s.server.state, 'link-connected');
  assert.throws(() => s.client.get(CLOCK), { code: 'DLMS_ERR_STATE' });
  assert.deepEqual(run(s, () => s.client.disconnect()), [{ type: 'link-disconnected', reason: 'local' }]);
  assert.equal(s.client.state, 'disconnected');
}

test('no authentication over HDLC with 48/64-byte information fields: every service, segmented both ways', () => {
  const s = setup();
  const trace: PumpOptions['trace'] = [];
  const seen = { client: false, server: false };
  fullSession(s);
  // segmentation happened: format byte A8 (segmentation bit) in frames of both directions
  s.client.connect();
  pump(s.client, s.server, s.meter, { trace });
  s.client.associate();
  pump(s.client, s.server, s.meter, { trace });
  s.client.get(PROFILE);
  pump(s.client, s.server, s.meter, { trace });
  s.client.set(LARGE, { type: 'octet-string', value: new Uint8Array(300) });
  pump(s.client, s.server, s.meter, { trace });
  for (const t of trace) if (t.bytes[1] === 0xa8) seen[t.from] = true;
  assert.deepEqual(seen, { client: true, server: true });
});

test('no authentication over the wrapper; long GET and SET really go block by block', () => {
  const s = setup({ framing: 'wrapper' });
  fullSession(s);
  const trace: PumpOptions['trace'] = [];
  open(s);
  s.client.get(PROFILE);
  pump(s.client, s.server, s.meter, { trace });
  s.client.set(LARGE, { type: 'octet-string', value: new Uint8Array(1000) });
  pump(s.client, s.server, s.meter, { trace });
  const requests = trace.filter((t) => t.from === 'client').map((t) => (t.bytes[8]! << 8) | t.bytes[9]!);
  const count = (kind: number) => requests.filter((r) => r === kind).length;
  assert.ok(count(0xc002) > 20, `${count(0xc002)} GET-Request-Next`);
  assert.equal(count(0xc102), 1, 'one SET-Request-With-First-Datablock');
  assert.ok(count(0xc103) >= 5, `${count(0xc103)} SET-Request-With-Datablock`);
  for (const t of trace) assert.ok(t.bytes.length - 8 <= (t.from === 'client' ? 200 : 256), 'no APDU exceeds the receiver\'s max PDU size');
});

test('LLS: the right password associates, a wrong one is rejected with authentication-failure', () => {
  fullSession(setup({ framing: 'wrapper', client: { authentication: 'low', password: 'JuS70k' } }));

  const bad = setup({ framing: 'wrapper', client: { authentication: 'low', password: 'wrong' }, association: { password: 'JuS70k' } });
  only(run(bad, () => bad.client.connect()), 'link-connected');
  const e = run(bad, () => bad.client.associate());
  assert.deepEqual(e, [{ type: 'association-rejected', result: 'rejected-permanent', diagnostic: 'authentication-failure' }]);
  assert.equal(bad.server.state, 'link-connected');
});

const HLS_SECURE: ConnectionSettingsInit = {
  authentication: 'high-gmac',
  securityPolicy: 'authenticated-and-encrypted',
  keys: { blockCipherKey: EK, authenticationKey: AK },
  invocationCounter: 1000,
};

test('HLS-GMAC with suite 0 authenticated-and-encrypted over HDLC: every service ciphered', () => {
  const s = setup({ client: HLS_SECURE });
  fullSession(s);
  assert.ok(s.client.invocationCounter > 1010, 'the counter advanced with every ciphered APDU');
  assert.ok(s.server.invocationCounter > 10);
});

test('HLS-GMAC with a dedicated key over the wrapper: requests use ded- tags', () => {
  const s = setup({ framing: 'wrapper', client: { ...HLS_SECURE, keys: { blockCipherKey: EK, authenticationKey: AK, dedicatedKey: DK } } });
  const trace: PumpOptions['trace'] = [];
  open(s);
  assert.deepEqual(getData(s, CLOCK), { type: 'octet-string', value: stamp(0) });
  s.client.get(OUTPUT_STATE);
  pump(s.client, s.server, s.meter, { trace });
  assert.deepEqual(trace.map((t) => t.bytes[8]), [0xd0, 0xd4], 'ded-get-request, ded-get-response');
});

test('HLS-GMAC with wrong keys fails clearly', () => {
  // ciphered context: the server cannot decipher the InitiateRequest
  const wrongEk = setup({ client: HLS_SECURE, serverKeys: { blockCipherKey: DK, authenticationKey: AK } });
  only(run(wrongEk, () => wrongEk.client.connect()), 'link-connected');
  assert.deepEqual(run(wrongEk, () => wrongEk.client.associate()), [
    { type: 'association-rejected', result: 'rejected-permanent', diagnostic: 'no-reason-given', serviceError: 'initiate-error: application-reference/deciphering-error' },
  ]);

  // plain context: the server refuses f(StoC)
  const plainHls: ConnectionSettingsInit = { authentication: 'high-gmac', keys: { blockCipherKey: EK, authenticationKey: AK } };
  const wrongAk = setup({ framing: 'wrapper', client: plainHls, serverKeys: { blockCipherKey: EK, authenticationKey: DK } });
  only(run(wrongAk, () => wrongAk.client.connect()), 'link-connected');
  const failed = only(run(wrongAk, () => wrongAk.client.associate()), 'authentication-failed');
  assert.match(failed.reason, /refused f\(StoC\): read-write-denied/);
  assert.equal(wrongAk.client.state, 'link-connected');
  assert.equal(wrongAk.server.state, 'link-connected');

  // the server's f(CtoS) altered on the way: the client refuses the association
  const tampered = setup({ framing: 'none', client: plainHls });
  const flipLastByte = (b: Uint8Array) => (b[0] === 0xc7 ? Uint8Array.from(b, (v, i) => (i === b.length - 1 ? v ^ 1 : v)) : b);
  only(run(tampered, () => tampered.client.connect()), 'link-connected');
  const bad = only(run(tampered, () => tampered.client.associate(), { tamper: flipLastByte }), 'authentication-failed');
  assert.match(bad.reason, /f\(CtoS\) is wrong/);

  // the same meter with the HLS check turned off (quirk) accepts it
  const lax = setup({ framing: 'none', client: { ...plainHls, quirks: { hlsWithoutResponseCheck: true } } });
  only(run(lax, () => lax.client.connect()), 'link-connected');
  only(run(lax, () => lax.client.associate(), { tamper: flipLastByte }), 'associated');
});

test('a replayed ciphered frame is refused by both sides', () => {
  const s = setup({ framing: 'wrapper', client: HLS_SECURE });
  open(s);
  const trace: PumpOptions['trace'] = [];
  s.client.get(CLOCK);
  assert.equal(pump(s.client, s.server, s.meter, { trace }).client[0]?.type, 'get-response');
  const request = trace.find((t) => t.from === 'client')!.bytes;
  const response = trace.find((t) => t.from === 'server')!.bytes;
  assert.deepEqual([request[8], response[8]], [0xc8, 0xcc], 'glo-get-request and glo-get-response on the wire');

  // the client sees the old response again
  s.client.receiveData(response);
  const e = s.client.nextEvent();
  assert.ok(e?.type === 'error');
  assert.equal(e.error.code, 'DLMS_ERR_REPLAY');

  // the meter sees the old request again: refused, answered with invocation-counter-error
  s.server.receiveData(request);
  const se = s.server.nextEvent();
  assert.ok(se?.type === 'error');
  assert.equal(se.error.code, 'DLMS_ERR_REPLAY');
  const out = s.server.takeOutgoing();
  s.client.receiveData(out[0]!);
  const ex = s.client.nextEvent();
  assert.ok(ex?.type === 'exception-response');
  assert.equal(ex.stateError, 'service-not-allowed');
  assert.equal(ex.serviceError, 'invocation-counter-error');
  assert.ok(ex.invocationCounter! > 1000);
});

test('DataNotification and EventNotification pushes, plain and ciphered', () => {
  for (const client of [{}, HLS_SECURE]) {
    const s = setup({ framing: 'wrapper', client });
    open(s);
    const dateTime = { year: 2024, month: 3, dayOfMonth: 1, dayOfWeek: 5, hour: 12, minute: 0, second: 0, hundredths: 0, deviation: -60, clockStatus: 0 };
    s.server.sendDataNotification({ type: 'structure', value: [{ type: 'double-long-unsigned', value: 42 }] }, dateTime as never);
    s.server.sendEventNotification(OUTPUT_STATE, { type: 'boolean', value: false });
    const events = pump(s.client, s.server, s.meter, { chunking: true }).client;
    assert.equal(events.length, 2);
    const [dn, en] = events;
    assert.ok(dn?.type === 'data-notification' && en?.type === 'event-notification');
    assert.deepEqual(dn.notification.body, { type: 'structure', value: [{ type: 'double-long-unsigned', value: 42 }] });
    assert.equal(dn.ciphered, client === HLS_SECURE);
    assert.equal(typeof dn.utcMs, 'number');
    assert.deepEqual(en.notification.value, { type: 'boolean', value: false });
    assert.equal(en.ciphered, client === HLS_SECURE);
  }
});

test('an exception-response ends the request with named errors; the next request works', () => {
  const s = setup({ framing: 'wrapper' });
  open(s);
  s.meter.refuseNext = true;
  const ex = only(run(s, () => s.client.get(CLOCK)), 'exception-response');
  assert.deepEqual(ex, { type: 'exception-response', invokeId: ex.invokeId, stateError: 'service-not-allowed', serviceError: 'operation-not-possible' });
  assert.equal(s.client.pendingInvokeId, undefined);
  assert.deepEqual(getData(s, CLOCK), { type: 'octet-string', value: stamp(0) });
});

test('a response with another invoke-id is dropped as an error; the quirk accepts it', () => {
  for (const ignore of [false, true]) {
    const s = setup({ framing: 'none', client: { quirks: { ignoreInvokeIdMismatch: ignore } } });
    open(s);
    const id = s.client.get(CLOCK);
    s.client.takeOutgoing();
    const wrong = (id % 15) + 1;
    // get-response-normal, invoke-id-and-priority C0|id, data unsigned 7
    s.client.receiveData(Uint8Array.from([0xc4, 0x01, 0xc0 | wrong, 0x00, 0x11, 0x07]));
    const e = s.client.nextEvent();
    if (ignore) {
      assert.deepEqual(e, { type: 'get-response', invokeId: id, result: { type: 'data', value: { type: 'unsigned', value: 7 } } });
      continue;
    }
    assert.ok(e?.type === 'error');
    assert.equal(e.error.code, 'DLMS_ERR_VALUE');
    assert.equal(s.client.pendingInvokeId, id, 'still waiting for the real answer');
    s.client.receiveData(Uint8Array.from([0xc4, 0x01, 0xc0 | id, 0x00, 0x11, 0x08]));
    assert.deepEqual(s.client.nextEvent(), { type: 'get-response', invokeId: id, result: { type: 'data', value: { type: 'unsigned', value: 8 } } });
  }
});

test('a response split by general-block-transfer is reassembled', () => {
  const s = setup({ framing: 'none' });
  open(s);
  const id = s.client.get(CLOCK);
  s.client.takeOutgoing();
  const response = Uint8Array.from([0xc4, 0x01, 0xc0 | id, 0x00, 0x09, 0x03, 0x01, 0x02, 0x03]);
  const gbt = (n: number, last: boolean, data: Uint8Array) => Uint8Array.from([0xe0, (last ? 0x80 : 0) | 0x40 | 1, 0, n, 0, 0, data.length, ...data]);
  s.client.receiveData(gbt(1, false, response.subarray(0, 4)));
  s.client.receiveData(gbt(2, false, response.subarray(4, 7)));
  assert.equal(s.client.nextEvent(), undefined);
  s.client.receiveData(gbt(3, true, response.subarray(7)));
  assert.deepEqual(s.client.nextEvent(), { type: 'get-response', invokeId: id, result: { type: 'data', value: { type: 'octet-string', value: Uint8Array.from([1, 2, 3]) } } });
});

test('quirk: a meter ending a long GET with an empty last block', () => {
  const s = setup({ framing: 'wrapper', server: { quirks: { emptyFinalBlock: true } } });
  open(s);
  assert.deepEqual(getData(s, PROFILE), s.meter.get(PROFILE));
});

test('requests out of state are refused locally', () => {
  const s = setup({ framing: 'wrapper' });
  assert.throws(() => s.client.associate(), { code: 'DLMS_ERR_STATE' });
  open(s);
  s.client.get(CLOCK);
  assert.throws(() => s.client.get(CLOCK), { code: 'DLMS_ERR_STATE' }, 'one request at a time');
});

test('encoded GET: the data as the meter encoded it, in one response or joined from blocks, ciphered or not; errors as usual', () => {
  for (const client of [{}, HLS_SECURE]) {
    const s = setup({ framing: 'wrapper', client });
    open(s);
    for (const a of [CLOCK, PROFILE]) {
      const e = only(run(s, () => s.client.get(a, undefined, { encoded: true })), 'get-response-encoded');
      assert.deepEqual(decodeDataBytes(e.data), s.meter.get(a), 'decodes to what the meter holds');
    }
    assert.ok(getData(s, CLOCK), 'a plain GET after it still decodes');
    const missing = only(run(s, () => s.client.get(attr(3, '1.0.99.99.0.255', 2), undefined, { encoded: true })), 'get-response');
    assert.deepEqual(missing.result, { type: 'data-access-result', value: 4, name: 'object-undefined' });
  }
});

test('encoded GET: an answer with another invoke-id is dropped as for a decoded one', () => {
  const s = setup({ framing: 'none' });
  open(s);
  const id = s.client.get(CLOCK, undefined, { encoded: true });
  s.client.takeOutgoing();
  s.client.receiveData(Uint8Array.from([0xc4, 0x01, 0xc0 | ((id + 1) & 0x0f), 0x00, 0x11, 0x05]));
  const e = s.client.nextEvent();
  assert.equal(e?.type, 'error');
  assert.match((e as Extract<ClientEvent, { type: 'error' }>).error.message, /invoke-id/);
  s.client.receiveData(Uint8Array.from([0xc4, 0x01, 0xc0 | id, 0x00, 0x11, 0x05]));
  assert.deepEqual(s.client.nextEvent(), { type: 'get-response-encoded', invokeId: id, data: Uint8Array.from([0x11, 0x05]) });
});
