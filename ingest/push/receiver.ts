/**
 * What arrives on a connection outside a HES session: DataNotification / EventNotification pushes, last-gasp
 * lines, keep-alive noise. Every frame goes to the raw-frame sink (topic of raw frames) with its context; the
 * decoder pool decodes and deciphers them downstream with the device's keys. DataNotification and
 * EventNotification are unconfirmed xDLMS services: nothing is answered at the application layer.
 */
import type { Framing } from '../../decoders/dlms/connection/index.js';
import { lastGasp } from '../cenc/identify.js';
import type { DeviceIdentity } from '../cenc/directory.js';
import { FrameSplitter, type RawFrame, type RawFrameSink } from '../transport/frames.js';
import type { TransportReceiver } from '../transport/transport.js';

export interface PushContext {
  framing: Framing;
  remote: string;
  channel: string;
  deviceId?: string;
  projectId?: string;
}

/** Called with the receiver's context, so that one handler object serves every connection. */
export interface PushHandlers<C extends PushContext = PushContext> {
  onLastGasp?(identity: DeviceIdentity, ctx: C): void;
  onClose?(reason: string, ctx: C): void;
}

/** The idle receiver of a held connection (and of a push-only listener). */
export class PushReceiver<C extends PushContext = PushContext> implements TransportReceiver {
  private splitter: FrameSplitter | undefined; // created on the first push: most held connections stay silent

  constructor(
    private readonly ctx: C,
    private readonly sink: RawFrameSink | undefined,
    private readonly handlers: PushHandlers<C> = {},
  ) {}

  onData(chunk: Uint8Array): void {
    const gasp = lastGasp(chunk);
    if (gasp) {
      this.handlers.onLastGasp?.(gasp, this.ctx);
      return;
    }
    if (!this.sink) return;
    this.splitter ??= new FrameSplitter(this.ctx.framing);
    const receivedAt = Date.now();
    for (const bytes of this.splitter.push(chunk)) {
      const f: RawFrame = { direction: 'rx', framing: this.ctx.framing, bytes, receivedAt, kind: 'unsolicited', remote: this.ctx.remote, channel: this.ctx.channel };
      if (this.ctx.deviceId) f.deviceId = this.ctx.deviceId;
      if (this.ctx.projectId) f.projectId = this.ctx.projectId;
      this.sink.publish(f);
    }
  }

  onClose(reason: string): void {
    this.handlers.onClose?.(reason, this.ctx);
  }
}
