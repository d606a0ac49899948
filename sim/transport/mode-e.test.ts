/**
 * The simulator's mode E option: the port answers the IEC 62056-21 request with its identification, HDLC
 * starts after the option select, and a meter stays silent to HDLC sent without the opening and to a
 * request addressed to another meter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { encodeOptionSelect, encodeRequest } from '../../decoders/dlms/mode-e/mode-e.js';
import { DEFAULT_FLEET, Fleet } from '../fleet.js';
import { HDLC_PHYSICAL_BASE } from './addressing.js';
import { ClientSap } from './session.js';
import { startTcp } from './tcp.js';
import { Driver } from './testkit.js';
import { DlmsClientConnection } from '../../decoders/dlms/connection/index.js';

const NOW = Date.UTC(2025, 2, 10, 9, 34, 56);

/** A raw connection: what it received so far, and a wait for more. */
async function dialRaw(port: number): Promise<{ socket: Socket; received: () => string; quietFor: (ms: number) => Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  let got = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
  return {
    socket,
    received: () => got.toString('latin1'),
    quietFor: async (ms) => {
      await new Promise((r) => setTimeout(r, ms));
      return got.toString('latin1');
    },
  };
}

async function until(f: () => string, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 100 && !pattern.test(f()); i++) await new Promise((r) => setTimeout(r, 20));
  return f();
}

test('mode E: identification on the request, HDLC after the option select; silent without the opening', async () => {
  const fleet = new Fleet({ ...DEFAULT_FLEET, meters: 3 }, () => NOW);
  const tcp = await startTcp({ fleet, framing: 'hdlc', port: 0, modeE: true });
  try {
    // HDLC straight away: a port in mode E does not answer the SNRM.
    const plain = await dialRaw(tcp.ports[0]!);
    const client = new DlmsClientConnection({ framing: 'hdlc', clientAddress: ClientSap.public, serverLogicalAddress: 1, serverAddressSize: 1 });
    client.connect();
    for (const b of client.takeOutgoing()) plain.socket.write(b);
    assert.equal(await plain.quietFor(300), '', 'no answer to HDLC without the opening');
    plain.socket.destroy();

    // A request for another meter's address goes unanswered; for this one (or none) the identification comes.
    const raw = await dialRaw(tcp.ports[0]!);
    raw.socket.write(encodeRequest('NOT-A-METER'));
    assert.equal(await raw.quietFor(200), '');
    raw.socket.write(encodeRequest(fleet.serial(2)));
    assert.equal(await until(raw.received, /\r\n$/), '/EGM5\\2CE308\r\n');
    // The option select and the SNRM in one write: HDLC follows at once, to the meter the request named.
    const d = new Driver(raw.socket, new DlmsClientConnection({
      framing: 'hdlc', clientAddress: ClientSap.public, serverLogicalAddress: 1, serverPhysicalAddress: HDLC_PHYSICAL_BASE + 2, serverAddressSize: 4,
    }));
    raw.socket.write(encodeOptionSelect(9600));
    d.client.connect();
    await d.until(['link-connected']);
    d.client.associate();
    assert.equal((await d.until(['associated', 'association-rejected'])).type, 'associated');
    assert.deepEqual(await d.get(1, '0.0.96.1.0.255', 2), { type: 'visible-string', value: fleet.serial(2) });
    raw.socket.destroy();

    // An option select for another mode (data readout) closes the connection.
    const readout = await dialRaw(tcp.ports[0]!);
    readout.socket.write(encodeRequest());
    await until(readout.received, /\r\n$/);
    readout.socket.write(new Uint8Array([0x06, 0x30, 0x35, 0x30, 0x0d, 0x0a]));
    await new Promise((r) => readout.socket.once('close', r));
  } finally {
    await tcp.close();
  }
  await assert.rejects(startTcp({ fleet: new Fleet(DEFAULT_FLEET, () => NOW), framing: 'wrapper', port: 0, modeE: true }), /mode E opens HDLC/);
});
