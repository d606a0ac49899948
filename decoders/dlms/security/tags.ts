/**
 * Tags of protected xDLMS APDUs (Green Book 9.5, XDLMS-APDU CHOICE). A service-specific ciphered
 * APDU is `[tag] IMPLICIT OCTET STRING`; its tag is fixed by the plain APDU it carries and the
 * key-set (global or dedicated):
 *
 *   plain                          glo-          ded-
 *   initiateRequest          [1]   [33]  0x21    [65]  0x41
 *   readRequest              [5]   [37]  0x25    [69]  0x45
 *   writeRequest             [6]   [38]  0x26    [70]  0x46
 *   initiateResponse         [8]   [40]  0x28    [72]  0x48
 *   readResponse             [12]  [44]  0x2C    [76]  0x4C
 *   writeResponse            [13]  [45]  0x2D    [77]  0x4D
 *   confirmedServiceError    [14]  [46]  0x2E    [78]  0x4E
 *   unconfirmedWriteRequest  [22]  [54]  0x36    [86]  0x56
 *   informationReportRequest [24]  [56]  0x38    [88]  0x58
 *   get-request              [192] [200] 0xC8    [208] 0xD0
 *   set-request              [193] [201] 0xC9    [209] 0xD1
 *   event-notification-req.  [194] [202] 0xCA    [210] 0xD2
 *   action-request           [195] [203] 0xCB    [211] 0xD3
 *   get-response             [196] [204] 0xCC    [212] 0xD4
 *   set-response             [197] [205] 0xCD    [213] 0xD5
 *   action-response          [199] [207] 0xCF    [215] 0xD7
 *
 * General protection APDUs: general-glo-ciphering [219] 0xDB, general-ded-ciphering [220] 0xDC,
 * general-ciphering [221] 0xDD, general-signing [223] 0xDF.
 */

export const GENERAL_GLO_CIPHERING = 0xdb;
export const GENERAL_DED_CIPHERING = 0xdc;
export const GENERAL_CIPHERING = 0xdd;
export const GENERAL_SIGNING = 0xdf;

export type KeySet = 'glo' | 'ded';

const PLAIN_NAMES: ReadonlyArray<readonly [number, string]> = [
  [0x01, 'initiate-request'],
  [0x05, 'read-request'],
  [0x06, 'write-request'],
  [0x08, 'initiate-response'],
  [0x0c, 'read-response'],
  [0x0d, 'write-response'],
  [0x0e, 'confirmed-service-error'],
  [0x16, 'unconfirmed-write-request'],
  [0x18, 'information-report-request'],
  [0xc0, 'get-request'],
  [0xc1, 'set-request'],
  [0xc2, 'event-notification-request'],
  [0xc3, 'action-request'],
  [0xc4, 'get-response'],
  [0xc5, 'set-response'],
  [0xc7, 'action-response'],
];

interface CipheredTagInfo {
  plain: number;
  keySet: KeySet;
  name: string;
}

/** Offsets from the plain tag: +0x20/+0x40 for the DLMS (tag < 0x80) APDUs, +8/+16 for the LN ones. */
function offset(plain: number, keySet: KeySet): number {
  if (plain < 0x80) return keySet === 'glo' ? 0x20 : 0x40;
  return keySet === 'glo' ? 0x08 : 0x10;
}

const BY_CIPHERED = new Map<number, CipheredTagInfo>();
const BY_PLAIN = new Map<number, string>();
for (const [plain, name] of PLAIN_NAMES) {
  BY_PLAIN.set(plain, name);
  for (const keySet of ['glo', 'ded'] as const) {
    BY_CIPHERED.set(plain + offset(plain, keySet), { plain, keySet, name: `${keySet}-${name}` });
  }
}

const GENERAL_NAMES = new Map<number, string>([
  [GENERAL_GLO_CIPHERING, 'general-glo-ciphering'],
  [GENERAL_DED_CIPHERING, 'general-ded-ciphering'],
  [GENERAL_CIPHERING, 'general-ciphering'],
  [GENERAL_SIGNING, 'general-signing'],
]);

/**
 * True for every protected APDU tag this module unwraps: the glo-/ded- service-specific tags and the
 * general-glo/ded-ciphering, general-ciphering and general-signing envelopes.
 */
export function isCipheredTag(tag: number): boolean {
  return BY_CIPHERED.has(tag) || GENERAL_NAMES.has(tag);
}

/** The service-specific ciphered tag for a plain APDU tag, or undefined when the service has none. */
export function cipheredTagFor(plainTag: number, keySet: KeySet): number | undefined {
  return BY_PLAIN.has(plainTag) ? plainTag + offset(plainTag, keySet) : undefined;
}

/** Plain tag and key-set of a service-specific ciphered tag. */
export function serviceCipheredTag(tag: number): CipheredTagInfo | undefined {
  return BY_CIPHERED.get(tag);
}

/** The Green Book name of a protected APDU tag ('glo-get-request', 'general-ciphering', ...). */
export function cipheredTagName(tag: number): string | undefined {
  return BY_CIPHERED.get(tag)?.name ?? GENERAL_NAMES.get(tag);
}

/** A byte as it reads in error messages: 0xC8. */
export function hex2(tag: number): string {
  return `0x${tag.toString(16).padStart(2, '0').toUpperCase()}`;
}
