/**
 * Named values of the DLMS/COSEM ACSE (IEC 62056-5-3 §8, Green Book "COSEM application context and
 * authentication mechanism names", ISO/IEC 8650-1 diagnostics).
 *
 *   application context  {joint-iso-ccitt(2) country(16) country-name(756) identified-organization(5)
 *                         DLMS-UA(8) application-context(1) context_id(x)}
 *   mechanism name       {2 16 756 5 8 authentication-mechanism-name(2) mechanism_id(x)}
 */

/** An OBJECT IDENTIFIER as sent (dotted text) plus its DLMS name when it is one of the known ones. */
export interface NamedOid<Name extends string> {
  oid: string;
  name?: Name;
}

const APPLICATION_CONTEXT_IDS = {
  'logical-name': 1,
  'short-name': 2,
  'logical-name-ciphering': 3,
  'short-name-ciphering': 4,
} as const;

const MECHANISM_IDS = {
  lowest: 0,
  low: 1, // LLS, password
  high: 2, // HLS, manufacturer specific
  'high-md5': 3,
  'high-sha1': 4,
  'high-gmac': 5,
  'high-sha256': 6,
  'high-ecdsa': 7,
} as const;

export type ApplicationContext = keyof typeof APPLICATION_CONTEXT_IDS;
export type AuthenticationMechanism = keyof typeof MECHANISM_IDS;

const DLMS_UA_ARCS = [2, 16, 756, 5, 8] as const;
const DLMS_UA = DLMS_UA_ARCS.join('.');

/** The arc after DLMS-UA that says which kind of name follows. */
const NAME_KIND_ARC = { 'application-context': 1, mechanism: 2 } as const;

function byOid<Name extends string>(arc: number, ids: Record<Name, number>): ReadonlyMap<string, Name> {
  return new Map((Object.entries(ids) as [Name, number][]).map(([name, id]) => [`${DLMS_UA}.${arc}.${id}`, name]));
}

const APPLICATION_CONTEXT_BY_OID = byOid(NAME_KIND_ARC['application-context'], APPLICATION_CONTEXT_IDS);
const MECHANISM_BY_OID = byOid(NAME_KIND_ARC.mechanism, MECHANISM_IDS);

export function applicationContextName(name: ApplicationContext): NamedOid<ApplicationContext> {
  return { oid: `${DLMS_UA}.${NAME_KIND_ARC['application-context']}.${APPLICATION_CONTEXT_IDS[name]}`, name };
}

export function mechanismName(name: AuthenticationMechanism): NamedOid<AuthenticationMechanism> {
  return { oid: `${DLMS_UA}.${NAME_KIND_ARC.mechanism}.${MECHANISM_IDS[name]}`, name };
}

/** context_id or mechanism_id of a DLMS UA name given as arcs, or undefined when `arcs` is not one of that kind. */
export function dlmsNameId(arcs: readonly number[], kind: keyof typeof NAME_KIND_ARC): number | undefined {
  return arcs.length === 7 && DLMS_UA_ARCS.every((x, i) => arcs[i] === x) && arcs[5] === NAME_KIND_ARC[kind] ? arcs[6] : undefined;
}

export function namedApplicationContext(oid: string): NamedOid<ApplicationContext> {
  const name = APPLICATION_CONTEXT_BY_OID.get(oid);
  return name ? { oid, name } : { oid };
}

export function namedMechanism(oid: string): NamedOid<AuthenticationMechanism> {
  const name = MECHANISM_BY_OID.get(oid);
  return name ? { oid, name } : { oid };
}

/** Association-result (AARE result). */
export const AssociationResult = { accepted: 0, rejectedPermanent: 1, rejectedTransient: 2 } as const;

/** Associate-source-diagnostic, acse-service-user [1] codes. */
export const AcseServiceUserDiagnostic = {
  null: 0,
  noReasonGiven: 1,
  applicationContextNameNotSupported: 2,
  callingApTitleNotRecognized: 3,
  callingApInvocationIdentifierNotRecognized: 4,
  callingAeQualifierNotRecognized: 5,
  callingAeInvocationIdentifierNotRecognized: 6,
  calledApTitleNotRecognized: 7,
  calledApInvocationIdentifierNotRecognized: 8,
  calledAeQualifierNotRecognized: 9,
  calledAeInvocationIdentifierNotRecognized: 10,
  authenticationMechanismNameNotRecognised: 11,
  authenticationMechanismNameRequired: 12,
  authenticationFailure: 13,
  authenticationRequired: 14,
} as const;

/** Associate-source-diagnostic, acse-service-provider [2] codes. */
export const AcseServiceProviderDiagnostic = { null: 0, noReasonGiven: 1, noCommonAcseVersion: 2 } as const;

export const ReleaseRequestReason = { normal: 0, urgent: 1, userDefined: 30 } as const;
export const ReleaseResponseReason = { normal: 0, notFinished: 1, userDefined: 30 } as const;
