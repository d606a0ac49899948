/**
 * AARQ, the association request (IEC 62056-5-3 §8, Green Book "ACSE APDUs"; ISO/IEC 8650-1), BER:
 *
 *   AARQ-apdu ::= [APPLICATION 0] IMPLICIT SEQUENCE {                           -- 0x60
 *     protocol-version             [0]  IMPLICIT BIT STRING {version1 (0)} DEFAULT {version1}, -- 0x80
 *     application-context-name     [1]  Application-context-name,              -- 0xA1 06 ..
 *     called-AP-title              [2]  AP-title OPTIONAL,                      -- 0xA2 04 ..
 *     called-AE-qualifier          [3]  AE-qualifier OPTIONAL,                  -- 0xA3 04 ..
 *     called-AP-invocation-id      [4]  AP-invocation-identifier OPTIONAL,      -- 0xA4 02 ..
 *     called-AE-invocation-id      [5]  AE-invocation-identifier OPTIONAL,      -- 0xA5 02 ..
 *     calling-AP-title             [6]  AP-title OPTIONAL,                      -- 0xA6 04 08 <client system title>
 *     calling-AE-qualifier         [7]  AE-qualifier OPTIONAL,                  -- 0xA7 04 .. (client certificate)
 *     calling-AP-invocation-id     [8]  AP-invocation-identifier OPTIONAL,      -- 0xA8 02 ..
 *     calling-AE-invocation-id     [9]  AE-invocation-identifier OPTIONAL,      -- 0xA9 02 ..
 *     sender-acse-requirements     [10] IMPLICIT ACSE-requirements OPTIONAL,    -- 0x8A 02 07 80
 *     mechanism-name               [11] IMPLICIT Mechanism-name OPTIONAL,       -- 0x8B 07 60 85 74 05 08 02 xx
 *     calling-authentication-value [12] EXPLICIT Authentication-value OPTIONAL, -- 0xAC 80 .. (password / CtoS)
 *     implementation-information   [29] IMPLICIT Implementation-data OPTIONAL,  -- 0x9D
 *     user-information             [30] EXPLICIT Association-information OPTIONAL -- 0xBE 04 .. InitiateRequest
 *   }
 *
 * Element types are in ../elements.ts; OIDs and codes in ../names.ts.
 */
import type { Reader } from '../../../axdr/reader.js';
import type { Writer } from '../../../axdr/writer.js';
import type { BitString } from '../../../axdr/types.js';
import { decodeAcse, encodeAcse, type AcseGrammar, type AcseRequirements, type AcseUserInformation, type AuthenticationValue } from '../elements.js';
import type { ApplicationContext, AuthenticationMechanism, NamedOid } from '../names.js';
import { INITIATE_REQUEST_TAG } from '../../xdlms/initiate/index.js';

export const AARQ_TAG = 0x60;

export interface Aarq {
  type: 'aarq';
  protocolVersion?: BitString;
  applicationContextName: NamedOid<ApplicationContext>;
  calledApTitle?: Uint8Array;
  calledAeQualifier?: Uint8Array;
  calledApInvocationId?: number;
  calledAeInvocationId?: number;
  /** The client system title (8 bytes) when the context uses ciphering. */
  callingApTitle?: Uint8Array;
  /** May carry the client's certificate; kept as sent. */
  callingAeQualifier?: Uint8Array;
  callingApInvocationId?: number;
  callingAeInvocationId?: number;
  senderAcseRequirements?: AcseRequirements;
  mechanismName?: NamedOid<AuthenticationMechanism>;
  /** LLS password or HLS client challenge (CtoS). */
  callingAuthenticationValue?: AuthenticationValue;
  implementationInformation?: string;
  userInformation?: AcseUserInformation;
}

const AARQ: AcseGrammar<Aarq> = {
  type: 'aarq',
  name: 'AARQ',
  tag: AARQ_TAG,
  initiate: INITIATE_REQUEST_TAG,
  elements: [
    { tag: 0x80, key: 'protocolVersion', kind: 'protocol-version', what: 'protocol-version' },
    { tag: 0xa1, key: 'applicationContextName', kind: 'application-context', what: 'application-context-name', required: true },
    { tag: 0xa2, key: 'calledApTitle', kind: 'octets', what: 'called-AP-title' },
    { tag: 0xa3, key: 'calledAeQualifier', kind: 'octets', what: 'called-AE-qualifier' },
    { tag: 0xa4, key: 'calledApInvocationId', kind: 'integer', what: 'called-AP-invocation-id' },
    { tag: 0xa5, key: 'calledAeInvocationId', kind: 'integer', what: 'called-AE-invocation-id' },
    { tag: 0xa6, key: 'callingApTitle', kind: 'octets', what: 'calling-AP-title' },
    { tag: 0xa7, key: 'callingAeQualifier', kind: 'octets', what: 'calling-AE-qualifier' },
    { tag: 0xa8, key: 'callingApInvocationId', kind: 'integer', what: 'calling-AP-invocation-id' },
    { tag: 0xa9, key: 'callingAeInvocationId', kind: 'integer', what: 'calling-AE-invocation-id' },
    { tag: 0x8a, key: 'senderAcseRequirements', kind: 'acse-requirements', what: 'sender-acse-requirements' },
    { tag: 0x8b, key: 'mechanismName', kind: 'mechanism', what: 'mechanism-name' },
    { tag: 0xac, key: 'callingAuthenticationValue', kind: 'authentication-value', what: 'calling-authentication-value' },
    { tag: 0x9d, key: 'implementationInformation', kind: 'graphic-string', what: 'implementation-information' },
    { tag: 0xbe, key: 'userInformation', kind: 'user-information', what: 'user-information' },
  ],
};

export function decodeAarq(r: Reader): Aarq {
  return decodeAcse(r, AARQ);
}

export function encodeAarq(w: Writer, v: Aarq): void {
  encodeAcse(w, AARQ, v);
}
