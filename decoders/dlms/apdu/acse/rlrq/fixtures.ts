/** Captured RLRQ bytes from published sources (cited per fixture). */
export const RLRQ_FIXTURES = {
  /** Reason normal, no user-information. u9n/dlms-cosem tests/test_asce/test_rlrq.py. */
  normal: '6203800100',
  /** Reason normal with a glo-initiateRequest (ciphered) in user-information.
   *  u9n/dlms-cosem tests/test_asce/test_rlrq.py. */
  ciphered:
    '6239800100BE34043221303001234567801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE6841DB204D39EE6FDB8E356855',
} as const;
