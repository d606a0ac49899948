/**
 * The protocols the decoder pool decodes: one `ProtocolDecoder` (decoders/protocol-decoder.ts) per value of
 * the raw frame's `protocol` field. Adding a protocol is one line here (docs/pipeline.md, "Adding a protocol").
 * A thread makes its decoders once and keeps them: they may cache what they compile.
 */
import type { ProtocolDecoder } from '../decoders/protocol-decoder.js';
import { DlmsFrameDecoder } from '../decoders/dlms/frame-decoder.js';
import { MbusFrameDecoder } from '../decoders/mbus/frame-decoder.js';
import { LorawanDecoder } from '../decoders/lorawan/decoder.js';
import { SmpmDecoder } from '../decoders/smp-m/decoder.js';

const registered = new Map<string, () => ProtocolDecoder>([
  ['dlms', () => new DlmsFrameDecoder()],
  ['mbus', () => new MbusFrameDecoder()],
  ['lorawan', () => new LorawanDecoder()],
  ['smp-m', () => new SmpmDecoder()],
]);

/** The protocols a frame may name. */
export const protocols: readonly string[] = [...registered.keys()];

/** Decoders by protocol, made on first use; one set per thread. */
export class Decoders {
  private readonly made = new Map<string, ProtocolDecoder>();

  /** The decoder of `protocol`, or undefined when none is registered (the frame is dead-lettered). */
  for(protocol: string): ProtocolDecoder | undefined {
    let d = this.made.get(protocol);
    if (!d) {
      const make = registered.get(protocol);
      if (!make) return undefined;
      d = make();
      this.made.set(protocol, d);
    }
    return d;
  }
}
