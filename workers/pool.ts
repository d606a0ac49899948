/**
 * The decoder pool: piscina worker threads running decode-worker.ts, one task per batch of frames.
 * Size defaults to the CPU count. The worker file is resolved beside this module, so it runs as
 * compiled JS from dist/ and as TypeScript under the tsx loader (which worker threads inherit).
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { DecodeResult, DecodeTask } from './decode-worker.js';

/** What a batch may carry besides its messages. */
export type DecodeExtras = Pick<DecodeTask, 'readingsSchemaId' | 'devices' | 'profiles'>;

export interface DecoderPoolOptions {
  threads?: number;
  /** A worker's JS heap limit, MB: a payload codec (a TS013 script) that hoards memory ends its worker, not the process. */
  heapMb?: number;
}

/** Far above what decoding a batch takes (tens of MB), far below the machine. */
export const DECODER_HEAP_MB = 1024;

export class DecoderPool {
  private readonly piscina: Piscina<DecodeTask, DecodeResult>;

  constructor(options: DecoderPoolOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    this.piscina = new Piscina({ filename: new URL(`./decode-worker${ext}`, import.meta.url).href, minThreads: threads, maxThreads: threads,
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
   * Decodes a batch of bus message values; the packed buffer is transferred to the worker. With
   * `readingsSchemaId` the readings also come back as `hes.readings` messages; `devices` and `profiles`
   * are the registry contexts of the devices whose frames need one.
   */
  decode(values: readonly Uint8Array[], writerSchemas: Record<number, string>, collectedAtSec: number, extras: DecodeExtras = {}): Promise<DecodeResult> {
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
    const task: DecodeTask = { buffer, bounds, writerSchemas, collectedAtSec, ...extras };
    return this.piscina.run(task, { transferList: [buffer, bounds.buffer] });
  }

  close(): Promise<void> {
    return this.piscina.destroy();
  }
}
