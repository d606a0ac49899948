/** Captured initiate PDUs from published sources (cited per fixture). */
export const INITIATE_FIXTURES = {
  /** No dedicated key, response allowed, no QoS, version 6, conformance 007E1F, PDU size 1200. Green Book
   *  AARQ example's user-information; u9n/dlms-cosem tests/test_xdlms/test_initiate.py. */
  request: '01000000065F1F0400007E1F04B0',
  /** As above with dedicated key 00112233445566778899AABBCCDDEEFF. u9n/dlms-cosem tests/test_xdlms/test_initiate.py. */
  requestDedicatedKey: '01011000112233445566778899AABBCCDDEEFF0000065F1F0400007E1F04B0',
  /** Version 6, conformance 00501F, PDU size 500, LN. u9n/dlms-cosem tests/test_xdlms/test_initiate.py. */
  response: '0800065F1F040000501F01F40007',
  /** With negotiated QoS present (01 00), conformance 001E1D, PDU size 1224.
   *  u9n/dlms-cosem tests/test_xdlms/test_initiate.py (test_decode_with_non_default_quality). */
  responseQos: '080100065F1F0400001E1D04C80007',
} as const;
