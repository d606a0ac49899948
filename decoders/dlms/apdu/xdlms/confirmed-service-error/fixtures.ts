/** ConfirmedServiceError APDUs (hex), constructed per the grammar in response.ts. */
export const CONFIRMED_SERVICE_ERROR_FIXTURES = {
  /** initiateError / initiate / dlms-version-too-low: the answer in AARE user-information to a too-old client. */
  dlmsVersionTooLow: '0E 01 06 01',
  /** initiateError / initiate / incompatible-conformance */
  incompatibleConformance: '0E 01 06 02',
  /** read / access / object-access-violated (short-name referencing) */
  readAccessViolated: '0E 05 05 02',
} as const;
