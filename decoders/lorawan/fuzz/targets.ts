/**
 * What the fuzzer feeds the LoRaWAN payload codecs: OBIS-TLV and Cayenne LPP payloads seeded with the
 * documented vectors (decoders/lorawan/fixtures.ts), and the pool's decoder with a profile naming both codecs,
 * so mutations also reach the mapping, and a TS013 codec in its sandbox. Only LorawanError may come out.
 */
import type { FuzzTarget } from '../../fuzz.js';
import type { DeviceContext, RawFrame } from '../../protocol-decoder.js';
import { recordingOutput } from '../../testing.js';
import { decodeCayenneLpp } from '../cayenne-lpp.js';
import { LorawanDecoder } from '../decoder.js';
import { LorawanError } from '../errors.js';
import { LPP_VECTORS, TLV_VECTORS, TS013_WATER_CODEC, TS013_WATER_UPLINK } from '../fixtures.js';
import { decodeObisTlv, encodeObisTlv } from '../obis-tlv.js';

const codeOf = (e: unknown): string | undefined => (e instanceof LorawanError ? e.code : undefined);
const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

const device: DeviceContext = {
  num: 1, serial: 'fuzz', projectId: 'fuzz', protocol: { kind: 'LORAWAN', settings: {} }, secrets: {}, overrides: {},
  profile: {
    id: 'FUZZ', version: '1', body: {
      lorawan: {
        codecs: [{ codec: 'obis-tlv', fPorts: [2] }, { codec: 'ts013', fPorts: [10], script: TS013_WATER_CODEC }, { codec: 'cayenne-lpp' }],
        values: [{ path: 'volume', obis: '8.0.1.0.0.255', unit: 'm³' }, { path: 'alarms.leak', obis: '0.0.97.97.0.255' }],
        channels: [{ channel: 1, obis: '8.0.1.0.0.255' }, { channel: 3, type: 'temperature', obis: '0.0.96.9.0.255' }, { channel: 5, obis: '0.0.96.9.1.255', scaler: 9 }],
        statusBits: [{ bit: 0, name: 'cover opened' }],
      },
    },
  },
};

export function lorawanFuzzTargets(): FuzzTarget[] {
  const tlv = [...Object.values(TLV_VECTORS).map(bytes), encodeObisTlv({ registers: [{ obis: '1.0.2.8.0.255', raw: -7, unit: 30, type: 0x14 }, { obis: '1.0.1.7.0.255', raw: 200, unit: 27, type: 0x0f }], status: 1 })];
  const lpp = [...Object.values(LPP_VECTORS).map(bytes), bytes('010230390267007B030001')];
  const decoder = new LorawanDecoder();
  const frame = (wire: Uint8Array, fPort: number): RawFrame => ({
    frameId: 'fuzz', wire: Buffer.from(wire), framing: 'LORAWAN', direction: 'UPLINK', deviceId: 1, commLineId: null, connector: 'chirpstack',
    receivedAt: Date.UTC(2026, 11, 7), sessionId: null, protocol: 'lorawan', meta: { devEui: '0004A30B001C0530', fPort: String(fPort), fCnt: '1' },
    context: { archive: 'current', retentionDays: 0, deviceTzMinutes: 0, source: 'PUSH', captureObjects: [], journal: null, eventCodes: null, protocolContext: null },
  });
  return [
    { name: 'lorawan.obisTlv', run: (b) => decodeObisTlv(b), seeds: tlv, codeOf },
    { name: 'lorawan.cayenneLpp', run: (b) => decodeCayenneLpp(b), seeds: lpp, codeOf },
    { name: 'lorawan.decoder.tlv', run: (b) => decoder.decode(frame(b, 2), recordingOutput(0), device), seeds: tlv, codeOf },
    { name: 'lorawan.decoder.lpp', run: (b) => decoder.decode(frame(b, 1), recordingOutput(0), device), seeds: lpp, codeOf },
    // A TS013 codec in the sandbox: whatever the bytes, a reading or a coded refusal.
    { name: 'lorawan.decoder.ts013', run: (b) => decoder.decode(frame(b, 10), recordingOutput(0), device), seeds: [bytes(TS013_WATER_UPLINK)], codeOf },
  ];
}
