import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../axdr/writer.js';
import { HdlcFrameAssembler, type HdlcStreamItem } from './assembler.js';
import { decodeFrame, encodeFrame } from './frame.js';
import { FOUR_BYTE_SESSION, GURUX_LN_SESSION, GURUX_SN_SESSION } from './fixtures.js';

// Published frames of three sessions (see fixtures.ts for the sources).
const FRAMES = [
  ...Object.values(GURUX_SN_SESSION).filter((f) => f.length > 6),
  ...Object.values(GURUX_LN_SESSION),
  ...Object.values(FOUR_BYTE_SESSION),
];
const CONTENTS = FRAMES.map((f) => toHex(f.subarray(1, f.length - 1)));

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Frames sharing flags: the closing flag of one opens the next. */
function shared(frames: Uint8Array[]): Uint8Array {
  return concat([frames[0]!.subarray(0, 1), ...frames.map((f) => f.subarray(1))]);
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function feed(a: HdlcFrameAssembler, stream: Uint8Array, sizes: () => number): HdlcStreamItem[] {
  const out: HdlcStreamItem[] = [];
  for (let at = 0; at < stream.length; ) {
    const n = Math.max(1, Math.min(stream.length - at, sizes()));
    out.push(...a.push(stream.slice(at, at + n)));
    at += n;
  }
  return out;
}

const frames = (items: HdlcStreamItem[]) => items.flatMap((i) => (i.kind === 'frame' ? [toHex(i.frame)] : []));
const skipped = (items: HdlcStreamItem[]) => items.flatMap((i) => (i.kind === 'skipped' ? [toHex(i.bytes)] : []));

test('frames within one chunk come out as views, in order, each decodable', () => {
  const stream = concat(FRAMES);
  const items = new HdlcFrameAssembler().push(stream);
  assert.deepEqual(frames(items), CONTENTS);
  assert.deepEqual(skipped(items), []);
  for (const i of items) {
    assert.ok(i.kind === 'frame' && i.frame.buffer === stream.buffer, 'view of the chunk');
    decodeFrame(i.kind === 'frame' ? i.frame : new Uint8Array(0));
  }
});

test('back-to-back frames sharing one flag, and repeated flags', () => {
  assert.deepEqual(frames(new HdlcFrameAssembler().push(shared(FRAMES))), CONTENTS);
  const fill = concat(FRAMES.flatMap((f) => [Uint8Array.of(0x7e, 0x7e), f]));
  const items = new HdlcFrameAssembler().push(fill);
  assert.deepEqual(frames(items), CONTENTS);
  assert.deepEqual(skipped(items), [], 'flags are not garbage');
});

test('byte by byte and random chunking give the same frames', () => {
  for (const stream of [concat(FRAMES), shared(FRAMES)]) {
    assert.deepEqual(frames(feed(new HdlcFrameAssembler(), stream, () => 1)), CONTENTS);
    for (let seed = 1; seed <= 50; seed++) {
      const r = rng(seed);
      assert.deepEqual(frames(feed(new HdlcFrameAssembler(), stream, () => 1 + Math.floor(r() * 90))), CONTENTS, `seed ${seed}`);
    }
  }
});

test('a frame spanning chunks is copied; the next one inside a chunk is still a view', () => {
  const a = new HdlcFrameAssembler();
  const [f1, f2] = [GURUX_LN_SESSION.aarq, GURUX_LN_SESSION.aare];
  assert.deepEqual(a.push(f1.subarray(0, 10)), []);
  const chunk = concat([f1.subarray(10), f2.subarray(1)]); // f2 shares f1's closing flag
  const items = a.push(chunk);
  assert.deepEqual(frames(items), [CONTENTS[FRAMES.indexOf(f1)], CONTENTS[FRAMES.indexOf(f2)]]);
  assert.ok(items[0]!.kind === 'frame' && items[0].frame.buffer !== chunk.buffer);
  assert.ok(items[1]!.kind === 'frame' && items[1].frame.buffer === chunk.buffer);
});

test('garbage between frames is skipped and reported', () => {
  const g1 = Uint8Array.of(0x00, 0x11, 0x22);
  const g2 = Uint8Array.of(0x41, 0x54, 0x0d, 0x0a); // modem chatter
  const g3 = Uint8Array.of(0x7e, 0xa0, 0x10, 0x55); // a flag and format byte, but no closing flag where the length says
  const stream = concat([g1, FRAMES[0]!, g2, FRAMES[1]!, g3, FRAMES[2]!, Uint8Array.of(0x99)]);
  const items = new HdlcFrameAssembler().push(stream);
  assert.deepEqual(frames(items), CONTENTS.slice(0, 3));
  assert.deepEqual(skipped(items), ['001122', '41540D0A', 'A01055', '99']);
  for (let seed = 1; seed <= 30; seed++) {
    const r = rng(seed);
    const chunked = feed(new HdlcFrameAssembler(), stream, () => 1 + Math.floor(r() * 20));
    assert.deepEqual(frames(chunked), CONTENTS.slice(0, 3), `seed ${seed}`);
    assert.equal(skipped(chunked).join(''), '001122' + '41540D0A' + 'A01055' + '99', `seed ${seed}`);
  }
});

test('a false start claiming a long frame costs at most one frame of buffering, then resynchronises', () => {
  // 7E A7 FF says 2047 bytes; the real frames that follow must still be found.
  const stream = concat([Uint8Array.of(0x7e, 0xa7, 0xff), ...FRAMES, new Uint8Array(2100)]);
  for (const size of [1, 7, 64, 5000]) {
    const items = feed(new HdlcFrameAssembler(), stream, () => size);
    assert.deepEqual(frames(items), CONTENTS, `chunks of ${size}`);
  }
  // A smaller bound rejects longer candidates at once.
  const big = encodeFrame({ type: 'UI', destination: { logical: 0x7f }, source: { logical: 1 }, info: new Uint8Array(600) });
  const items = new HdlcFrameAssembler({ maxFrameLength: 512 }).push(concat([big, FRAMES[0]!]));
  assert.deepEqual(frames(items), [CONTENTS[0]]);
  assert.equal(skipped(items)[0]!.length / 2, big.length - 2);
});

test('endless garbage never produces frames and is reported in full', () => {
  const r = rng(7);
  const junk = Uint8Array.from({ length: 20000 }, () => {
    const v = Math.floor(r() * 256);
    return v === 0x7e ? 0x00 : v;
  });
  const items = feed(new HdlcFrameAssembler(), junk, () => 333);
  assert.deepEqual(frames(items), []);
  assert.equal(skipped(items).join('').length / 2, junk.length);
});
