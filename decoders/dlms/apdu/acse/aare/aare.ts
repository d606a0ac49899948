/**
 * AARE, the association response (IEC 62056-5-3 §8, Green Book "ACSE APDUs"; ISO/IEC 8650-1), BER:
 *
 *   AARE-apdu ::= [APPLICATION 1] IMPLICIT SEQUENCE {                              -- 0x61
 *     protocol-version                [0]  IMPLICIT BIT STRING {version1 (0)} DEFAULT {version1}, -- 0x80
 *     application-context-name        [1]  Application-context-name,              -- 0xA1 06 ..
 *     result                          [2]  Association-result,                    -- 0xA2 02 01 xx
 *     result-source-diagnostic        [3]  Associate-source-diagnostic,           -- 0xA3 A1|A2 02 01 xx
 *     responding-AP-title             [4]  AP-title OPTIONAL,                      -- 0xA4 04 08 <server system title>
 *     responding-AE-qualifier         [5]  AE-qualifier OPTIONAL,                  -- 0xA5 04 .. (server certificate)
 *     responding-AP-invocation-id     [6]  AP-invocation-identifier OPTIONAL,      -- 0xA6 02 ..
 *     responding-AE-invocation-id     [7]  AE-invocation-identifier OPTIONAL,      -- 0xA7 02 ..
 *     responder-acse-requirements     [8]  IMPLICIT ACSE-requirements OPTIONAL,    -- 0x88 02 07 80
 *     mechanism-name                  [9]  IMPLICIT Mechanism-name OPTIONAL,       -- 0x89 07 ..
 *     responding-authentication-value [10] EXPLICIT Authentication-value OPTIONAL, -- 0xAA 80 .. (StoC)
 *     implementation-information      [29] IMPLICIT Implementation-data OPTIONAL,  -- 0x9D
 *     user-information                [30] EXPLICIT Association-information OPTIONAL -- 0xBE 04 .. InitiateResponse
 *   }                                                                             --   or ConfirmedServiceError
 *
 *   Association-result ::= INTEGER { accepted (0), rejected-permanent (1), rejected-transient (2) }
 *   Associate-source-diagnostic ::= CHOICE {
 *     acse-service-user     [1] INTEGER { null (0), no-reason-given (1), application-context-name-not-supported (2),
 *                                         ..., authentication-failure (13), authentication-required (14) },
 *     acse-service-provider [2] INTEGER { null (0), no-reason-given (1), no-common-acse-version (2) } }
 *
 * Element types are in ../elements.ts; OIDs and codes in ../names.ts.
 */
import type { Reader } from '../../../axdr/reader.js';
import type { Writer } from '../../../axdr/writer.js';
import type { BitString } from '../../../axdr/types.js';
import {
  decodeAcse,
  encodeAcse,
  type AcseGrammar,
  type AcseRequirements,
  type AcseUserInformation,
  type AssociateSourceDiagnostic,
  type AuthenticationValue,
} from '../elements.js';
import type { ApplicationContext, AuthenticationMechanism, NamedOid } from '../names.js';
import { INITIATE_RESPONSE_TAG } from '../../xdlms/initiate/index.js';

export const AARE_TAG = 0x61;

export interface Aare {
  type: 'aare';
  protocolVersion?: BitString;
  applicationContextName: NamedOid<ApplicationContext>;
  /** AssociationResult in ../names.ts. */
  result: number;
  resultSourceDiagnostic: AssociateSourceDiagnostic;
  /** The server system title (8 bytes) when the context uses ciphering. */
  respondingApTitle?: Uint8Array;
  /** May carry the server's certificate; kept as sent. */
  respondingAeQualifier?: Uint8Array;
  respondingApInvocationId?: number;
  respondingAeInvocationId?: number;
  responderAcseRequirements?: AcseRequirements;
  mechanismName?: NamedOid<AuthenticationMechanism>;
  /** The server challenge (StoC) for HLS. */
  respondingAuthenticationValue?: AuthenticationValue;
  implementationInformation?: string;
  userInformation?: AcseUserInformation;
}

const AARE: AcseGrammar<Aare> = {
  type: 'aare',
  name: 'AARE',
  tag: AARE_TAG,
  initiate: INITIATE_RESPONSE_TAG,
  elements: [
    { tag: 0x80, key: 'protocolVersion', kind: 'protocol-version', what: 'protocol-version' },
    { tag: 0xa1, key: 'applicationContextName', kind: 'application-context', what: 'application-context-name', required: true },
    { tag: 0xa2, key: 'result', kind: 'integer', what: 'result', required: true },
    { tag: 0xa3, key: 'resultSourceDiagnostic', kind: 'diagnostic', what: 'result-source-diagnostic', required: true },
    { tag: 0xa4, key: 'respondingApTitle', kind: 'octets', what: 'responding-AP-title' },
    { tag: 0xa5, key: 'respondingAeQualifier', kind: 'octets', what: 'responding-AE-qualifier' },
    { tag: 0xa6, key: 'respondingApInvocationId', kind: 'integer', what: 'responding-AP-invocation-id' },
    { tag: 0xa7, key: 'respondingAeInvocationId', kind: 'integer', what: 'responding-AE-invocation-id' },
    { tag: 0x88, key: 'responderAcseRequirements', kind: 'acse-requirements', what: 'responder-acse-requirements' },
    { tag: 0x89, key: 'mechanismName', kind: 'mechanism', what: 'mechanism-name' },
    { tag: 0xaa, key: 'respondingAuthenticationValue', kind: 'authentication-value', what: 'responding-authentication-value' },
    { tag: 0x9d, key: 'implementationInformation', kind: 'graphic-string', what: 'implementation-information' },
    { tag: 0xbe, key: 'userInformation', kind: 'user-information', what: 'user-information' },
  ],
};

export function decodeAare(r: Reader): Aare {
  return decodeAcse(r, AARE);
}

export function encodeAare(w: Writer, v: Aare): void {
  encodeAcse(w, AARE, v);
}
