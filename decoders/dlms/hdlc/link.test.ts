import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../axdr/writer.js';
import { decodeFrame, encodeFrame } from './frame.js';
import { HdlcLink, type HdlcLinkEvent, type HdlcLinkOptions } from './link.js';
import { FOUR_BYTE_SESSION, GURUX_LN_SESSION, GURUX_SN_SESSION } from './fixtures.js';

function events(link: HdlcLink): HdlcLinkEvent[] {
  const out: HdlcLinkEvent[] = [];
  for (let e = link.nextEvent(); e; e = link.nextEvent()) out.push(e);
  return out;
}

const hex = (frames: Uint8Array[]) => frames.map((f) => toHex(f));
/** The APDU inside a published I-frame (information field after the LLC header). */
const apduOf = (frame: Uint8Array) => decodeFrame(frame).info.slice(3);

test('client replays a published segmented session byte for byte (pastebin.com/Vvs6PqXK)', () => {
  const s = GURUX_SN_SESSION;
  const client = new HdlcLink({ role: 'client', clientAddress: 0x10, serverAddress: { logical: 1 } });
  assert.deepEqual(hex(client.connect()), hex([s.snrm]));
  assert.equal(client.state, 'connecting');
  assert.deepEqual(client.receive(s.ua), []);
  assert.deepEqual(events(client), [{ type: 'connected', params: { maxInfoTx: 62, maxInfoRx: 128, windowTx: 1, windowRx: 1 } }]);
  assert.equal(client.state, 'connected');

  assert.deepEqual(hex(client.sendApdu(apduOf(s.aarq))), hex([s.aarq]));
  assert.deepEqual(client.receive(s.aare), []);
  const [aare] = events(client);
  assert.ok(aare?.type === 'apdu');
  assert.equal(toHex(aare.apdu), toHex(apduOf(s.aare)));

  assert.deepEqual(hex(client.sendApdu(apduOf(s.readRequest))), hex([s.readRequest]));
  assert.deepEqual(hex(client.receive(s.readResponse1)), hex([s.rr2]), 'RR fetches the next segment');
  const [rr3] = client.receive(s.readResponse2);
  assert.equal(toHex(rr3!.subarray(0, 6)), toHex(s.rr3Prefix));
  assert.deepEqual(events(client), [], 'no APDU before the last segment');
  assert.deepEqual(hex(client.resend()), hex([rr3!]), 'the RR is what a timeout repeats');
});

test('server answers a published SNRM with the published UA and carries the AARQ / AARE exchange (pastebin.com/iKKsDimZ)', () => {
  const s = GURUX_LN_SESSION;
  const server = new HdlcLink({ role: 'server', serverAddress: { logical: 1 }, parameters: { maxInfoTx: 1010, maxInfoRx: 1010 } });
  assert.deepEqual(hex(server.receive(s.snrm)), hex([s.ua]));
  assert.deepEqual(events(server), [{ type: 'connected', params: { maxInfoTx: 1010, maxInfoRx: 1010, windowTx: 1, windowRx: 1 } }]);
  assert.deepEqual(server.receive(s.aarq), []);
  const [aarq] = events(server);
  assert.ok(aarq?.type === 'apdu');
  assert.equal(toHex(aarq.apdu), toHex(apduOf(s.aarq)));
  assert.equal(aarq.apdu.buffer, s.aarq.buffer, 'a single-frame APDU is a view of the received bytes');
  assert.deepEqual(hex(server.sendApdu(apduOf(s.aare))), hex([s.aare]));
  server.receive(s.getRequest);
  const [get] = events(server);
  assert.ok(get?.type === 'apdu');
  assert.equal(toHex(get.apdu), 'C001C1000F0000280000FF0200');

  const client = new HdlcLink({ role: 'client', clientAddress: 0x10, serverAddress: { logical: 1 } });
  assert.deepEqual(hex(client.connect({ maxInfoTx: 1010, maxInfoRx: 1010 })), hex([s.snrm]));
  client.receive(s.ua);
  assert.deepEqual(hex(client.sendApdu(apduOf(s.aarq))), hex([s.aarq]));
  client.receive(s.aare);
  assert.deepEqual(hex(client.sendApdu(apduOf(s.getRequest))), hex([s.getRequest]));
});

