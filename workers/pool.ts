/**
 * The decoder pool: piscina worker threads running decode-worker.ts, one task per batch of frames.
 * Size defaults to the CPU count. The worker file is resolved beside this module, so it runs as
 * compiled JS from dist/ and as TypeScript under the tsx loader (which worker threads inherit).
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { DeviceContext } from '../decoders/protocol-decoder.js';
import type { DecodeResult, DecodeTask } from './decode-worker.js';
import { ContextSender } from './thread-contexts.js';

/** What a batch may carry besides its messages. */
export interface DecodeExtras {
  /** When set, the readings also come back as `hes.readings` messages framed for the feed topic's partitions. */
  feed?: DecodeTask['feed'];
  /**
   * Registry contexts of the batch's devices (those at hand; null = the registry has none), by device number.
   * A frame that needs a context not given here comes back in `missingDevices`.
   */
  contexts?: ReadonlyMap<number, DeviceContext | null>;
  /** When set, the readings also come back as columns (streaming validation reads them). */
  columns?: boolean;
}

export interface DecoderPoolOptions {
  threads?: number;
  /** A worker's JS heap limit, MB: a payload codec (a TS013 script) that hoards memory ends its worker, not the process. */
  heapMb?: number;
}

/** Far above what decoding a batch takes (tens of MB), far below the machine. */
export const DECODER_HEAP_MB = 1024;

export class DecoderPool {
  private readonly piscina: Piscina<DecodeTask, DecodeResult>;
  private readonly contexts = new ContextSender(`hes-device-contexts-${randomUUID()}`);

  constructor(options: DecoderPoolOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    this.piscina = new Piscina({
      filename: new URL(`./decode-worker${ext}`, import.meta.url).href, minThreads: threads, maxThreads: threads,
      workerData: { contextChannel: this.contexts.channelName },
      resourceLimits: { maxOldGenerationSizeMb: options.heapMb ?? DECODER_HEAP_MB },
    });
  }

  get threads(): number {
    return this.piscina.maxThreads;
  }

  /** Batches waiting for a thread, batches decoded since start, and the share of time the threads were busy (0..1). */
  get load(): { queued: number; completed: number; utilization: number } {
    const p = this.piscina;
    return { queued: p.queueSize, completed: p.completed, utilization: p.utilization };
  }

  /**
   * Decodes a batch of bus message values; the packed buffer is transferred to the worker. With `feed`
   * the readings also come back as `hes.readings` messages framed for the bus, with `columns` as columns;
   * `contexts` are the registry contexts of the batch's devices, which reach the threads once per context
   * object (thread-contexts.ts).
   */
  async decode(values: readonly Uint8Array[], writerSchemas: Record<number, string>, collectedAtSec: number, extras: DecodeExtras = {}): Promise<DecodeResult> {
    const contexts = extras.contexts ?? new Map<number, DeviceContext | null>();
    let result = await this.run(values, writerSchemas, collectedAtSec, extras, contexts);
    // A thread that lacked contexts it was sent (started after their broadcast): send them again, once.
    // (Broadcast again in any case; run again here when nothing else lacks.)
    const lacked = result.missingDevices.filter((num) => contexts.has(num));
    this.contexts.resend(lacked);
    if (lacked.length && lacked.length === result.missingDevices.length) {
      result = await this.run(values, writerSchemas, collectedAtSec, extras, contexts);
    }
    return result;
  }

  private run(
    values: readonly Uint8Array[], writerSchemas: Record<number, string>, collectedAtSec: number, extras: DecodeExtras,
    contexts: ReadonlyMap<number, DeviceContext | null>,
  ): Promise<DecodeResult> {
    let total = 0;
    for (const v of values) total += v.length;
    const buffer = new ArrayBuffer(total);
    const bytes = new Uint8Array(buffer);
    const bounds = new Uint32Array(values.length * 2);
    let p = 0;
    values.forEach((v, i) => {
      bytes.set(v, p);
      bounds[2 * i] = p;
      p += v.length;
      bounds[2 * i + 1] = p;
    });
    const generations = this.contexts.expectations(contexts);
    const task: DecodeTask = { buffer, bounds, writerSchemas, collectedAtSec, generations };
    if (extras.feed) task.feed = extras.feed;
    if (extras.columns) task.columns = true;
    return this.piscina.run(task, { transferList: [buffer, bounds.buffer, generations.buffer as ArrayBuffer] });
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
    this.contexts.close();
  }
}
