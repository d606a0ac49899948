/**
 * Protecting and unprotecting whole APDUs: choice of the envelope and tag, of the key, and of the
 * system title that goes into the IV.
 *
 *   envelope                   key                                         IV system title
 *   glo-xxx (service)          global unicast, or broadcast if SC bit 6    the peer's, from AARQ/AARE
 *   ded-xxx (service)          dedicated (from the InitiateRequest)        the peer's, from AARQ/AARE
 *   general-glo-ciphering      global unicast, or broadcast if SC bit 6    carried in the APDU
 *   general-ded-ciphering      dedicated                                   carried in the APDU
 *   general-ciphering          per key-info; pre-shared when absent        originator-system-title
 */
import { DlmsError } from '../errors.js';
import { Reader } from '../axdr/reader.js';
import { Writer, toHex } from '../axdr/writer.js';
import { satisfies, securityControlFor, type Protection } from './control.js';
import { protect, protectedLength, unprotect } from './gcm.js';
import { unwrapKey } from './key-wrap.js';
import type { ReplayGuard } from './counters.js';
import {
  GENERAL_CIPHERING,
  GENERAL_DED_CIPHERING,
  GENERAL_GLO_CIPHERING,
  GENERAL_SIGNING,
  cipheredTagFor,
  cipheredTagName,
  hex2,
  serviceCipheredTag,
} from './tags.js';
import { decodeServiceCiphered } from './service-ciphered/index.js';
import { decodeGeneralGloCiphering } from './general-glo-ciphering/index.js';
import { readGeneralCiphering, writeKeyInfo, type KeyInfo } from './general-ciphering/index.js';
import { writeGeneralHeader } from './general-ciphering/header.js';

/** The keys of one association / peer. Only those the APDUs in use need must be present. */
export interface SecurityKeys {
  globalUnicastKey?: Uint8Array;
  globalBroadcastKey?: Uint8Array;
  /** Dedicated key, sent by the client in the ciphered InitiateRequest. */
  dedicatedKey?: Uint8Array;
  authenticationKey?: Uint8Array;
  /** Master key (KEK): unwraps the key of a general-ciphering wrapped-key. */
  masterKey?: Uint8Array;
  /** Key of general-ciphering APDUs without key-info. */
  presharedKey?: Uint8Array;
}

/** Which key protected an APDU; also the key name under which replay counters are kept. */
export type KeyKind = 'global-unicast' | 'global-broadcast' | 'dedicated' | 'preshared' | 'wrapped';

/** The general-ciphering fields the sender chooses; the originator is CipherParams.systemTitle. */
export interface GeneralCipheringEnvelope {
  transactionId: Uint8Array;
  recipientSystemTitle: Uint8Array;
  dateTime?: Uint8Array;
  otherInformation?: Uint8Array;
  /** Absent: the pre-shared key. agreed-key is not supported (it needs suites 1 and 2). */
  keyInfo?: KeyInfo;
}

export interface CipherParams {
  keys: SecurityKeys;
  /** Own system title (8 bytes): in the IV, and carried by the general envelopes. */
  systemTitle: Uint8Array;
  /** Take it from the InvocationCounter of the key in use. */
  invocationCounter: number;
  protection: Protection;
  /** Default 'global-unicast'. Not used by general-ciphering, whose key comes from key-info. */
  key?: 'global-unicast' | 'global-broadcast' | 'dedicated';
  /**
   * 'service-specific' (default): the glo-/ded- tag of the plain APDU's service;
   * 'general': general-glo-ciphering or general-ded-ciphering; an object: general-ciphering.
   */
  envelope?: 'service-specific' | 'general' | GeneralCipheringEnvelope;
  /** Security suite id, default 0. */
  suite?: number;
}

export interface DecipherParams {
  keys: SecurityKeys;
  /**
   * System title of the peer that protected the APDU. Required for service-specific tags, which do
   * not carry it; when given with a general envelope, the carried one must be equal.
   */
  systemTitle?: Uint8Array;
  /** Own system title: the recipient-system-title of general-ciphering must equal it when given. */
  ownSystemTitle?: Uint8Array;
  /**
   * The least protection accepted; default 'authentication', so that an APDU whose security control
   * byte was stripped of its authentication bit is refused rather than read unauthenticated.
   */
  required?: Protection | 'none';
  /** When given, the counter must exceed the last one accepted and is recorded once authentic. */
  replayGuard?: ReplayGuard;
}

