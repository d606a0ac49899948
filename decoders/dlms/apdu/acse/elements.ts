/**
 * The ACSE APDUs are BER SEQUENCEs of context-tagged, mostly optional elements. Each APDU describes
 * its grammar as a table (tag → field, kind); this module decodes and encodes any such table, so the
 * element codecs below are written once and shared by AARQ, AARE, RLRQ and RLRE.
 *
 * Decoding accepts the elements in any order (some meters do not follow the SEQUENCE order), rejects
 * an unknown or repeated tag with DLMS_ERR_TAG at the tag's offset, and a missing mandatory element
 * with DLMS_ERR_TAG at the end of the APDU. Encoding writes the elements in the grammar's order.
 *
 *   AP-title, AE-qualifier   ::= OCTET STRING        (COSEM: the system title; a certificate)
 *   AP-/AE-invocation-identifier ::= INTEGER
 *   ACSE-requirements        ::= BIT STRING { authentication (0) }
 *   Mechanism-name           ::= OBJECT IDENTIFIER
 *   Authentication-value     ::= CHOICE { charstring [0] IMPLICIT GraphicString,
 *                                         bitstring  [1] IMPLICIT BIT STRING, external [2], other [3] }
 *   Implementation-data      ::= GraphicString
 *   Association-information  ::= OCTET STRING        (an xDLMS APDU, see AcseUserInformation)
 */
import { DlmsError } from '../../errors.js';
import type { Reader } from '../../axdr/reader.js';
import type { Writer } from '../../axdr/writer.js';
import type { BitString } from '../../axdr/types.js';
import {
  BerTag,
  explicitInner,
  openContent,
  openElement,
  readBitString,
  readInteger,
  readLatin1,
  readOid,
  writeBitString,
  writeElement,
  writeInteger,
  writeLatin1,
  writeOctets,
  writeOid,
} from './ber.js';
import { namedApplicationContext, namedMechanism, type NamedOid } from './names.js';
import {
  INITIATE_REQUEST_TAG,
  INITIATE_RESPONSE_TAG,
  decodeInitiateRequest,
  decodeInitiateResponse,
  encodeInitiateRequest,
  encodeInitiateResponse,
  type InitiateRequest,
  type InitiateResponse,
} from '../xdlms/initiate/index.js';

export interface AcseRequirements {
  authentication: boolean;
}

/** Authentication-value: the LLS password or an HLS challenge (CtoS / StoC) as raw bytes. */
export type AuthenticationValue = { kind: 'charstring'; value: Uint8Array } | { kind: 'bitstring'; value: BitString };

/**
 * Associate-source-diagnostic ::= CHOICE { acse-service-user [1] INTEGER, acse-service-provider [2] INTEGER };
 * codes in names.ts (AcseServiceUserDiagnostic, AcseServiceProviderDiagnostic).
 */
export interface AssociateSourceDiagnostic {
  source: 'acse-service-user' | 'acse-service-provider';
  code: number;
}

/**
 * The xDLMS APDU in user-information. A plain InitiateRequest (in AARQ/RLRQ) or InitiateResponse (in
 * AARE/RLRE) is decoded; anything else stays raw: a ciphered initiate (glo-/ded-initiate, general
 * ciphering) for the security layer, or a ConfirmedServiceError (0x0E) for the xDLMS layer.
 * `apdu` is a view into the input when decoded; apdu[0] is its tag.
 */
export type AcseUserInformation = InitiateRequest | InitiateResponse | { type: 'raw'; apdu: Uint8Array };

type ElementKind =
  | 'protocol-version' // [n] IMPLICIT BIT STRING
  | 'application-context' // [n] EXPLICIT OBJECT IDENTIFIER
  | 'octets' // [n] EXPLICIT OCTET STRING
  | 'integer' // [n] EXPLICIT INTEGER
  | 'implicit-integer' // [n] IMPLICIT INTEGER
  | 'acse-requirements' // [n] IMPLICIT BIT STRING
  | 'mechanism' // [n] IMPLICIT OBJECT IDENTIFIER
  | 'authentication-value' // [n] EXPLICIT CHOICE
  | 'diagnostic' // [n] EXPLICIT CHOICE
  | 'graphic-string' // [n] IMPLICIT GraphicString
  | 'user-information'; // [n] EXPLICIT OCTET STRING holding an xDLMS APDU

