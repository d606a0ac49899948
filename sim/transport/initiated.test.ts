import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { DlmsClientConnection, type ClientEvent } from '../../decoders/dlms/connection/index.js';
import { parseObis } from '../../decoders/dlms/obis.js';
import { DEFAULT_FLEET, Fleet } from '../fleet.js';
import { imeiOf, startInitiated } from './initiated.js';

test('IMEI has 15 digits and a valid Luhn check digit', () => {
  const imei = imeiOf('30800001');
  assert.match(imei, /^35\d{13}$/);
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    let d = Number(imei[14 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  assert.equal(sum % 10, 0);
});

test('meters dial in, identify, push, answer a GET on the same connection, and come back after a last gasp', async () => {
  const fleet = new Fleet({ ...DEFAULT_FLEET, meters: 3 });
  const sockets: Socket[] = [];
  const firstBytes: string[] = [];
  const hes = createServer((s) => {
    const i = sockets.push(s) - 1;
    firstBytes[i] = '';
    const record = (d: Buffer) => (firstBytes[i] += d.toString('latin1'));
    s.on('data', record);
    setTimeout(() => s.off('data', record), 150); // what arrives before the HES speaks
  });
  await new Promise<void>((r) => hes.listen(0, '127.0.0.1', () => r()));
  const port = (hes.address() as { port: number }).port;
  const sims = startInitiated({ fleet, framing: 'wrapper', host: '127.0.0.1', port, announce: 'both', backoffMs: [50, 200] });
  try {
    for (let i = 0; i < 100 && (sockets.length < 3 || firstBytes.some((b) => !b.includes('\x00\x66'))); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(sims.connected, 3);
    assert.ok(firstBytes.some((b) => b.startsWith(`ID:${imeiOf(fleet.serial(0))};SN:${fleet.serial(0)}\r\n`)));
    // talk to one of them with the client role on the connection it opened
    const s = sockets[0]!;
    await new Promise((r) => setTimeout(r, 200)); // the identification line and the push are recorded
    assert.ok(firstBytes.every((b) => b.includes('\x00\x01\x00\x01\x00\x66')), 'a WPDU from wPort 1 to the push client 102 follows');
    const client = new DlmsClientConnection({ framing: 'wrapper', clientAddress: 16, serverWPort: 1 });
    const events: ClientEvent[] = [];
    s.on('data', (d) => {
      client.receiveData(new Uint8Array(d));
      for (let e = client.nextEvent(); e; e = client.nextEvent()) events.push(e);
      for (const b of client.takeOutgoing()) s.write(b);
    });
    client.connect();
    client.associate();
    for (const b of client.takeOutgoing()) s.write(b);
    for (let i = 0; i < 50 && !events.some((e) => e.type === 'associated'); i++) await new Promise((r) => setTimeout(r, 20));
    client.get({ classId: 1, instanceId: parseObis('0.0.96.1.0.255'), attributeId: 2 });
    for (const b of client.takeOutgoing()) s.write(b);
    for (let i = 0; i < 50 && !events.some((e) => e.type === 'get-response'); i++) await new Promise((r) => setTimeout(r, 20));
    const r = events.find((e) => e.type === 'get-response');
    assert.ok(r && r.type === 'get-response' && r.result.type === 'data');
    assert.match(JSON.stringify(r.result), /"value":"3080000\d"/);
    sims.lastGasp(1, 50);
    for (let i = 0; i < 100 && sockets.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(sockets.length, 4, 'the meter dialled in again after its outage');
  } finally {
    sims.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => hes.close(r));
  }
});
