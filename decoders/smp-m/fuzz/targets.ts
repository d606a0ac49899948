/**
 * What the fuzzer feeds SMP-M: the clear header, the message layouts (seeded with the documented plaintexts)
 * and the pool's decoder with the device's key (seeded with the documented packets, so mutations reach the
 * MAC check; a mutation that keeps the MAC right is astronomically rare, hence the plaintext targets). Only
 * SmpmError may come out.
 */
import type { FuzzTarget } from '../../fuzz.js';
import type { DeviceContext, RawFrame } from '../../protocol-decoder.js';
import { recordingOutput } from '../../testing.js';
import { SmpmDecoder } from '../decoder.js';
import { SmpmError } from '../errors.js';
import { SERIAL, UPLINK_KEY, VECTORS } from '../fixtures.js';
import { decodeMessage } from '../messages.js';
import { readHeader } from '../packet.js';

const codeOf = (e: unknown): string | undefined => (e instanceof SmpmError ? e.code : undefined);
const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

const device: DeviceContext = { num: 1, serial: String(SERIAL), projectId: 'fuzz', profile: null, protocol: { kind: 'SMP_M', settings: {} }, secrets: { XTEA_UPLINK: UPLINK_KEY }, overrides: {} };

export function smpmFuzzTargets(): FuzzTarget[] {
  const packets = Object.values(VECTORS).map((v) => bytes(v.packet));
  const messages = Object.values(VECTORS).map((v) => Uint8Array.of(bytes(v.packet)[9]!, ...bytes(v.payload)));
  const decoder = new SmpmDecoder();
  const frame = (wire: Uint8Array): RawFrame => ({
    frameId: 'fuzz', wire: Buffer.from(wire), framing: 'SMPM', direction: 'UPLINK', deviceId: 1, commLineId: null, connector: 'unb',
    receivedAt: Date.UTC(2026, 11, 7), sessionId: null, protocol: 'smp-m', meta: {},
    context: { archive: 'current', retentionDays: 0, deviceTzMinutes: 0, source: 'PUSH', captureObjects: [], journal: null, eventCodes: null, protocolContext: null },
  });
  return [
    { name: 'smp-m.header', run: (b) => readHeader(b), seeds: packets, codeOf },
    { name: 'smp-m.message', run: (b) => (b.length ? decodeMessage(b[0]!, b.subarray(1)) : decodeMessage(0, b)), seeds: messages, codeOf },
    { name: 'smp-m.decoder', run: (b) => decoder.decode(frame(b), recordingOutput(0), device), seeds: packets, codeOf },
  ];
}
