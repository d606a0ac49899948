/**
 * Invocation counters (Green Book 9.2.3.3.7.3). Each key has its own 32-bit counter: the sender
 * increases it for every APDU it protects and must renew the key rather than wrap around; the
 * receiver accepts only a counter strictly greater than the last one it accepted with that key from
 * that peer. Both objects are plain state that the caller persists through export / import.
 */
import { DlmsError } from '../errors.js';
import { toHex } from '../axdr/writer.js';

export const MAX_INVOCATION_COUNTER = 0xffffffff;

export interface InvocationCounterState {
  /** The value the next protected APDU will carry (2^32 once exhausted). */
  next: number;
}

function checkCounter(v: unknown, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new DlmsError('DLMS_ERR_VALUE', `${what} must be an integer in 0..${max}, got ${String(v)}`);
  }
  return v;
}

/** The sender's counter for one key. */
export class InvocationCounter {
  #next: number;

  constructor(state: InvocationCounterState = { next: 0 }) {
    this.#next = checkCounter(state.next, MAX_INVOCATION_COUNTER + 1, 'invocation counter');
  }

  /** The counter for the APDU about to be sent; refuses to wrap around. */
  next(): number {
    if (this.#next > MAX_INVOCATION_COUNTER) {
      throw new DlmsError('DLMS_ERR_SECURITY', 'invocation counter exhausted: the key must be renewed before sending again');
    }
    return this.#next++;
  }

  /** The value the next APDU will carry, without consuming it. */
  get value(): number {
    return this.#next;
  }

  exportState(): InvocationCounterState {
    return { next: this.#next };
  }
}

export interface ReplayGuardEntry {
  /** Peer system title, hex. */
  systemTitle: string;
  /** Which key of that peer the counter belongs to ('global-unicast', 'dedicated', ...). */
  key: string;
  /** Last accepted invocation counter. */
  last: number;
}

export interface ReplayGuardState {
  entries: ReplayGuardEntry[];
}

/** Map key of a peer's key: system title as upper-case hex, '/', key name (the form exportState splits). */
function entryId(systemTitle: Uint8Array, key: string): string {
  return `${toHex(systemTitle)}/${key}`;
}

/** The receiver's last accepted counters, per peer system title and key. */
export class ReplayGuard {
  readonly #last = new Map<string, number>();

  constructor(state: ReplayGuardState = { entries: [] }) {
    if (!state || !Array.isArray(state.entries)) throw new DlmsError('DLMS_ERR_VALUE', 'replay guard state must have an entries array');
    for (const e of state.entries) {
      if (typeof e?.systemTitle !== 'string' || !/^[0-9A-F]{16}$/.test(e.systemTitle) || typeof e.key !== 'string') {
        throw new DlmsError('DLMS_ERR_VALUE', 'replay guard entry needs a 16-digit upper-case hex systemTitle and a key name');
      }
      this.#last.set(`${e.systemTitle}/${e.key}`, checkCounter(e.last, MAX_INVOCATION_COUNTER, 'last invocation counter'));
    }
  }

  /** Throws DLMS_ERR_REPLAY unless `counter` is greater than the last one accepted. */
  check(systemTitle: Uint8Array, key: string, counter: number): void {
    this.#checkId(entryId(systemTitle, key), counter);
  }

  /** Checks, then records `counter` as the last accepted one. Call only once the APDU is authentic. */
  accept(systemTitle: Uint8Array, key: string, counter: number): void {
    const id = entryId(systemTitle, key);
    this.#checkId(id, counter);
    this.#last.set(id, checkCounter(counter, MAX_INVOCATION_COUNTER, 'invocation counter'));
  }

  #checkId(id: string, counter: number): void {
    const last = this.#last.get(id);
    if (last !== undefined && counter <= last) {
      const slash = id.indexOf('/');
      throw new DlmsError('DLMS_ERR_REPLAY', `invocation counter ${counter} from ${id.slice(0, slash)} (${id.slice(slash + 1)} key) is not greater than ${last}`);
    }
  }

  /** The last accepted counter, if any. */
  last(systemTitle: Uint8Array, key: string): number | undefined {
    return this.#last.get(entryId(systemTitle, key));
  }

  /** Forgets a peer's counter for one key (after that key was renewed). */
  reset(systemTitle: Uint8Array, key: string): void {
    this.#last.delete(entryId(systemTitle, key));
  }

  exportState(): ReplayGuardState {
    const entries: ReplayGuardEntry[] = [];
    for (const [id, last] of this.#last) {
      const slash = id.indexOf('/');
      entries.push({ systemTitle: id.slice(0, slash), key: id.slice(slash + 1), last });
    }
    return { entries };
  }
}