export interface ElementSpec<Key extends string> {
  /** The whole identifier octet (class, constructed bit and tag number), e.g. 0xA1 for [1] EXPLICIT. */
  tag: number;
  key: Key;
  kind: ElementKind;
  /** ASN.1 name, for error messages. */
  what: string;
  required?: boolean;
}

export interface AcseGrammar<T extends { type: string }> {
  type: T['type'];
  name: string;
  /** [APPLICATION n] constructed identifier octet. */
  tag: number;
  /** Which initiate PDU a plain user-information carries. */
  initiate: typeof INITIATE_REQUEST_TAG | typeof INITIATE_RESPONSE_TAG;
  elements: readonly ElementSpec<Exclude<keyof T, 'type'> & string>[];
}

export function decodeAcse<T extends { type: string }>(r: Reader, g: AcseGrammar<T>): T {
  const body = openElement(r, g.tag, g.name);
  const out: Record<string, unknown> = { type: g.type };
  let seen = 0;
  while (body.remaining > 0) {
    const at = body.pos;
    const tag = body.u8(`${g.name} element tag`);
    const i = g.elements.findIndex((e) => e.tag === tag);
    if (i < 0) throw new DlmsError('DLMS_ERR_TAG', `${g.name}: unexpected element tag 0x${tag.toString(16).toUpperCase()}`, at);
    const e = g.elements[i]!;
    if (seen & (1 << i)) throw new DlmsError('DLMS_ERR_TAG', `${g.name}: ${e.what} appears twice`, at);
    seen |= 1 << i;
    const content = openContent(body, e.what);
    out[e.key] = decodeElement(content, e, g.initiate);
    content.done(`end of ${e.what}`);
  }
  g.elements.forEach((e, i) => {
    if (e.required && !(seen & (1 << i))) throw new DlmsError('DLMS_ERR_TAG', `${g.name}: missing ${e.what}`, body.end);
  });
  return out as T;
}

export function encodeAcse<T extends { type: string }>(w: Writer, g: AcseGrammar<T>, v: T): void {
  writeElement(w, g.tag, (w) => {
    for (const e of g.elements) {
      const value = v[e.key];
      if (value === undefined) {
        if (e.required) throw new DlmsError('DLMS_ERR_ENCODE', `${g.name}: ${e.what} is mandatory`);
        continue;
      }
      encodeElement(w, e, value, g.initiate);
    }
  });
}

function decodeElement(c: Reader, e: ElementSpec<string>, initiate: number): unknown {
  switch (e.kind) {
    case 'protocol-version':
      return readBitString(c, e.what);
    case 'application-context':
      return namedApplicationContext(readOid(explicitInner(c, BerTag.objectIdentifier, e.what), e.what));
    case 'octets': {
      const inner = explicitInner(c, BerTag.octetString, e.what);
      return inner.bytes(inner.remaining, e.what);
    }
    case 'integer':
      return readInteger(explicitInner(c, BerTag.integer, e.what), e.what);
    case 'implicit-integer':
      return readInteger(c, e.what);
    case 'acse-requirements': {
      const bits = readBitString(c, e.what);
      return { authentication: bits.length > 0 && (bits.bytes[0]! & 0x80) !== 0 } satisfies AcseRequirements;
    }
    case 'mechanism':
      return namedMechanism(readOid(c, e.what));
    case 'authentication-value':
      return decodeAuthenticationValue(c, e.what);
    case 'diagnostic':
      return decodeDiagnostic(c, e.what);
    case 'graphic-string':
      return readLatin1(c, e.what);
    case 'user-information':
      return decodeUserInformation(explicitInner(c, BerTag.octetString, e.what), initiate);
  }
}

