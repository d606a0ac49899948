/**
 * What the fuzzer feeds the M-Bus codec: whole telegrams (wired and wireless, every security mode, with
 * and without CRC blocks), data records alone and wired frames, seeded with the published fixtures and
 * telegrams built by the encoder, so mutations start from realistic bytes.
 */
import type { FuzzTarget } from '../../fuzz.js';
import { encodeRecords, encodeWiredResponse, encodeWirelessTelegram } from '../encode.js';
import { isMbusError } from '../errors.js';
import * as F from '../fixtures.js';
import { decodeWiredFrame, encodeLongFrame, encodeShortFrame, wiredFrameLength } from '../link.js';
import { decodeRecords, Records } from '../records.js';
import { MbusDecoder } from '../telegram.js';
import { translateTelegram } from '../translator.js';

const codeOf = (e: unknown): string | undefined => (isMbusError(e) ? e.code : undefined);
const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const KEY = bytes('000102030405060708090A0B0C0D0E0F');

function builtSeeds(): Uint8Array[] {
  const records = encodeRecords([
    { dataField: 0x04, vib: [0x13], value: 123_456 },
    { dataField: 0x04, vib: [0x6d], value: Date.UTC(2024, 5, 1, 12, 0) },
    { dataField: 0x02, vib: [0xfd, 0x17], value: 3 },
    { dataField: 0x0c, vib: [0x06], value: 4711, storage: 1, tariff: 1 },
    { dataField: 0x02, vib: [0x5a], value: 215 },
  ]);
  const meter = { manufacturer: 'HES', id: '12345678', version: 1, deviceType: 7 };
  const out: Uint8Array[] = [];
  for (const mode of [0, 5, 7] as const) {
    for (const frameFormat of ['A', 'B', 'none'] as const) {
      out.push(encodeWirelessTelegram({ meter, accessNumber: 9, mode, key: KEY, messageCounter: 5, records, frameFormat }));
    }
  }
  out.push(encodeWiredResponse({ meter, address: 3, accessNumber: 1, mode: 0, records }));
  out.push(encodeWiredResponse({ meter, address: 3, accessNumber: 1, mode: 5, key: KEY, records }));
  return out;
}

export function mbusFuzzTargets(): FuzzTarget[] {
  const fixtures = Object.values(F);
  const telegrams = [...fixtures.map((f) => bytes(f.hex)), ...builtSeeds()];
  const keyed = new Map(telegrams.map((t, i) => [t, i < fixtures.length && fixtures[i]!.key ? bytes(fixtures[i]!.key!) : KEY]));
  // Plaintext records, as the decoder sees them after the TPL header and decryption.
  const recordSeeds = fixtures.filter((f) => !f.key).map((f) => bytes(f.hex).subarray(f.hex.startsWith('68') ? 19 : 15));
  recordSeeds.push(bytes('0DFD0E033332310D13C234120D13E301020304FB000500000002FD48E6000493FD3B02000000'));
  const decoder = new MbusDecoder();
  const records = new Records(4);
  const targets: Omit<FuzzTarget, 'codeOf'>[] = [
    { name: 'mbus.decode', run: (b) => decoder.decode(b), seeds: telegrams },
    // With the key of the seed the mutation started from, when the length still matches, decryption runs.
    { name: 'mbus.decode.keyed', run: (b) => decoder.decode(b, { key: keyed.get(b) ?? KEY }), seeds: telegrams },
    { name: 'mbus.records', run: (b) => decodeRecords(b, 0, b.length, records), seeds: recordSeeds },
    { name: 'mbus.translate', run: (b) => translateTelegram(b, { key: KEY }), seeds: telegrams },
    {
      name: 'mbus.wiredFrame',
      run: (b) => {
        const n = wiredFrameLength(b, 0);
        return n > 0 ? decodeWiredFrame(b.subarray(0, n)) : n;
      },
      seeds: [encodeShortFrame(0x7b, 1), encodeLongFrame(0x53, 0xfd, 0x52, bytes('78563412FFFFFFFF')), ...telegrams.filter((t) => t[0] === 0x68)],
    },
  ];
  return targets.map((t) => ({ ...t, codeOf }));
}