test('4-byte server address session (pastebin.com/7HTFDmEv)', () => {
  const s = FOUR_BYTE_SESSION;
  const client = new HdlcLink({ role: 'client', clientAddress: 0x20, serverAddress: { logical: 1, physical: 8821, size: 4 } });
  assert.deepEqual(hex(client.connect({ maxInfoTx: 1500, maxInfoRx: 1500, windowTx: 1, windowRx: 1 })), hex([s.snrm]));
  client.receive(s.ua);
  assert.deepEqual(events(client), [{ type: 'connected', params: { maxInfoTx: 62, maxInfoRx: 248, windowTx: 1, windowRx: 1 } }]);
  // The 62-byte AARQ information field fits the negotiated 62 bytes exactly: one frame, as published.
  assert.deepEqual(hex(client.sendApdu(apduOf(s.aarq))), hex([s.aarq]));
  client.receive(s.aare);
  const [aare] = events(client);
  assert.ok(aare?.type === 'apdu' && aare.apdu[0] === 0x61);
});

/** Carries frames both ways, optionally splitting the byte stream at random and dropping frames. */
class Wire {
  frames = 0;
  constructor(
    readonly client: HdlcLink,
    readonly server: HdlcLink,
    private readonly split?: () => number,
  ) {}

  deliver(to: HdlcLink, frames: Uint8Array[]): void {
    let pending = frames;
    let target = to;
    for (let rounds = 0; pending.length > 0; rounds++) {
      assert.ok(rounds < 10000, 'exchange does not terminate');
      this.frames += pending.length;
      const bytes = Uint8Array.from(pending.flatMap((f) => [...f]));
      const replies: Uint8Array[] = [];
      if (this.split) {
        for (let at = 0; at < bytes.length; ) {
          const n = Math.max(1, Math.min(bytes.length - at, this.split()));
          replies.push(...target.receive(bytes.slice(at, at + n)));
          at += n;
        }
      } else {
        replies.push(...target.receive(bytes));
      }
      pending = replies;
      target = target === this.client ? this.server : this.client;
    }
  }

  connect(params?: Parameters<HdlcLink['connect']>[0]): void {
    this.deliver(this.server, this.client.connect(params));
  }
}

function pair(server: Partial<HdlcLinkOptions> = {}, split?: () => number): Wire {
  const client = new HdlcLink({ role: 'client', clientAddress: 0x10, serverAddress: { logical: 1, physical: 17 } });
  const srv = new HdlcLink({ role: 'server', serverAddress: { logical: 1, physical: 17 }, ...server });
  return new Wire(client, srv, split);
}

function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('client and server exchange long APDUs in segments both ways (window 1)', () => {
  const w = pair({ parameters: { maxInfoTx: 100, maxInfoRx: 64 } });
  w.connect({ maxInfoTx: 200, maxInfoRx: 50 });
  assert.deepEqual(events(w.client), [{ type: 'connected', params: { maxInfoTx: 64, maxInfoRx: 50, windowTx: 1, windowRx: 1 } }]);
  assert.deepEqual(events(w.server), [{ type: 'connected', params: { maxInfoTx: 50, maxInfoRx: 64, windowTx: 1, windowRx: 1 } }]);

  const request = pattern(1000, 1);
  const first = w.client.sendApdu(request);
  assert.equal(first.length, 1, 'window 1: one segment, then wait for RR');
  const f = decodeFrame(first[0]!);
  assert.deepEqual([f.segmented, f.info.length, toHex(f.info.subarray(0, 3))], [true, 64, 'E6E600']);
  w.frames = 0;
  w.deliver(w.server, first);
  const segments = Math.ceil(1003 / 64);
  assert.equal(w.frames, 2 * segments - 1, 'each segment but the last is answered by RR');
  const got = events(w.server);
  assert.equal(got.length, 1);
  assert.ok(got[0]!.type === 'apdu');
  assert.deepEqual([...got[0].apdu], [...request]);

  const response = pattern(3000, 2);
  w.deliver(w.client, w.server.sendApdu(response));
  const back = events(w.client);
  assert.ok(back.length === 1 && back[0]!.type === 'apdu');
  assert.deepEqual([...back[0].apdu], [...response]);
});