export interface Deciphered {
  /** The plain APDU (a view into the input when it was not encrypted). */
  apdu: Uint8Array;
  securityControl: number;
  invocationCounter: number;
  /** The system title the IV was built from: the sender's. */
  systemTitle?: Uint8Array;
  key: KeyKind;
}

function security(message: string, at = -1): DlmsError {
  return new DlmsError('DLMS_ERR_SECURITY', message, at);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function keyOf(kind: KeyKind, keys: SecurityKeys, what: string): Uint8Array {
  const key = {
    'global-unicast': keys.globalUnicastKey,
    'global-broadcast': keys.globalBroadcastKey,
    dedicated: keys.dedicatedKey,
    preshared: keys.presharedKey,
    wrapped: undefined,
  }[kind];
  if (!key) throw security(`${what}: no ${kind} key configured`);
  return key;
}

function generalCipheringKey(keyInfo: KeyInfo | undefined, keys: SecurityKeys): { kind: KeyKind; key: Uint8Array } {
  const what = 'general-ciphering';
  if (!keyInfo) return { kind: 'preshared', key: keyOf('preshared', keys, `${what} without key-info`) };
  switch (keyInfo.type) {
    case 'identified-key': {
      if (keyInfo.keyId !== 0 && keyInfo.keyId !== 1) throw security(`${what}: unknown key-id ${keyInfo.keyId}`);
      const kind = keyInfo.keyId === 0 ? 'global-unicast' : 'global-broadcast';
      return { kind, key: keyOf(kind, keys, what) };
    }
    case 'wrapped-key':
      if (keyInfo.kekId !== 0) throw security(`${what}: unknown kek-id ${keyInfo.kekId}`);
      if (!keys.masterKey) throw security(`${what}: no master key (KEK) configured to unwrap the key`);
      return { kind: 'wrapped', key: unwrapKey(keys.masterKey, keyInfo.keyCipheredData) };
    case 'agreed-key':
      throw security(`${what}: agreed-key (ECDH, security suites 1 and 2) is not supported`);
  }
}

/**
 * Protects a plain APDU (tag first) and wraps it in the envelope asked for. The service-specific
 * tag follows from the plain tag and the key (glo- for global keys, ded- for the dedicated key).
 */
export function encipherApdu(plain: Uint8Array, p: CipherParams): Uint8Array {
  if (plain.length === 0) throw new DlmsError('DLMS_ERR_ENCODE', 'cannot encipher an empty APDU');
  const suite = p.suite ?? 0;
  const envelope = p.envelope ?? 'service-specific';
  const authenticationKey = p.keys.authenticationKey;
  const w = new Writer(plain.length + 96);
  if (typeof envelope === 'object') {
    const { key } = generalCipheringKey(envelope.keyInfo, p.keys);
    // The key-set bit is not relevant in general-ciphering and shall be zero.
    const sc = securityControlFor(p.protection, suite, false);
    const fields = new Writer(64);
    writeGeneralHeader(fields, {
      transactionId: envelope.transactionId,
      originatorSystemTitle: p.systemTitle,
      recipientSystemTitle: envelope.recipientSystemTitle,
      dateTime: envelope.dateTime ?? new Uint8Array(0),
      otherInformation: envelope.otherInformation ?? new Uint8Array(0),
    });
    const extraAad = fields.finish();
    w.u8(GENERAL_CIPHERING).bytes(extraAad);
    writeKeyInfo(w, envelope.keyInfo);
    w.length(protectedLength(sc, plain.length));
    protect(w, plain, { sc, key, authenticationKey, systemTitle: p.systemTitle, invocationCounter: p.invocationCounter, extraAad });
    return w.finish();
  }
  const kind = p.key ?? 'global-unicast';
  const keySet = kind === 'dedicated' ? 'ded' : 'glo';
  const sc = securityControlFor(p.protection, suite, kind === 'global-broadcast');
  if (envelope === 'general') {
    w.u8(keySet === 'glo' ? GENERAL_GLO_CIPHERING : GENERAL_DED_CIPHERING);
    w.length(p.systemTitle.length).bytes(p.systemTitle);
  } else {
    const tag = cipheredTagFor(plain[0]!, keySet);
    if (tag === undefined) {
      throw new DlmsError('DLMS_ERR_ENCODE', `APDU ${hex2(plain[0]!)} has no service-specific ciphered tag; use the 'general' envelope`);
    }
    w.u8(tag);
  }
  const key = keyOf(kind, p.keys, 'encipher');
  w.length(protectedLength(sc, plain.length));
  protect(w, plain, { sc, key, authenticationKey, systemTitle: p.systemTitle, invocationCounter: p.invocationCounter });
  return w.finish();
}

/**
 * Checks and removes the protection of a ciphered APDU (the whole input). Wrong keys, tampered
 * bytes, unsupported options and too little protection are DLMS_ERR_SECURITY; a counter not above
 * the last accepted one is DLMS_ERR_REPLAY; malformed envelopes are the codec's usual errors.
 */
export function decipherApdu(ciphered: Uint8Array, p: DecipherParams): Deciphered {
  const r = new Reader(ciphered);
  const tag = r.peek('ciphered APDU tag');
  const name = cipheredTagName(tag);
  if (name === undefined) throw new DlmsError('DLMS_ERR_TAG', `${hex2(tag)} is not a ciphered APDU tag`, 0);
  if (tag === GENERAL_SIGNING) {
    throw security('general-signing: signature verification (security suites 1 and 2) is not supported', 0);
  }
  let content: Uint8Array;
  let systemTitle: Uint8Array | undefined;
  let dedicated = false;
  let resolved: { kind: KeyKind; key: Uint8Array } | undefined; // general-ciphering: from key-info
  let extraAad: Uint8Array | undefined;
  let plainTag: number | undefined;
  const service = serviceCipheredTag(tag);
  if (service) {
    content = decodeServiceCiphered(r).content;
    systemTitle = p.systemTitle;
    if (!systemTitle) throw security(`${name}: the peer system title is needed (the APDU does not carry it)`, 0);
    dedicated = service.keySet === 'ded';
    plainTag = service.plain;
  } else if (tag === GENERAL_CIPHERING) {
    const { apdu, authenticatedFields } = readGeneralCiphering(r);
    content = apdu.content;
    systemTitle = apdu.originatorSystemTitle;
    if (p.ownSystemTitle && !sameBytes(apdu.recipientSystemTitle, p.ownSystemTitle)) {
      throw security(`${name}: addressed to ${toHex(apdu.recipientSystemTitle)}, not to this system`, 0);
    }
    resolved = generalCipheringKey(apdu.keyInfo, p.keys);
    extraAad = authenticatedFields;
  } else {
    const apdu = decodeGeneralGloCiphering(r);
    content = apdu.content;
    systemTitle = apdu.systemTitle;
    dedicated = tag === GENERAL_DED_CIPHERING;
  }
  r.done(`end of ${name}`);
  const at = content.byteOffset - ciphered.byteOffset;
  if (service === undefined && p.systemTitle && !sameBytes(systemTitle, p.systemTitle)) {
    throw security(`${name}: system title ${toHex(systemTitle)} is not the expected ${toHex(p.systemTitle)}`, 0);
  }
  if (content.length === 0) throw new DlmsError('DLMS_ERR_TRUNCATED', `${name}: expected the security control byte`, at);
  const sc = content[0]!;
  const required = p.required ?? 'authentication';
  if (!satisfies(sc, required)) {
    throw security(`${name}: security control 0x${sc.toString(16).padStart(2, '0')} gives less protection than the required ${required}`, at);
  }
  const kind: KeyKind = resolved?.kind ?? (dedicated ? 'dedicated' : sc & 0x40 ? 'global-broadcast' : 'global-unicast');
  const key = resolved?.key ?? keyOf(kind, p.keys, name);
  const out = unprotect(content, { key, authenticationKey: p.keys.authenticationKey, systemTitle, extraAad }, at);
  if (plainTag !== undefined && out.apdu[0] !== plainTag) {
    throw new DlmsError('DLMS_ERR_TAG', `${name} must carry an APDU with tag ${hex2(plainTag)}, got ${out.apdu.length ? hex2(out.apdu[0]!) : 'nothing'}`, at + 5);
  }
  // Recorded only now: a forged APDU must not move the counter.
  p.replayGuard?.accept(systemTitle, kind, out.invocationCounter);
  return { ...out, systemTitle, key: kind };
}
