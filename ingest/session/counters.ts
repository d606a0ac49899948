/**
 * Invocation counters persist per device and key: a ciphered APDU must never reuse a counter value with the
 * same key, across sessions and restarts. The registry binds this interface to its table; the in-memory
 * store serves tests and `hes read`.
 */
import { createHash } from 'node:crypto';
import type { ReplayGuardState } from '../../decoders/dlms/security/index.js';

export interface CounterState {
  /** The value the next ciphered APDU of the client carries. */
  invocationCounter: number;
  /** The meter's last accepted counters (replay protection of what it sends). */
  replayGuard?: ReplayGuardState;
}

export interface InvocationCounterStore {
  load(deviceId: string, keyId: string): Promise<CounterState | undefined>;
  save(deviceId: string, keyId: string, state: CounterState): Promise<void>;
}

/** Identifies a key without revealing it: client SAP + the first 8 bytes of SHA-256 of the block cipher key. */
export function counterKeyId(clientAddress: number, blockCipherKey: Uint8Array): string {
  return `${clientAddress}:${createHash('sha256').update(blockCipherKey).digest('hex').slice(0, 16)}`;
}

export class MemoryInvocationCounterStore implements InvocationCounterStore {
  readonly states = new Map<string, CounterState>();

  load(deviceId: string, keyId: string): Promise<CounterState | undefined> {
    return Promise.resolve(this.states.get(`${deviceId}/${keyId}`));
  }

  save(deviceId: string, keyId: string, state: CounterState): Promise<void> {
    const k = `${deviceId}/${keyId}`;
    // never go back: a late save of an older session must not lower the counter
    const prev = this.states.get(k);
    if (!prev || prev.invocationCounter <= state.invocationCounter) this.states.set(k, state);
    return Promise.resolve();
  }
}
