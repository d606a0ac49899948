/**
 * Device contexts in the decoder threads: each thread keeps the contexts it was given, and a task carries
 * only which generation of each device's context its frames are to be decoded with — not the contexts.
 * Sending every device's context with every task (a structured clone of ~2,600 contexts per batch, rebuilt
 * in the thread) cost more than deciphering and decoding the pushes themselves.
 *
 * The pool's side (`ContextSender`) numbers each context object it is handed (a new object from the
 * registry's cache = a new generation) and broadcasts the new ones to every thread on a BroadcastChannel
 * before it posts the task; the thread (`ContextReceiver`) drains the channel synchronously
 * (`receiveMessageOnPort`) when a task starts, so everything broadcast before the task is there. A thread
 * that lacks a generation (started after the broadcast, or evicted it) names the device as missing and the
 * pool broadcasts it again under the same generation (tasks of other batches already posted expect that one). The contexts never leave the process (keys included).
 */
import { BroadcastChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { DeviceContext, DeviceProfileRef } from '../decoders/protocol-decoder.js';

/** A device's context as broadcast: device number, generation, context (null: the registry has none). */
export type ContextUpdate = [num: number, generation: number, context: DeviceContext | null];

/** Devices kept per thread (and remembered as sent) by default, as the registry's cache. */
export const MAX_THREAD_CONTEXTS = 200_000;

export class ContextSender {
  readonly #channel: BroadcastChannel;
  readonly #sent = new Map<number, { context: DeviceContext | null; generation: number; resend?: boolean }>();
  #generation = 0;

  constructor(readonly channelName: string, private readonly max = MAX_THREAD_CONTEXTS) {
    this.#channel = new BroadcastChannel(channelName);
    this.#channel.unref();
  }

  /**
   * Broadcasts the contexts the threads do not have yet and returns the task's expectations: device number
   * and generation, pairwise.
   */
  expectations(contexts: ReadonlyMap<number, DeviceContext | null>): Float64Array {
    const expect = new Float64Array(contexts.size * 2);
    const updates: ContextUpdate[] = [];
    let i = 0;
    for (const [num, context] of contexts) {
      let sent = this.#sent.get(num);
      if (!sent || sent.context !== context) {
        sent = { context, generation: ++this.#generation };
        this.#sent.delete(num);
        if (this.#sent.size >= this.max) this.#sent.delete(this.#sent.keys().next().value!);
        this.#sent.set(num, sent);
        updates.push([num, sent.generation, context]);
      } else if (sent.resend) {
        // The same generation again: tasks already posted expect it.
        sent.resend = false;
        updates.push([num, sent.generation, context]);
      }
      expect[i++] = num;
      expect[i++] = sent.generation;
    }
    if (updates.length) this.#channel.postMessage(updates);
    return expect;
  }

  /** Some thread lacked these devices' contexts: the next `expectations` broadcasts them again, same generation. */
  resend(nums: Iterable<number>): void {
    for (const num of nums) {
      const sent = this.#sent.get(num);
      if (sent) sent.resend = true;
    }
  }

  close(): void {
    this.#channel.close();
  }
}

export class ContextReceiver {
  readonly #channel: BroadcastChannel;
  readonly #entries = new Map<number, { generation: number; context: DeviceContext | null }>();
  /** One object per profile version, so decoders' per-profile caches stay warm across updates. */
  readonly #profiles = new Map<string, DeviceProfileRef>();

  constructor(channelName: string, private readonly max = MAX_THREAD_CONTEXTS) {
    this.#channel = new BroadcastChannel(channelName);
    this.#channel.unref();
  }

  /** Takes in every update broadcast so far. */
  drain(): void {
    // Node takes a BroadcastChannel here (documented); its types name only MessagePort.
    const port = this.#channel as unknown as MessagePort;
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
      for (const [num, generation, context] of m.message as ContextUpdate[]) {
        if (context?.profile) {
          const key = `${context.profile.id}@${context.profile.version}`;
          const known = this.#profiles.get(key);
          if (known) context.profile = known;
          else {
            if (this.#profiles.size >= 1000) this.#profiles.clear();
            this.#profiles.set(key, context.profile);
          }
        }
        this.#entries.delete(num);
        if (this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value!);
        this.#entries.set(num, { generation, context });
      }
    }
  }

  /** The device's context of that generation; undefined when this thread does not have it. */
  get(num: number, generation: number): DeviceContext | null | undefined {
    const e = this.#entries.get(num);
    return e && e.generation === generation ? e.context : undefined;
  }
}
