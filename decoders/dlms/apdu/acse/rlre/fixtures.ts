/** Captured RLRE bytes from published sources (cited per fixture). */
export const RLRE_FIXTURES = {
  /** Reason normal, no user-information. u9n/dlms-cosem tests/test_asce/test_rlre.py. */
  normal: '6303800100',
  /** Reason normal with a plain InitiateResponse carrying a QoS (01 00).
   *  u9n/dlms-cosem tests/test_asce/test_rlre.py. */
  initiateResponse: '6316800100BE11040F080100065F1F0400001E1D04C80007',
  /** Reason normal with a glo-initiateResponse (ciphered). u9n/dlms-cosem tests/test_asce/test_rlre.py. */
  ciphered: '6328800100BE230421281F3001234567891214A0845E475714383F65BC19745CA235906525E4F3E1C893',
} as const;
