/**
 * Fault injection: each rule applies to the meters it lists, or to a share of the fleet chosen by a
 * hash of the serial (the same meters on every run). Rules add up; a later rule's value wins.
 */
import { seedOf, unit } from './model/hash.js';

export interface FaultRule {
  /** Share of the fleet 0..1 (default 1 = every meter), or explicit serials. */
  share?: number;
  serials?: string[];
  /** Delay before each answer, ms, plus a uniform random 0..jitterMs. */
  latencyMs?: number;
  jitterMs?: number;
  /** Probability that a frame written by the meter is dropped / has one byte flipped. */
  dropRate?: number;
  corruptRate?: number;
  /** The meter accepts connections but never answers. */
  silent?: boolean;
  /** The meter closes the connection after this many requests in a session. */
  disconnectAfterRequests?: number;
  /** The meter holds keys / password other than the exported ones (authentication fails). */
  wrongKeys?: boolean;
  /** Clock drift, ppm (e.g. 50 = 4.3 s a day fast). */
  clockDriftPpm?: number;
  /** The meter reports its clock invalid (error register bit 0). */
  clockInvalid?: boolean;
  /** Probability per day of a power outage of 1–4 hours: missing profile intervals + power events. */
  outagesPerDay?: number;
  /** Relays locked (lock state 1): remote disconnect / reconnect are refused. */
  relayLocked?: boolean;
  /** Every n-th image_block_transfer is refused (temporary-failure) and the block not kept (0 = never). */
  imageBlockFailEvery?: number;
  /** The meter's signature check fails: image_verify answers other-reason, status verification failed. */
  imageRejected?: boolean;
  /** The image verifies but does not start: after activation the meter runs its old firmware (activation failed). */
  imageBad?: boolean;
}

export interface MeterFaults {
  latencyMs: number;
  jitterMs: number;
  dropRate: number;
  corruptRate: number;
  silent: boolean;
  disconnectAfterRequests: number;
  wrongKeys: boolean;
  clockDriftPpm: number;
  clockInvalid: boolean;
  outagesPerDay: number;
  relayLocked: boolean;
  imageBlockFailEvery: number;
  imageRejected: boolean;
  imageBad: boolean;
}

export const NO_FAULTS: Readonly<MeterFaults> = Object.freeze({
  latencyMs: 0,
  jitterMs: 0,
  dropRate: 0,
  corruptRate: 0,
  silent: false,
  disconnectAfterRequests: 0,
  wrongKeys: false,
  clockDriftPpm: 0,
  clockInvalid: false,
  outagesPerDay: 0,
  relayLocked: false,
  imageBlockFailEvery: 0,
  imageRejected: false,
  imageBad: false,
});

function applies(rule: FaultRule, ruleIndex: number, serial: string): boolean {
  if (rule.serials) return rule.serials.includes(serial);
  return unit(seedOf(serial), ruleIndex, 90) < (rule.share ?? 1);
}

export function faultsFor(rules: readonly FaultRule[], serial: string): MeterFaults {
  let out: MeterFaults = NO_FAULTS;
  rules.forEach((r, i) => {
    if (!applies(r, i, serial)) return;
    const { share: _s, serials: _l, ...values } = r;
    out = { ...out, ...values };
  });
  return out;
}

/** Whether any rule touches the byte stream (the transport then wraps the connection). */
export function hasLinkFaults(f: MeterFaults): boolean {
  return f.latencyMs > 0 || f.jitterMs > 0 || f.dropRate > 0 || f.corruptRate > 0 || f.silent || f.disconnectAfterRequests > 0;
}
