/**
 * The HES side of the IEC 62056-21 mode E opening over TCP: against the simulator's mode E ports, and against
 * scripted peers for what real modems and meters do (an echo of the request, no binary mode, silence).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { DEFAULT_FLEET, Fleet } from '../../sim/fleet.js';
import { startTcp } from '../../sim/transport/tcp.js';
import type { ExchangeStep } from '../exchange-log/log.js';
import { openModeE } from './mode-e.js';
import { ConnectError, connectTcp } from './socket.js';

/** A peer that answers each chunk it receives with the next scripted reply (none: silent). */
async function scripted(replies: string[]): Promise<{ server: Server; port: number; received: string[] }> {
  const received: string[] = [];
  const server = createServer((s: Socket) => {
    let i = 0;
    s.on('data', (d: Buffer) => {
      received.push(d.toString('latin1'));
      const r = replies[i++];
      if (r) s.write(Buffer.from(r, 'latin1'));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, received };
}

test('opens a simulated mode E port: identification, the speed capped at the meter\'s, a step in the exchange log', async () => {
  const fleet = new Fleet({ ...DEFAULT_FLEET, meters: 2 }, () => Date.now());
  const tcp = await startTcp({ fleet, framing: 'hdlc', port: 0, modeE: true });
  const steps: ExchangeStep[] = [];
  try {
    const t = await connectTcp('127.0.0.1', tcp.ports[0]!);
    const opened = await openModeE(t, { address: fleet.serial(1), baudRate: 19200, timeoutMs: 2000, switchWaitMs: 20, log: { step: (s) => steps.push(s) } });
    assert.deepEqual(opened, { identification: { manufacturer: 'EGM', baudRate: 9600, hdlc: true, identification: 'CE308' }, baudRate: 9600 });
    assert.deepEqual(steps.map((s) => [s.name, s.ok]), [['mode E: EGM "CE308" up to 9600 Bd, HDLC at 9600 Bd', true]]);
    t.close();
    // A line run slower than the meter offers asks for the line's speed.
    const slow = await connectTcp('127.0.0.1', tcp.ports[0]!);
    assert.equal((await openModeE(slow, { baudRate: 2400, timeoutMs: 2000, switchWaitMs: 0 })).baudRate, 2400);
    slow.close();
  } finally {
    await tcp.close();
  }
});

test('skips an echo of the request; refuses a meter without binary mode, silence and a malformed answer', async () => {
  const echo = await scripted(['/?!\r\n/ABC5\\2X1\r\n']);
  const t = await connectTcp('127.0.0.1', echo.port);
  const opened = await openModeE(t, { baudRate: 9600, timeoutMs: 2000, switchWaitMs: 0 });
  assert.equal(opened.identification.manufacturer, 'ABC');
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(echo.received.join(''), '/?!\r\n\x06252\r\n', 'the request, then ACK 2 5 2');
  t.close();
  echo.server.close();

  const cases: [string[], RegExp][] = [
    [['/ISK5MT174\r\n'], /offers no binary mode \(mode E\): ISK "MT174" up to 9600 Bd/],
    [[], /no IEC 62056-21 identification within 300 ms/],
    [['/ISK9\\2MT174\r\n'], /IEC 62056-21 mode E: speed character "9"/],
  ];
  for (const [replies, message] of cases) {
    const peer = await scripted(replies);
    const steps: ExchangeStep[] = [];
    const c = await connectTcp('127.0.0.1', peer.port);
    await assert.rejects(openModeE(c, { baudRate: 9600, timeoutMs: 300, switchWaitMs: 0, log: { step: (s) => steps.push(s) } }), (e: Error) => e instanceof ConnectError && message.test(e.message));
    assert.deepEqual(steps.map((s) => [s.name, s.ok]), [['mode E opening', false]]);
    c.close();
    peer.server.close();
  }
});
