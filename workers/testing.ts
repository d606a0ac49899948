/**
 * Frames decoded as the pool decodes them, for the tests of readers and decoders that publish frames. The
 * DLMS sample traffic of tests and benchmarks is decoders/dlms/samples.ts.
 */
import { avroType, type RawFrame } from '../schemas/avro/index.js';
import type { DeviceContext, EventRow, StateChange } from '../decoders/protocol-decoder.js';
import { recordingOutput, type DecodedReading } from '../decoders/testing.js';
import { Decoders } from './decoders.js';

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
