/**
 * The client against published captures, byte for byte, and its handling of published AARE rejections.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../axdr/writer.js';
import { AARE_FIXTURES } from '../apdu/acse/aare/fixtures.js';
import { AARQ_FIXTURES } from '../apdu/acse/aarq/fixtures.js';
import { FOUR_BYTE_SESSION, GURUX_LN_SESSION } from '../hdlc/fixtures.js';
import { encodeFrame } from '../hdlc/frame.js';
import { DlmsClientConnection, type ClientEvent } from './client.js';
import { DlmsServerConnection } from './server.js';
import { attr } from './testkit.js';

function events(c: { nextEvent(): ClientEvent | undefined }): ClientEvent[] {
  const out: ClientEvent[] = [];
  for (let e = c.nextEvent(); e; e = c.nextEvent()) out.push(e);
  return out;
}

const hex = (frames: Uint8Array[]) => frames.map((f) => toHex(f));

// GXDLMSDirector session, LN, client 0x10, server 1, max information field 1010 proposed:
// https://pastebin.com/iKKsDimZ (same log: https://gist.github.com/knogi/f3d4853b936164882e5ed653498e7b61)
test('client reproduces a published SNRM / AARQ / GET byte for byte and reads the UA and AARE (pastebin.com/iKKsDimZ)', () => {
  const s = GURUX_LN_SESSION;
  const client = new DlmsClientConnection({ framing: 'hdlc', hdlc: { maxInfoTx: 1010, maxInfoRx: 1010 }, conformance: 0x001e1d, maxReceivePduSize: 0xffff });
  client.connect();
  assert.deepEqual(hex(client.takeOutgoing()), hex([s.snrm]));
  client.receiveData(s.ua);
  assert.deepEqual(events(client), [{ type: 'link-connected', hdlc: { maxInfoTx: 1010, maxInfoRx: 1010, windowTx: 1, windowRx: 1 } }]);
  assert.equal(client.state, 'link-connected');

  client.associate();
  assert.deepEqual(hex(client.takeOutgoing()), hex([s.aarq]));
  client.receiveData(s.aare);
  assert.deepEqual(events(client), [{ type: 'associated', conformance: 0x00101d, serverMaxReceivePduSize: 0x03ef, dlmsVersion: 6 }]);

  assert.equal(client.get(attr(15, '0.0.40.0.0.255', 2)), 1);
  assert.deepEqual(hex(client.takeOutgoing()), hex([s.getRequest]));
});

test('server answers the published SNRM with the published UA (pastebin.com/iKKsDimZ)', () => {
  const server = new DlmsServerConnection({
    framing: 'hdlc',
    hdlc: { maxInfoTx: 1010, maxInfoRx: 1010 },
    associations: [{ clientAddress: 0x10, authentication: 'none', securityPolicy: 'none' }],
  });
  server.receiveData(GURUX_LN_SESSION.snrm);
  assert.deepEqual(hex(server.takeOutgoing()), hex([GURUX_LN_SESSION.ua]));
  server.receiveData(GURUX_LN_SESSION.aarq);
  const [aare] = server.takeOutgoing();
  assert.ok(aare);
  // the published AARE uses a long-form length (61 82 00 29); ours is the short form of the same content
  const ours = new DlmsClientConnection({ framing: 'hdlc', hdlc: { maxInfoTx: 1010, maxInfoRx: 1010 }, conformance: 0x001e1d });
  ours.connect();
  ours.receiveData(GURUX_LN_SESSION.ua);
  ours.associate();
  ours.receiveData(aare);
  assert.deepEqual(events(ours).at(-1), { type: 'associated', conformance: 0x001e1d, serverMaxReceivePduSize: 0xffff, dlmsVersion: 6 });
});

// Green Book AARQ examples as reproduced in u9n/dlms-cosem tests/test_asce/test_aarq.py (see apdu/acse/aarq/fixtures.ts).
test('client AARQ equals the Green Book examples: LN without security and LLS "12345678"', () => {
  const base = { framing: 'none', conformance: 0x007e1f, maxReceivePduSize: 0x04b0 } as const;
  const plain = new DlmsClientConnection(base);
  plain.connect();
  plain.associate();
  assert.deepEqual(hex(plain.takeOutgoing()), [AARQ_FIXTURES.lnNoSecurity]);

  const lls = new DlmsClientConnection({ ...base, authentication: 'low', password: '12345678' });
  lls.connect();
  lls.associate();
  assert.deepEqual(hex(lls.takeOutgoing()), [AARQ_FIXTURES.lnLls]);
});

// u9n/dlms-cosem tests/test_asce/test_aare.py and gvtret/gosem pkg/dlms/aare_test.go (see apdu/acse/aare/fixtures.ts).
test('published rejecting AAREs become association-rejected events naming the diagnostic', () => {
  const cases: [string, Partial<Extract<ClientEvent, { type: 'association-rejected' }>>][] = [
    [AARE_FIXTURES.rejectedAuthentication, { result: 'rejected-permanent', diagnostic: 'authentication-failure' }],
    [AARE_FIXTURES.rejectedContext, { result: 'rejected-permanent', diagnostic: 'application-context-name-not-supported' }],
    [
      AARE_FIXTURES.rejectedVersion,
      { result: 'rejected-permanent', diagnostic: 'no-reason-given', serviceError: 'initiate-error: initiate/dlms-version-too-low' },
    ],
  ];
  for (const [aare, expected] of cases) {
    const c = new DlmsClientConnection({ framing: 'none' });
    c.connect();
    c.associate();
    events(c);
    c.receiveData(fromHex(aare));
    assert.deepEqual(events(c), [{ type: 'association-rejected', ...expected }]);
    assert.equal(c.state, 'link-connected');
  }
});

test('a DM answering SNRM is a refused link', () => {
  const c = new DlmsClientConnection({ framing: 'hdlc' });
  c.connect();
  c.takeOutgoing();
  c.receiveData(encodeFrame({ type: 'DM', destination: { logical: 16, size: 1 }, source: { logical: 1, size: 1 }, pf: true }));
  assert.deepEqual(events(c), [{ type: 'link-disconnected', reason: 'refused' }]);
  assert.equal(c.state, 'disconnected');
});

// Client 0x20 to a meter with a 4-byte server address (logical 1, physical 8821): https://pastebin.com/7HTFDmEv
test('client SNRM to a 4-byte server address equals the published one (pastebin.com/7HTFDmEv); the 1-byte quirk drops the physical part', () => {
  const settings = {
    framing: 'hdlc',
    clientAddress: 0x20,
    serverLogicalAddress: 1,
    serverPhysicalAddress: 8821,
    serverAddressSize: 4,
    hdlc: { maxInfoTx: 1500, maxInfoRx: 1500, windowTx: 1, windowRx: 1 },
  } as const;
  const c = new DlmsClientConnection(settings);
  c.connect();
  assert.deepEqual(hex(c.takeOutgoing()), hex([FOUR_BYTE_SESSION.snrm]));
  c.receiveData(FOUR_BYTE_SESSION.ua);
  assert.deepEqual(events(c), [{ type: 'link-connected', hdlc: { maxInfoTx: 62, maxInfoRx: 248, windowTx: 1, windowRx: 1 } }]);

  const q = new DlmsClientConnection({ ...settings, quirks: { oneByteServerAddress: true } });
  q.connect();
  const [snrm] = q.takeOutgoing();
  assert.deepEqual([snrm![3], snrm![4]], [0x03, 0x41], 'destination 1 (one byte), source 0x20');
});
