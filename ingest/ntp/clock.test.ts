/** The HES clock against an SNTP server on loopback: the offset's size and sign, the threshold, failures kept. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clockOffset, parseSntpReply, sntpReply, sntpRequest, SntpError } from '../../decoders/ntp/sntp.js';
import { ClockWatch } from './clock.js';
import { startSntpServer, type TestSntpServer } from './testing.js';

describe('SNTP packets', () => {
  it('round-trips timestamps with their fraction and gives the RFC 4330 offset and round trip', () => {
    const request = sntpRequest(Date.UTC(2026, 11, 7, 12, 0, 0, 250));
    assert.deepEqual([request.length, request[0]], [48, 0x23]);
    const reply = parseSntpReply(sntpReply(request, Date.UTC(2026, 11, 7, 12, 0, 10, 500), Date.UTC(2026, 11, 7, 12, 0, 10, 750)));
    assert.ok(Math.abs(reply.originateMs - Date.UTC(2026, 11, 7, 12, 0, 0, 250)) < 0.001);
    assert.ok(Math.abs(reply.transmitMs - Date.UTC(2026, 11, 7, 12, 0, 10, 750)) < 0.001);
    assert.deepEqual(clockOffset(1000, 11_000, 11_100, 1300), { offsetMs: 9_900, roundTripMs: 200 });
  });

  it('refuses what is no usable server reply', () => {
    const request = sntpRequest(Date.now());
    assert.throws(() => parseSntpReply(request), (e: Error) => e instanceof SntpError && /mode 3/.test(e.message));
    assert.throws(() => parseSntpReply(sntpReply(request, 0, 0, 0)), /refused/);
    assert.throws(() => parseSntpReply(new Uint8Array(20)), /48 bytes/);
  });
});

describe('ClockWatch', () => {
  let server: TestSntpServer;
  before(async () => {
    server = await startSntpServer();
  });
  after(() => server.close());

  it('measures the HES clock against the server: in step, behind, ahead; the threshold makes it a problem', async () => {
    const watch = new ClockWatch({ server: server.address, maxOffsetSeconds: 5 });
    server.skewMs = 0;
    const inStep = await watch.check();
    assert.ok(Math.abs(inStep.offsetSeconds!) < 5, `offset ${inStep.offsetSeconds}`);
    assert.equal(watch.problem(), undefined);
    server.skewMs = 120_000; // the server is 2 min ahead: the HES clock is behind
    const behind = await watch.check();
    assert.ok(behind.offsetSeconds! < -115 && behind.offsetSeconds! > -125, `offset ${behind.offsetSeconds}`);
    assert.match(watch.problem()!, /the HES clock is 1\d\d\.\d{3} s behind NTP \(127\.0\.0\.1:\d+\), above the 5 s allowed/);
    server.skewMs = -60_000;
    assert.ok((await watch.check()).offsetSeconds! > 55);
    assert.match(watch.problem()!, /ahead of NTP/);
  });

  it('keeps a failed query as the last error and the last offset as it was', async () => {
    const watch = new ClockWatch({ server: server.address, maxOffsetSeconds: 5, timeoutMs: 500 });
    server.skewMs = 0;
    const ok = await watch.check();
    server.kiss = true;
    const refused = await watch.check();
    server.kiss = false;
    assert.match(refused.lastError!.message, /the server refused/);
    assert.equal(refused.offsetSeconds, ok.offsetSeconds);
    const silent = new ClockWatch({ server: '127.0.0.1:9', maxOffsetSeconds: 5, timeoutMs: 300 });
    const state = await silent.check();
    assert.equal(state.offsetSeconds, undefined);
    assert.ok(state.lastError, 'no answer is an error');
    assert.equal(silent.problem(), undefined, 'an unknown offset is no reason to stop syncing meters');
  });
});
