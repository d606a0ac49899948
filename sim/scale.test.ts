import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { DlmsClientConnection, type ClientEvent } from '../decoders/dlms/connection/index.js';
import { parseObis } from '../decoders/dlms/obis.js';
import { DEFAULT_FLEET, Fleet } from './fleet.js';
import { WPORT_BASE } from './transport/addressing.js';
import { imeiOf, startInitiated } from './transport/initiated.js';
import { startTcp } from './transport/tcp.js';

const N = 2000;

/** Associates with the public client and reads the serial number over one socket. */
function readSerial(socket: Socket, wPort: number): Promise<string> {
  const client = new DlmsClientConnection({ framing: 'wrapper', clientAddress: 16, serverWPort: wPort });
  return new Promise((resolve, reject) => {
    const pump = (): void => {
      for (const b of client.takeOutgoing()) socket.write(b);
      for (let e: ClientEvent | undefined = client.nextEvent(); e; e = client.nextEvent()) {
        if (e.type === 'associated') client.get({ classId: 1, instanceId: parseObis('0.0.96.1.0.255'), attributeId: 2 });
        else if (e.type === 'get-response' && e.result.type === 'data') resolve(String((e.result.value as { value: unknown }).value));
        else if (e.type !== 'link-connected') reject(new Error(JSON.stringify(e)));
      }
      for (const b of client.takeOutgoing()) socket.write(b);
    };
    socket.on('data', (d) => (client.receiveData(new Uint8Array(d)), pump()));
    client.connect();
    client.associate();
    pump();
  });
}

test(`${N} meters behind one port answer ${N} concurrent connections`, async () => {
  const fleet = new Fleet({ ...DEFAULT_FLEET, meters: N });
  const tcp = await startTcp({ fleet, framing: 'wrapper', port: 0 });
  const sockets: Socket[] = [];
  try {
    const serials = await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        const s = connect(tcp.ports[0]!, '127.0.0.1');
        sockets.push(s);
        await new Promise((r) => s.once('connect', r));
        return readSerial(s, WPORT_BASE + i);
      }),
    );
    assert.equal(tcp.connections, N);
    assert.deepEqual(serials, Array.from({ length: N }, (_, i) => fleet.serial(i)));
  } finally {
    for (const s of sockets) s.destroy();
    await tcp.close();
  }
});

test(`${N} meter-initiated connections identify themselves and answer on the connection they opened`, async () => {
  const fleet = new Fleet({ ...DEFAULT_FLEET, meters: N });
  const ids = new Map<string, Socket>();
  const hes = createServer((s) => {
    let line = '';
    const onData = (d: Buffer): void => {
      line += d.toString('latin1');
      const m = /^ID:(\d{15});SN:(\d+)\r\n/.exec(line);
      if (m) {
        s.off('data', onData);
        assert.equal(m[1], imeiOf(m[2]!));
        ids.set(m[2]!, s);
      }
    };
    s.on('data', onData);
  });
  hes.maxConnections = N + 10;
  await new Promise<void>((r) => hes.listen(0, '127.0.0.1', 4096, () => r()));
  const sims = startInitiated({ fleet, framing: 'wrapper', host: '127.0.0.1', port: (hes.address() as { port: number }).port, announce: 'id', backoffMs: [200, 2000] });
  try {
    for (let i = 0; i < 500 && ids.size < N; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(ids.size, N);
    assert.equal(sims.connected, N);
    const sample = [0, 1, 999, N - 1].map((i) => fleet.serial(i));
    assert.deepEqual(await Promise.all(sample.map((sn) => readSerial(ids.get(sn)!, 1))), sample);
  } finally {
    sims.close();
    for (const s of ids.values()) s.destroy();
    await new Promise((r) => hes.close(r));
  }
});
