/**
 * APDU tags of the COSEM application layer (IEC 62056-5-3 §8 "Abstract syntax of COSEM PDUs",
 * XDLMS-APDU CHOICE and the ACSE APPLICATION tags). The first byte of every APDU is one of these.
 *
 * Families: the plain service tags; the same services ciphered with the global key (glo-) or the
 * dedicated key (ded-), which the security layer must remove before decodeApdu (it owns their
 * classification: security/tags.ts isCipheredTag); the general ciphering/signing envelopes; and the
 * short-name (SN) services, listed for recognition only.
 */
export const ApduTag = {
  // xDLMS, short-name referencing and initiate (A-XDR)
  initiateRequest: 0x01,
  readRequest: 0x05,
  writeRequest: 0x06,
  initiateResponse: 0x08,
  readResponse: 0x0c,
  writeResponse: 0x0d,
  confirmedServiceError: 0x0e,
  dataNotification: 0x0f,
  unconfirmedWriteRequest: 0x16,
  informationReportRequest: 0x18,

  // global-key ciphered short-name / initiate services
  gloInitiateRequest: 0x21,
  gloReadRequest: 0x25,
  gloWriteRequest: 0x26,
  gloInitiateResponse: 0x28,
  gloReadResponse: 0x2c,
  gloWriteResponse: 0x2d,
  gloConfirmedServiceError: 0x2e,
  gloUnconfirmedWriteRequest: 0x36,
  gloInformationReportRequest: 0x38,

  // dedicated-key ciphered short-name / initiate services
  dedInitiateRequest: 0x41,
  dedReadRequest: 0x45,
  dedWriteRequest: 0x46,
  dedInitiateResponse: 0x48,
  dedReadResponse: 0x4c,
  dedWriteResponse: 0x4d,
  dedConfirmedServiceError: 0x4e,
  dedUnconfirmedWriteRequest: 0x56,
  dedInformationReportRequest: 0x58,

  // ACSE (BER, [APPLICATION n])
  aarq: 0x60,
  aare: 0x61,
  rlrq: 0x62,
  rlre: 0x63,

  // logical-name services
  getRequest: 0xc0,
  setRequest: 0xc1,
  eventNotificationRequest: 0xc2,
  actionRequest: 0xc3,
  getResponse: 0xc4,
  setResponse: 0xc5,
  actionResponse: 0xc7,

  // global-key ciphered logical-name services
  gloGetRequest: 0xc8,
  gloSetRequest: 0xc9,
  gloEventNotificationRequest: 0xca,
  gloActionRequest: 0xcb,
  gloGetResponse: 0xcc,
  gloSetResponse: 0xcd,
  gloActionResponse: 0xcf,

  // dedicated-key ciphered logical-name services
  dedGetRequest: 0xd0,
  dedSetRequest: 0xd1,
  dedEventNotificationRequest: 0xd2,
  dedActionRequest: 0xd3,
  dedGetResponse: 0xd4,
  dedSetResponse: 0xd5,
  dedActionResponse: 0xd7,

  exceptionResponse: 0xd8,
  accessRequest: 0xd9,
  accessResponse: 0xda,

  // general protection envelopes
  generalGloCiphering: 0xdb,
  generalDedCiphering: 0xdc,
  generalCiphering: 0xdd,
  generalSigning: 0xdf,

  generalBlockTransfer: 0xe0,
} as const;

export type ApduTagName = keyof typeof ApduTag;

const NAME_BY_TAG: ReadonlyMap<number, ApduTagName> = new Map(
  (Object.entries(ApduTag) as [ApduTagName, number][]).map(([name, tag]) => [tag, name]),
);

/** The tag's name from ApduTag (e.g. 0xC0 → "getRequest"), or undefined for an unknown tag. */
export function apduTagName(tag: number): ApduTagName | undefined {
  return NAME_BY_TAG.get(tag);
}