test('windows of several frames, random byte chunking and sequence numbers wrapping modulo 8', () => {
  for (let seed = 1; seed <= 5; seed++) {
    const r = rng(seed);
    const w = pair({ parameters: { maxInfoTx: 40, maxInfoRx: 40, windowTx: 3, windowRx: 3 } }, () => 1 + Math.floor(r() * 70));
    w.connect({ maxInfoTx: 40, maxInfoRx: 40, windowTx: 3, windowRx: 3 });
    assert.equal(w.client.parameters.windowTx, 3);
    events(w.server);
    events(w.client);
    const burst = w.client.sendApdu(pattern(500, seed));
    assert.equal(burst.length, 3);
    assert.deepEqual(burst.map((b) => decodeFrame(b).pf), [false, false, true], 'P set on the last frame of the window');
    w.deliver(w.server, burst);
    const req = events(w.server);
    assert.ok(req.length === 1 && req[0]!.type === 'apdu');
    assert.deepEqual([...req[0].apdu], [...pattern(500, seed)]);
    w.deliver(w.client, w.server.sendApdu(pattern(10, 0)));
    events(w.client);
    for (let i = 0; i < 20; i++) {
      const size = 1 + Math.floor(r() * 300);
      w.deliver(w.server, w.client.sendApdu(pattern(size, i)));
      const a = events(w.server);
      assert.ok(a.length === 1 && a[0]!.type === 'apdu' && a[0].apdu.length === size, `request ${i}`);
      w.deliver(w.client, w.server.sendApdu(pattern(size * 2, i)));
      const b = events(w.client);
      assert.ok(b.length === 1 && b[0]!.type === 'apdu');
      assert.deepEqual([...b[0].apdu], [...pattern(size * 2, i)]);
    }
  }
});

test('lost frames are recovered with resend() after the caller’s timeout', () => {
  const w = pair({ parameters: { maxInfoTx: 32, maxInfoRx: 32 } });
  w.connect();
  events(w.client);
  events(w.server);

  // A request segment is lost: the client repeats it.
  const lostRequest = w.client.sendApdu(pattern(100, 3));
  assert.deepEqual(hex(w.client.resend()), hex(lostRequest));
  w.deliver(w.server, w.client.resend());
  assert.equal(events(w.server).filter((e) => e.type === 'apdu').length, 1);

  // A response segment is lost: the client's repeated RR makes the server repeat it.
  const responseFrames = w.server.sendApdu(pattern(100, 4));
  const rr = w.client.receive(responseFrames[0]!);
  const second = w.server.receive(rr[0]!); // second segment, lost on the way
  assert.equal(second.length, 1);
  const repeated = w.server.receive(w.client.resend()[0]!);
  assert.deepEqual(hex(repeated), hex(second), 'same N(S), same bytes');
  w.deliver(w.client, repeated);
  const got = events(w.client);
  assert.ok(got.length === 1 && got[0]!.type === 'apdu');
  assert.deepEqual([...got[0].apdu], [...pattern(100, 4)]);

  // The response is lost: the repeated request is recognised as a repeat and the response repeated.
  const request = w.client.sendApdu(Uint8Array.of(0xc0, 0x01));
  w.server.receive(request[0]!);
  assert.deepEqual(events(w.server).map((e) => e.type), ['apdu']);
  const response = w.server.sendApdu(Uint8Array.of(0xc4, 0x01)); // lost
  const again = w.server.receive(w.client.resend()[0]!);
  assert.deepEqual(hex(again), hex(response));
  assert.deepEqual(events(w.server).map((e) => e.type), ['ignored'], 'not delivered twice');
  w.client.receive(again[0]!);
  assert.deepEqual(events(w.client).map((e) => e.type), ['apdu']);
});

test('disconnect: DISC → UA; DM for a link that is not connected; DM refuses SNRM', () => {
  const w = pair();
  w.connect();
  events(w.client);
  events(w.server);
  w.deliver(w.server, w.client.disconnect());
  assert.deepEqual(events(w.server), [{ type: 'disconnected', reason: 'peer' }]);
  assert.deepEqual(events(w.client), [{ type: 'disconnected', reason: 'local' }]);
  assert.equal(w.client.state, 'disconnected');
  assert.equal(w.server.state, 'disconnected');

  const disc = encodeFrame({ type: 'DISC', destination: { logical: 1, physical: 17 }, source: { logical: 0x10 } });
  assert.equal(decodeFrame(w.server.receive(disc)[0]!).type, 'DM');
  const i = encodeFrame({ type: 'I', destination: { logical: 1, physical: 17 }, source: { logical: 0x10 }, info: Uint8Array.of(0xe6, 0xe6, 0, 1) });
  assert.equal(decodeFrame(w.server.receive(i)[0]!).type, 'DM');

  const client = new HdlcLink({ role: 'client', clientAddress: 0x10, serverAddress: { logical: 1 } });
  client.connect();
  client.receive(encodeFrame({ type: 'DM', destination: { logical: 0x10 }, source: { logical: 1 } }));
  assert.deepEqual(events(client), [{ type: 'disconnected', reason: 'refused' }]);
  assert.throws(() => client.sendApdu(Uint8Array.of(1)), { code: 'DLMS_ERR_STATE' });
});

