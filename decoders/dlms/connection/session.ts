/**
 * The ciphering state one side of an association keeps (suite 0): own system title and invocation counter,
 * the peer's system title, the keys, and the replay guard of the peer's counters. Both roles use it the same
 * way: protect what they send per the security policy, unprotect what they receive.
 */
import { ApduTag } from '../apdu/tags.js';
import { DlmsError } from '../errors.js';
import {
  cipheredTagFor,
  decipherApdu,
  encipherApdu,
  InvocationCounter,
  isCipheredTag,
  ReplayGuard,
  type Protection,
  type ReplayGuardState,
} from '../security/index.js';
import { policyProtection, securityKeys, type SecurityPolicy, type SuiteZeroKeys } from './settings.js';

/** Worst-case bytes a service-specific ciphered envelope adds: tag, 3-byte length, SC, IC, 12-byte tag. */
export const CIPHERING_OVERHEAD = 1 + 3 + 5 + 12;

/** Plain APDUs a peer may still send inside a ciphered association (no protected form is mandatory). */
const PLAIN_ALLOWED: ReadonlySet<number> = new Set([ApduTag.exceptionResponse, ApduTag.generalBlockTransfer]);

export interface Unprotected {
  apdu: Uint8Array;
  ciphered: boolean;
  /** Protected with the dedicated key: answer with it too. */
  dedicated: boolean;
}

export class CipheringSession {
  readonly counter: InvocationCounter;
  readonly replayGuard: ReplayGuard;
  peerSystemTitle: Uint8Array | undefined;
  dedicatedKey: Uint8Array | undefined;
  policy: SecurityPolicy;
  keys: SuiteZeroKeys | undefined;

  constructor(
    readonly systemTitle: Uint8Array | undefined,
    init: { policy: SecurityPolicy; keys?: SuiteZeroKeys; invocationCounter: number; replayGuard?: ReplayGuardState },
  ) {
    this.policy = init.policy;
    this.keys = init.keys;
    this.dedicatedKey = init.keys?.dedicatedKey;
    this.counter = new InvocationCounter({ next: init.invocationCounter });
    this.replayGuard = new ReplayGuard(init.replayGuard);
  }

  get protection(): Protection | undefined {
    return policyProtection(this.policy);
  }

  /** Protect per policy (plain when the policy is none): the glo-/ded- service tag, general-glo-ciphering when the service has none. */
  protect(plain: Uint8Array, dedicated = false): Uint8Array {
    const protection = this.protection;
    if (!protection) return plain;
    if (!this.systemTitle) throw new DlmsError('DLMS_ERR_SECURITY', 'ciphering needs the own system title');
    const key = dedicated && this.dedicatedKey ? 'dedicated' : 'global-unicast';
    return encipherApdu(plain, {
      keys: securityKeys(this.keys, this.dedicatedKey),
      systemTitle: this.systemTitle,
      invocationCounter: this.counter.next(),
      protection,
      key,
      envelope: cipheredTagFor(plain[0]!, key === 'dedicated' ? 'ded' : 'glo') === undefined ? 'general' : 'service-specific',
    });
  }

  /**
   * Decipher a ciphered APDU (checking protection and replay); pass a plain one through unless the policy
   * asks for ciphering and the APDU is not one that may stay plain.
   */
  unprotect(apdu: Uint8Array): Unprotected {
    if (apdu.length === 0) throw new DlmsError('DLMS_ERR_TRUNCATED', 'empty APDU', 0);
    if (!isCipheredTag(apdu[0]!)) {
      if (this.protection && !PLAIN_ALLOWED.has(apdu[0]!)) {
        throw new DlmsError('DLMS_ERR_SECURITY', `plain APDU 0x${apdu[0]!.toString(16)} refused: the security policy is ${this.policy}`, 0);
      }
      return { apdu, ciphered: false, dedicated: false };
    }
    if (!this.keys) throw new DlmsError('DLMS_ERR_SECURITY', 'ciphered APDU received but no keys are configured', 0);
    const out = decipherApdu(apdu, {
      keys: securityKeys(this.keys, this.dedicatedKey),
      ...(this.peerSystemTitle ? { systemTitle: this.peerSystemTitle } : {}),
      required: this.protection ?? 'none',
      replayGuard: this.replayGuard,
    });
    return { apdu: out.apdu, ciphered: true, dedicated: out.key === 'dedicated' };
  }
}