function encodeElement(w: Writer, e: ElementSpec<string>, value: unknown, initiate: number): void {
  switch (e.kind) {
    case 'protocol-version':
      return writeBitString(w, e.tag, value as BitString, e.what);
    case 'application-context':
      return writeElement(w, e.tag, (w) => writeOid(w, BerTag.objectIdentifier, (value as NamedOid<string>).oid, e.what));
    case 'octets':
      return writeElement(w, e.tag, (w) => writeOctets(w, BerTag.octetString, value as Uint8Array));
    case 'integer':
      return writeElement(w, e.tag, (w) => writeInteger(w, BerTag.integer, value as number, e.what));
    case 'implicit-integer':
      return writeInteger(w, e.tag, value as number, e.what);
    case 'acse-requirements': {
      const bits = new Uint8Array([(value as AcseRequirements).authentication ? 0x80 : 0x00]);
      return writeBitString(w, e.tag, { length: 1, bytes: bits }, e.what);
    }
    case 'mechanism':
      return writeOid(w, e.tag, (value as NamedOid<string>).oid, e.what);
    case 'authentication-value':
      return writeElement(w, e.tag, (w) => encodeAuthenticationValue(w, value as AuthenticationValue, e.what));
    case 'diagnostic': {
      const d = value as AssociateSourceDiagnostic;
      const choice = d.source === 'acse-service-user' ? 0xa1 : 0xa2;
      return writeElement(w, e.tag, (w) => writeElement(w, choice, (w) => writeInteger(w, BerTag.integer, d.code, e.what)));
    }
    case 'graphic-string':
      return writeLatin1(w, e.tag, value as string, e.what);
    case 'user-information':
      return writeElement(w, e.tag, (w) =>
        writeElement(w, BerTag.octetString, (w) => encodeUserInformation(w, value as AcseUserInformation, initiate, e.what)),
      );
  }
}

function decodeAuthenticationValue(c: Reader, what: string): AuthenticationValue {
  const at = c.pos;
  const choice = c.u8(`${what} choice`);
  const inner = openContent(c, what);
  if (choice === 0x80) return { kind: 'charstring', value: inner.bytes(inner.remaining, what) };
  if (choice === 0x81) return { kind: 'bitstring', value: readBitString(inner, what) };
  throw new DlmsError('DLMS_ERR_TAG', `${what}: unsupported choice 0x${choice.toString(16).toUpperCase()} (charstring 0x80 or bitstring 0x81)`, at);
}

function encodeAuthenticationValue(w: Writer, v: AuthenticationValue, what: string): void {
  if (v.kind === 'charstring') writeOctets(w, 0x80, v.value);
  else writeBitString(w, 0x81, v.value, what);
}

function decodeDiagnostic(c: Reader, what: string): AssociateSourceDiagnostic {
  const at = c.pos;
  const choice = c.u8(`${what} choice`);
  if (choice !== 0xa1 && choice !== 0xa2) {
    throw new DlmsError('DLMS_ERR_TAG', `${what}: expected acse-service-user (0xA1) or acse-service-provider (0xA2), got 0x${choice.toString(16).toUpperCase()}`, at);
  }
  const inner = openContent(c, what);
  const code = readInteger(explicitInner(inner, BerTag.integer, what), what);
  return { source: choice === 0xa1 ? 'acse-service-user' : 'acse-service-provider', code };
}

function decodeUserInformation(c: Reader, initiate: number): AcseUserInformation {
  const tag = c.peek('user-information xDLMS APDU');
  let v: AcseUserInformation;
  if (tag === initiate && tag === INITIATE_REQUEST_TAG) v = decodeInitiateRequest(c);
  else if (tag === initiate && tag === INITIATE_RESPONSE_TAG) v = decodeInitiateResponse(c);
  else v = { type: 'raw', apdu: c.bytes(c.remaining) };
  c.done('end of the user-information xDLMS APDU');
  return v;
}

function encodeUserInformation(w: Writer, v: AcseUserInformation, initiate: number, what: string): void {
  // A plain initiate PDU only travels one way; the other one would not decode back as itself.
  if (v.type === 'raw') {
    if (v.apdu.length === 0) throw new DlmsError('DLMS_ERR_ENCODE', `${what}: empty xDLMS APDU`);
    if (v.apdu[0] === initiate) throw new DlmsError('DLMS_ERR_ENCODE', `${what}: a plain initiate PDU must be given decoded, not raw`);
    w.bytes(v.apdu);
  } else if (v.type === 'initiate-request' && initiate === INITIATE_REQUEST_TAG) encodeInitiateRequest(w, v);
  else if (v.type === 'initiate-response' && initiate === INITIATE_RESPONSE_TAG) encodeInitiateResponse(w, v);
  else throw new DlmsError('DLMS_ERR_ENCODE', `${what}: an ${v.type} does not belong in this APDU`);
}
