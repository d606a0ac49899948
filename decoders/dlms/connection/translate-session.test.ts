/**
 * A whole HLS-GMAC session over HDLC, captured on the wire and fed to the translator of `hes decode`:
 * SNRM/UA, the ciphered AARQ/AARE, the HLS ACTION, a suite-0 ciphered GET whose 300-row profile comes
 * back in GET-Response-With-Datablock blocks cut into HDLC segments. The translator must get back
 * exactly what the meter sent, learning the system titles from the AARQ/AARE.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex } from '../axdr/writer.js';
import { decodeDataBytes, encodeDataBytes, dataToJson } from '../axdr/data.js';
import { translate } from '../translator.js';
import { DlmsClientConnection } from './client.js';
import { DlmsServerConnection } from './server.js';
import { attr, pump, seededRandom, SimulatedMeter, type PumpOptions } from './testkit.js';
import type { DlmsData } from '../axdr/types.js';

const EK = fromHex('000102030405060708090A0B0C0D0E0F');
const AK = fromHex('D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF');
const PROFILE = attr(7, '1.0.99.1.0.255', 2);

function profile(): DlmsData {
  return {
    type: 'array',
    value: Array.from({ length: 300 }, (_, i): DlmsData => ({
      type: 'structure',
      value: [
        { type: 'octet-string', value: Uint8Array.from([0x07, 0xe8, 1, 1 + (i >> 6), 0xff, (i >> 2) & 15, (i & 3) * 15, 0, 0, 0x80, 0, 0]) },
        { type: 'double-long-unsigned', value: 100_000 + i * 7 },
      ],
    })),
  };
}

test('hes decode reads back a captured HLS-GMAC session with a block-transferred profile across HDLC segments', () => {
  const settings = { authentication: 'high-gmac', securityPolicy: 'authenticated-and-encrypted', keys: { blockCipherKey: EK, authenticationKey: AK } } as const;
  const client = new DlmsClientConnection(
    { framing: 'hdlc', clientAddress: 48, systemTitle: fromHex('4D4D4D0000BC614E'), maxReceivePduSize: 256, hdlc: { maxInfoTx: 64, maxInfoRx: 64 }, invocationCounter: 5, ...settings },
    { random: seededRandom(3) },
  );
  const server = new DlmsServerConnection(
    {
      framing: 'hdlc',
      systemTitle: fromHex('4D4D4D0000000001'),
      hdlc: { maxInfoTx: 64, maxInfoRx: 64 },
      associations: [{ clientAddress: 48, ...settings }],
    },
    { random: seededRandom(4) },
  );
  const meter = new SimulatedMeter().set(PROFILE, profile());
  const trace: NonNullable<PumpOptions['trace']> = [];
  client.connect();
  pump(client, server, meter, { trace });
  client.associate();
  pump(client, server, meter, { trace });
  assert.equal(client.state, 'associated');
  client.get(PROFILE);
  const events = pump(client, server, meter, { trace }).client;
  assert.equal(events[0]?.type, 'get-response');

  const wire = Uint8Array.from(trace.flatMap((t) => [...t.bytes]));
  // The profile must really have been split: several blocks, and segmented HDLC frames (format A8).
  assert.ok(trace.filter((t) => t.bytes[1] === 0xa8).length > 3);
  const t = translate(wire, { blockCipherKey: EK, authenticationKey: AK });
  assert.equal(t.framing, 'hdlc');
  const ciphered = t.apdus.filter((a) => a.ciphered);
  assert.ok(ciphered.length >= 4, 'initiate request/response, HLS action and GET blocks are ciphered');
  for (const a of ciphered) assert.equal(a.ciphered!.deciphered, true, a.summary + ' ' + (a.ciphered!.reason ?? ''));
  const types = t.apdus.map((a) => (a.apdu as { type: string }).type);
  assert.ok(types.includes('aarq') && types.includes('aare') && types.includes('action-request-normal'));
  assert.ok(types.filter((x) => x === 'get-response-with-datablock').length > 2);
  const joined = t.reassembled.find((r) => (r as { kind: string }).kind === 'get-response-with-datablock') as { data: unknown };
  assert.deepEqual(joined.data, dataToJson(decodeDataBytes(encodeDataBytes(profile()))));
});
