/** ExceptionResponse APDUs (hex), constructed per the grammar in response.ts. */
export const EXCEPTION_RESPONSE_FIXTURES = {
  /** service-not-allowed / operation-not-possible */
  operationNotPossible: 'D8 01 01',
  /** service-unknown / service-not-supported */
  serviceNotSupported: 'D8 02 02',
  /** service-not-allowed / invocation-counter-error, the server expects at least 0x00001234 */
  invocationCounterError: 'D8 01 06 00 00 12 34',
} as const;
