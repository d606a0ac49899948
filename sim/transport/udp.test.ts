import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { DlmsData } from '../../decoders/dlms/axdr/types.js';
import { entryAccess } from '../../decoders/dlms/apdu/index.js';
import { DlmsClientConnection, type ClientEvent } from '../../decoders/dlms/connection/index.js';
import { compileRowLayout, decodeCaptureObjects, profileRowsFromData } from '../../decoders/dlms/cosem/index.js';
import { parseObis } from '../../decoders/dlms/obis.js';
import { DEFAULT_FLEET, Fleet } from '../fleet.js';
import { WPORT_BASE } from './addressing.js';
import { startUdp } from './tcp.js';

const NOW = Date.UTC(2025, 2, 10, 9, 34, 56);

test('UDP wrapper: one datagram per WPDU, meters by wPort, a day of 15-minute profile in blocks no larger than the meter\'s buffer', async () => {
  const fleet = new Fleet({ ...DEFAULT_FLEET, meters: 3 }, () => NOW);
  const udp = await startUdp({ fleet, port: 0 });
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  try {
    for (const [index, wPort] of [
      [0, 1],
      [2, WPORT_BASE + 2],
    ] as const) {
      const client = new DlmsClientConnection({ framing: 'wrapper', clientAddress: 16, serverWPort: wPort });
      const events: ClientEvent[] = [];
      let datagrams = 0;
      let largest = 0;
      const onMessage = (msg: Buffer): void => {
        datagrams++;
        largest = Math.max(largest, msg.length);
        client.receiveData(new Uint8Array(msg));
        pump();
      };
      const pump = (): void => {
        for (const b of client.takeOutgoing()) socket.send(b, udp.ports[0]!, '127.0.0.1');
        for (let e = client.nextEvent(); e; e = client.nextEvent()) events.push(e);
      };
      const next = async (type: ClientEvent['type']): Promise<ClientEvent> => {
        pump();
        for (let i = 0; i < 200; i++) {
          const at = events.findIndex((e) => e.type === type);
          if (at >= 0) return events.splice(at, 1)[0]!;
          await new Promise((r) => setTimeout(r, 10));
        }
        throw new Error(`no ${type}; got ${events.map((e) => e.type).join(', ')}`);
      };
      const get = async (classId: number, obis: string, attributeId: number, access?: Parameters<DlmsClientConnection['get']>[1]): Promise<DlmsData> => {
        client.get({ classId, instanceId: parseObis(obis), attributeId }, access);
        const e = await next('get-response');
        assert.ok(e.type === 'get-response' && e.result.type === 'data', JSON.stringify(e));
        return e.result.value;
      };
      socket.on('message', onMessage);
      client.connect();
      client.associate();
      await next('associated');
      assert.deepEqual(await get(1, '0.0.96.1.0.255', 2), { type: 'visible-string', value: fleet.serial(index) });
      const layout = compileRowLayout(decodeCaptureObjects(await get(7, '1.0.99.3.0.255', 3)));
      const before = datagrams;
      const rows = profileRowsFromData(await get(7, '1.0.99.3.0.255', 2, entryAccess({ fromEntry: 2881, toEntry: 2976, fromSelectedValue: 1, toSelectedValue: 0 })), layout);
      assert.equal(rows.length, 96);
      // The client offers 65,535 bytes; the meter sends no APDU above its own 1,024 (8-byte WPDU header on top), one datagram each.
      assert.ok(datagrams - before > 1, `${datagrams - before} datagrams`);
      assert.ok(largest <= 8 + fleet.profile.maxPduSize, `largest datagram ${largest} bytes`);
      client.release();
      await next('released');
      socket.off('message', onMessage);
    }
    assert.equal(udp.connections, 2, 'a session per (peer, wPort) until idle');
  } finally {
    socket.close();
    await udp.close();
  }
});
