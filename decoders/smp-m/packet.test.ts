import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SmpmError } from './errors.js';
import { DOWNLINK_KEY, SERIAL, UPLINK_KEY, VECTORS, XTEA_VECTORS } from './fixtures.js';
import { decodeMessage, encodeMessage, MessageType } from './messages.js';
import { open, readHeader, seal, SmpmKey } from './packet.js';
import { translatePacket } from './translator.js';
import { XteaKey } from './xtea.js';

const b = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
const hex = (u: Uint8Array) => Buffer.from(u).toString('hex').toUpperCase();
const code = (c: string) => (e: unknown) => e instanceof SmpmError && e.code === c;

test('XTEA with 32 cycles matches the published vectors both ways', () => {
  for (const v of XTEA_VECTORS) {
    const k = new XteaKey(b(v.key));
    const out = new Uint8Array(8);
    k.encipher(b(v.plain), 0, out, 0);
    assert.equal(hex(out), v.cipher);
    k.decipher(out, 0, out, 0);
    assert.equal(hex(out), v.plain);
  }
  assert.throws(() => new XteaKey(new Uint8Array(8)), RangeError);
});

test('the documented vectors open to their payloads and seal back to the same bytes', () => {
  const up = SmpmKey.fromHex(UPLINK_KEY);
  const down = SmpmKey.fromHex(DOWNLINK_KEY);
  for (const [name, v] of Object.entries(VECTORS)) {
    const packet = b(v.packet);
    const h = readHeader(packet);
    assert.equal(h.serial, SERIAL, name);
    assert.equal(h.counter, v.counter, name);
    const key = h.direction === 'uplink' ? up : down;
    const { payload } = open(packet, key);
    assert.equal(hex(payload), v.payload, name);
    assert.equal(hex(seal(h, payload, key)), v.packet, name);
    // the message layer is the inverse of itself
    const m = decodeMessage(h.type, payload);
    assert.deepEqual(encodeMessage(m), { type: h.type, payload }, name);
  }
});

test('the payload is ciphered: the same message under another counter differs everywhere after the header', () => {
  const key = SmpmKey.fromHex(UPLINK_KEY);
  const { type, payload } = encodeMessage({ type: 'current', time: 1_800_000_000, total: 5, tariffs: [] });
  const a = seal({ direction: 'uplink', serial: 1, counter: 1, type }, payload, key);
  const c = seal({ direction: 'uplink', serial: 1, counter: 2, type }, payload, key);
  assert.notEqual(hex(a.subarray(10)), hex(c.subarray(10)));
  assert.ok(!hex(a).includes(hex(payload)), 'plaintext shows through');
});

test('a wrong key, a flipped bit anywhere, a truncated packet: authentication failed or a coded error', () => {
  const packet = b(VECTORS.endOfDay.packet);
  assert.throws(() => open(packet, SmpmKey.fromHex(DOWNLINK_KEY)), code('SMPM_AUTH'));
  for (let i = 0; i < packet.length; i++) {
    const bad = packet.slice();
    bad[i] ^= i === 0 ? 0x02 : 0x01;
    assert.throws(() => open(bad, SmpmKey.fromHex(UPLINK_KEY)), (e) => e instanceof SmpmError && ['SMPM_AUTH', 'SMPM_VERSION'].includes(e.code), `byte ${i}`);
  }
  assert.throws(() => readHeader(packet.subarray(0, 13)), code('SMPM_TRUNCATED'));
  assert.throws(() => readHeader(new Uint8Array(63)), code('SMPM_TOO_LONG'));
});

test('message layouts refuse what they do not define, naming the field', () => {
  assert.throws(() => decodeMessage(0x42, new Uint8Array(0)), code('SMPM_TYPE'));
  assert.throws(() => decodeMessage(MessageType.profile, b('6B15FA84140100AA')), (e) => code('SMPM_VALUE')(e) && /period 20/.test((e as Error).message));
  assert.throws(() => decodeMessage(MessageType.endOfDay, b('6B15CCD0090012D687')), (e) => code('SMPM_VALUE')(e) && /9 tariffs/.test((e as Error).message));
  assert.throws(() => decodeMessage(MessageType.current, b('6B167C98020012EBC0')), code('SMPM_LENGTH'));
  assert.throws(() => decodeMessage(MessageType.relay, b('02')), code('SMPM_VALUE'));
});

test('the translator shows the header without a key and the message with it', () => {
  const packet = b(VECTORS.events.packet);
  assert.deepEqual(translatePacket(packet).message, null);
  const t = translatePacket(packet, UPLINK_KEY) as { message: { events: { time: string; name: string }[] } };
  assert.deepEqual(t.message.events.map((e) => [e.time, e.name]), [
    ['2026-12-07T03:00:00.000Z', 'power off'], ['2026-12-07T03:12:00.000Z', 'power on'], ['2026-12-07T04:00:00.000Z', 'cover opened'],
  ]);
  assert.throws(() => translatePacket(packet, DOWNLINK_KEY), code('SMPM_AUTH'));
});

test('opening leaves the packet as it was (a Buffer from the bus is not deciphered in place)', () => {
  const packet = Buffer.from(VECTORS.current.packet, 'hex');
  const key = SmpmKey.fromHex(UPLINK_KEY);
  open(packet, key);
  assert.equal(packet.toString('hex').toUpperCase(), VECTORS.current.packet);
  assert.equal(hex(open(packet, key).payload), VECTORS.current.payload);
});
