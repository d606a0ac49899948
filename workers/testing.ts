/**
 * Frames decoded as the pool decodes them, for the tests of readers and decoders that publish frames. The
 * DLMS sample traffic of tests and benchmarks is decoders/dlms/samples.ts.
 */
import { avroType, type RawFrame } from '../schemas/avro/index.js';
import type { DeviceContext, EventRow, StateChange } from '../decoders/protocol-decoder.js';
import { recordingOutput, type DecodedReading } from '../decoders/testing.js';
import { Decoders } from './decoders.js';
import { loadProfiles } from '../registry/profiles.js';
import { encodeWpdu } from '../decoders/dlms/wrapper/wpdu.js';
import type { Fleet } from '../sim/fleet.js';
import { pushApdu } from '../sim/push.js';
import type { DeviceContextSource } from './pipeline.js';

export type { DecodedReading } from '../decoders/testing.js';

/**
 * Decodes frames as the pool does — each through the Avro raw-frame schema first, so the context must
 * encode, then by the decoder of its protocol, with the device context `devices` gives when the decoder
 * asks for one — and returns the readings, events and state changes. Errors are thrown, not dead-lettered.
 */
export function decodeFrames(
  frames: RawFrame[], collectedAtSec = Math.floor(Date.now() / 1000), devices: (num: number) => DeviceContext | null = () => null,
): { readings: DecodedReading[]; events: EventRow[]; states: StateChange[] } {
  const type = avroType('raw-frame');
  const out = recordingOutput(collectedAtSec);
  const decoders = new Decoders();
  for (const f of frames) {
    const frame = type.fromBuffer(type.toBuffer(f)) as RawFrame;
    const decoder = decoders.for(frame.protocol ?? 'dlms');
    if (!decoder) throw new Error(`no decoder for protocol ${frame.protocol}`);
    decoder.decode(frame, out, decoder.needsDevice(frame) && frame.deviceId !== null ? devices(frame.deviceId) : undefined);
  }
  return { readings: out.rows, events: out.events, states: out.states };
}

/**
 * The registry's contexts of a simulated IDIS fleet's meters as `hes start` would load them (device number =
 * meter index + 1; DL_IDIS profile with its Push Setups; the meter's own keys), for benchmarks and crash tests
 * of pushes. Always at hand: the same object per device, as a warm cache gives it.
 */
export function fleetPushContexts(fleet: Fleet, meters: number): DeviceContextSource & { contexts: Map<number, DeviceContext> } {
  const body = loadProfiles().find((p) => p.id === 'DL_IDIS')!;
  const profile = { id: 'DL_IDIS', version: '1', body: { ...body } };
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const contexts = new Map<number, DeviceContext>();
  for (let i = 0; i < meters; i++) {
    const k = fleet.keys(i);
    contexts.set(i + 1, {
      num: i + 1, serial: k.serial, projectId: 'fleet', profile, protocol: { kind: 'DLMS', settings: {} },
      secrets: { encryptionKey: hex(k.blockCipherKey), authenticationKey: hex(k.authenticationKey) }, overrides: {}, retentionDays: { 'profile-15': 365, events: 365 },
    });
  }
  return { contexts, cached: (num) => contexts.get(num) ?? null, load: async (nums) => new Map(nums.map((n) => [n, contexts.get(n) ?? null])) };
}

/** A meter's 15-minute interval push (its newest row at `atMs`) as CENC publishes it: WRAPPER framing, no decoding context. */
export function intervalPushFrame(fleet: Fleet, index: number, atMs: number): RawFrame {
  return {
    frameId: `${index + 1}-${atMs}`, wire: Buffer.from(encodeWpdu(1, 102, pushApdu(fleet, { index, timeMs: atMs, setup: '0.2.25.9.0.255' }).apdu)), framing: 'WRAPPER',
    direction: 'UPLINK', deviceId: index + 1, commLineId: null, connector: 'cenc', receivedAt: atMs, sessionId: null, context: null, protocol: 'dlms', meta: {},
  };
}
