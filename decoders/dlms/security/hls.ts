/**
 * High level security authentication (Green Book 9.2.7.4): after the AARQ (client challenge CtoS)
 * and the AARE (server challenge StoC), each side proves it holds the keys by answering the other's
 * challenge in reply_to_HLS_authentication (Association LN method 1).
 *
 * Mechanism 5 (HLS-GMAC), suite 0:
 *   f(challenge) = SC || IC || GMAC(SC || AK || challenge)      SC = 0x10 (authentication only)
 *   IV = system title || IC of the party answering; key = global unicast encryption key (EK)
 *   The client answers StoC with its own system title and counter; the server answers CtoS with its own.
 *
 * Mechanism 2 (manufacturer specific) and others plug in through HlsMechanism.
 */
import { timingSafeEqual } from 'node:crypto';
import { DlmsError } from '../errors.js';
import { gmacTag, SECURITY_HEADER_LENGTH, TAG_LENGTH } from './gcm.js';
import { securityControlFor } from './control.js';

export const MIN_CHALLENGE_LENGTH = 8;
export const MAX_CHALLENGE_LENGTH = 64;

export interface HlsContext {
  /** Own system title and invocation counter: used to answer the peer's challenge. */
  systemTitle: Uint8Array;
  invocationCounter: number;
  /** Peer's system title: used to check the peer's answer to our challenge. */
  peerSystemTitle: Uint8Array;
  /** Global unicast encryption key. */
  encryptionKey: Uint8Array;
  authenticationKey: Uint8Array;
  /** Security suite id, default 0. */
  suite?: number;
}

/** One HLS authentication mechanism (mechanism-name id-mechanism-name-N). */
export interface HlsMechanism {
  readonly mechanismId: number;
  /** f(challenge) for the peer's challenge: the parameter of reply_to_HLS_authentication. */
  respond(challenge: Uint8Array, ctx: HlsContext): Uint8Array;
  /**
   * Checks the peer's f(challenge) for our challenge; throws DlmsError('DLMS_ERR_SECURITY') when it
   * does not match. Returns the peer's invocation counter when the mechanism carries one.
   */
  verify(response: Uint8Array, challenge: Uint8Array, ctx: HlsContext): { invocationCounter?: number };
}

/** f(challenge) = SC || IC || T (17 octets) computed with the answering party's system title and IC. */
export function hlsGmacResponse(
  challenge: Uint8Array,
  p: { systemTitle: Uint8Array; invocationCounter: number; encryptionKey: Uint8Array; authenticationKey: Uint8Array; suite?: number },
): Uint8Array {
  const ic = p.invocationCounter;
  if (!Number.isInteger(ic) || ic < 0 || ic > 0xffffffff) {
    throw new DlmsError('DLMS_ERR_ENCODE', `invocation counter ${ic} is not a 32-bit unsigned integer`);
  }
  const sc = securityControlFor('authentication', p.suite ?? 0);
  const tag = gmacTag(sc, { key: p.encryptionKey, authenticationKey: p.authenticationKey, systemTitle: p.systemTitle, invocationCounter: ic }, challenge);
  const out = new Uint8Array(SECURITY_HEADER_LENGTH + TAG_LENGTH);
  out[0] = sc;
  new DataView(out.buffer).setUint32(1, ic, false);
  out.set(tag, SECURITY_HEADER_LENGTH);
  return out;
}

/** Checks the peer's f(challenge) against our challenge, in constant time; returns the peer's IC. */
export function verifyHlsGmacResponse(
  response: Uint8Array,
  challenge: Uint8Array,
  p: { systemTitle: Uint8Array; encryptionKey: Uint8Array; authenticationKey: Uint8Array; suite?: number },
): { invocationCounter: number } {
  const length = SECURITY_HEADER_LENGTH + TAG_LENGTH;
  if (response.length !== length) {
    throw new DlmsError('DLMS_ERR_SECURITY', `HLS-GMAC f(challenge) must be ${length} bytes (SC || IC || tag), got ${response.length}`);
  }
  const sc = securityControlFor('authentication', p.suite ?? 0);
  if (response[0] !== sc) {
    throw new DlmsError('DLMS_ERR_SECURITY', `HLS-GMAC f(challenge) security control must be 0x${sc.toString(16)}, got 0x${response[0]!.toString(16)}`, 0);
  }
  const invocationCounter = new DataView(response.buffer, response.byteOffset, response.length).getUint32(1, false);
  const expected = gmacTag(sc, { key: p.encryptionKey, authenticationKey: p.authenticationKey, systemTitle: p.systemTitle, invocationCounter }, challenge);
  if (!timingSafeEqual(expected, response.subarray(SECURITY_HEADER_LENGTH))) {
    throw new DlmsError('DLMS_ERR_SECURITY', 'HLS-GMAC f(challenge) does not match: the peer does not hold the same keys', SECURITY_HEADER_LENGTH);
  }
  return { invocationCounter };
}

/** Mechanism 5, HLS-GMAC. */
export const hlsGmac: HlsMechanism = {
  mechanismId: 5,
  respond: (challenge, ctx) => hlsGmacResponse(challenge, ctx),
  verify: (response, challenge, ctx) => verifyHlsGmacResponse(response, challenge, { ...ctx, systemTitle: ctx.peerSystemTitle }),
};

/**
 * A challenge (CtoS or StoC) of `length` random octets, 8..64. The random source is a parameter
 * so that this stays pure: pass node:crypto randomBytes in production, a fixed source in tests.
 */
export function generateChallenge(random: (length: number) => Uint8Array, length = 16): Uint8Array {
  if (!Number.isInteger(length) || length < MIN_CHALLENGE_LENGTH || length > MAX_CHALLENGE_LENGTH) {
    throw new DlmsError('DLMS_ERR_VALUE', `challenge length must be ${MIN_CHALLENGE_LENGTH}..${MAX_CHALLENGE_LENGTH}, got ${length}`);
  }
  const challenge = random(length);
  if (challenge.length !== length) {
    throw new DlmsError('DLMS_ERR_VALUE', `random source returned ${challenge.length} bytes instead of ${length}`);
  }
  return challenge;
}
