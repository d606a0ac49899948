import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../axdr/writer.js';
import { WrapperAssembler } from './assembler.js';
import { encodeWpdu, type Wpdu } from './wpdu.js';
import { WRAPPED } from './fixtures.js';

const MESSAGES = Object.values(WRAPPED);
const STREAM = Uint8Array.from(MESSAGES.flatMap((m) => [...m]));
const EXPECTED = MESSAGES.map((m) => toHex(m.subarray(8)));
const apdus = (ws: Wpdu[]) => ws.map((w) => toHex(w.apdu));

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function feed(a: WrapperAssembler, stream: Uint8Array, size: () => number): Wpdu[] {
  const out: Wpdu[] = [];
  for (let at = 0; at < stream.length; ) {
    const n = Math.max(1, Math.min(stream.length - at, size()));
    out.push(...a.push(stream.slice(at, at + n)));
    at += n;
  }
  return out;
}

test('a stream of published WPDUs in one chunk: views, in order, ports kept', () => {
  const out = new WrapperAssembler().push(STREAM);
  assert.deepEqual(apdus(out), EXPECTED);
  assert.deepEqual(out.map((w) => [w.sourceWPort, w.destinationWPort]), [[16, 1], [1, 16], [16, 1], [1, 16], [16, 1], [1, 16]]);
  for (const w of out) assert.equal(w.apdu.buffer, STREAM.buffer);
});

test('byte by byte and random chunking give the same WPDUs', () => {
  assert.deepEqual(apdus(feed(new WrapperAssembler(), STREAM, () => 1)), EXPECTED);
  for (let seed = 1; seed <= 100; seed++) {
    const r = rng(seed);
    assert.deepEqual(apdus(feed(new WrapperAssembler(), STREAM, () => 1 + Math.floor(r() * 40))), EXPECTED, `seed ${seed}`);
  }
});

test('only a WPDU spanning chunks is copied', () => {
  const a = new WrapperAssembler();
  const [m1, m2] = [WRAPPED.aarq, WRAPPED.aare];
  assert.deepEqual(a.push(m1.subarray(0, 5)), []); // header cut
  const chunk = Uint8Array.from([...m1.subarray(5), ...m2]);
  const out = a.push(chunk);
  assert.deepEqual(apdus(out), [EXPECTED[0], EXPECTED[1]]);
  assert.notEqual(out[0]!.apdu.buffer, chunk.buffer);
  assert.equal(out[1]!.apdu.buffer, chunk.buffer);
});

test('large APDUs and an empty APDU', () => {
  const big = new Uint8Array(65535).map((_, i) => i & 0xff);
  const stream = Uint8Array.from([...encodeWpdu(1, 2, big), ...encodeWpdu(3, 4, new Uint8Array(0))]);
  const out = feed(new WrapperAssembler(), stream, () => 1400);
  assert.equal(out.length, 2);
  assert.deepEqual(out[0]!.apdu, big);
  assert.deepEqual([out[1]!.sourceWPort, out[1]!.apdu.length], [3, 0]);
});

test('bad version and oversize length throw with the stream offset', () => {
  const a = new WrapperAssembler({ maxApduSize: 40 });
  a.push(WRAPPED.aarq.subarray(0, 20));
  const oversize = fromHex('00 01 00 01 00 10 00 29');
  assert.throws(() => a.push(Uint8Array.from([...WRAPPED.aarq.subarray(20), ...oversize])), {
    code: 'DLMS_ERR_LENGTH',
    offset: WRAPPED.aarq.length + 6,
  });
  const b = new WrapperAssembler();
  b.push(WRAPPED.rlrq);
  b.push(fromHex('00 02 00'));
  assert.throws(() => b.push(fromHex('10 00 01 00 05')), { code: 'DLMS_ERR_WRAPPER', offset: WRAPPED.rlrq.length });
  b.reset();
  assert.deepEqual(apdus(b.push(WRAPPED.rlre)), [EXPECTED[5]]);
});