test('frames for other addresses are ignored with an event', () => {
  const w = pair();
  w.connect();
  events(w.server);
  events(w.client);
  const otherServer = encodeFrame({ type: 'SNRM', destination: { logical: 1, physical: 18 }, source: { logical: 0x10 } });
  assert.deepEqual(w.server.receive(otherServer), []);
  const otherClient = encodeFrame({ type: 'RR', destination: { logical: 1, physical: 17 }, source: { logical: 0x20 } });
  assert.deepEqual(w.server.receive(otherClient), []);
  assert.deepEqual(events(w.server).map((e) => e.type === 'ignored' && e.reason), ['address', 'address']);
  const toOtherClient = encodeFrame({ type: 'UA', destination: { logical: 0x11 }, source: { logical: 1, physical: 17 } });
  assert.deepEqual(w.client.receive(toOtherClient), []);
  assert.deepEqual(events(w.client).map((e) => e.type === 'ignored' && e.reason), ['address']);
});

test('RNR: the peer is busy; resend() polls with RR', () => {
  const w = pair({ parameters: { maxInfoTx: 32, maxInfoRx: 32 } });
  w.connect();
  events(w.client);
  const first = w.client.sendApdu(pattern(80, 5));
  assert.equal(first.length, 1);
  const rnr = encodeFrame({ type: 'RNR', destination: { logical: 0x10 }, source: { logical: 1, physical: 17 }, nr: 1 });
  assert.deepEqual(w.client.receive(rnr), []);
  assert.deepEqual(events(w.client), [{ type: 'peer-busy' }]);
  const poll = decodeFrame(w.client.resend()[0]!);
  assert.deepEqual([poll.type, poll.nr, poll.pf], ['RR', 0, true]);
  const rr = encodeFrame({ type: 'RR', destination: { logical: 0x10 }, source: { logical: 1, physical: 17 }, nr: 1 });
  const next = decodeFrame(w.client.receive(rr)[0]!);
  assert.deepEqual([next.type, next.ns, next.segmented], ['I', 1, true], 'the next segment once the peer is ready');
});

test('garbage, corrupted frames, bad LLC and oversize reassembly become events', () => {
  const w = pair({ maxApduSize: 100, parameters: { maxInfoTx: 32, maxInfoRx: 32 } });
  w.connect();
  events(w.server);
  const good = w.client.sendApdu(Uint8Array.of(0xc0, 0x01, 0xc1))[0]!;
  const bad = good.slice();
  bad[bad.length - 2]! ^= 0xff;
  assert.deepEqual(w.server.receive(Uint8Array.from([0x01, 0x02, ...bad])), []);
  const ev = events(w.server);
  assert.equal(ev[0]!.type, 'skipped');
  assert.ok(ev[1]!.type === 'error' && ev[1].error.code === 'DLMS_ERR_HDLC_FCS');
  w.server.receive(good);
  assert.deepEqual(events(w.server).map((e) => e.type), ['apdu']);
  w.deliver(w.client, w.server.sendApdu(Uint8Array.of(0xc4)));

  const noLlc = new HdlcLink({ role: 'server', serverAddress: { logical: 1 } });
  noLlc.receive(encodeFrame({ type: 'SNRM', destination: { logical: 1 }, source: { logical: 0x10 } }));
  events(noLlc);
  noLlc.receive(encodeFrame({ type: 'I', destination: { logical: 1 }, source: { logical: 0x10 }, info: Uint8Array.of(0xc0, 0x01, 0xc1, 0x00) }));
  const [llcError] = events(noLlc);
  assert.ok(llcError?.type === 'error' && llcError.error.code === 'DLMS_ERR_HDLC_FORMAT' && llcError.error.offset === 0);

  const big = w.client.sendApdu(pattern(500, 1));
  w.deliver(w.server, big);
  const over = events(w.server);
  assert.ok(over.some((e) => e.type === 'error' && e.error.code === 'DLMS_ERR_LENGTH'));
  assert.ok(!over.some((e) => e.type === 'apdu'));
});

test('llc: false leaves the information field to the caller', () => {
  const client = new HdlcLink({ role: 'client', clientAddress: 0x10, serverAddress: { logical: 1 }, llc: false });
  client.connect();
  client.receive(GURUX_SN_SESSION.ua);
  const withLlc = decodeFrame(GURUX_SN_SESSION.aarq).info;
  assert.deepEqual(hex(client.sendApdu(withLlc)), hex([GURUX_SN_SESSION.aarq]));
});
