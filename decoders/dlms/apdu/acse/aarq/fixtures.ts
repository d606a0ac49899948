/**
 * Captured AARQ bytes from published sources (cited per fixture). Hex, as sent on the wire after the
 * HDLC LLC header or the wrapper header.
 */
export const AARQ_FIXTURES = {
  /** LN, no ciphering, lowest-level security. Green Book (v10) example, reproduced in
   *  u9n/dlms-cosem tests/test_asce/test_aarq.py and in a Gurux trace (gist knogi/f3d4853b936164882e5ed653498e7b61, with conformance 001E1D). */
  lnNoSecurity: '601DA109060760857405080101BE10040E01000000065F1F0400007E1F04B0',
  /** LN, no ciphering, LLS with password "12345678". Green Book example via u9n/dlms-cosem
   *  tests/test_asce/test_aarq.py and milanbella/gocosem asn1_test.go. */
  lnLls: '6036A1090607608574050801018A0207808B0760857405080201AC0A80083132333435363738BE10040E01000000065F1F0400007E1F04B0',
  /** LN, no ciphering, HLS mechanism 5 (GMAC) with CtoS "K56iVagY". Green Book example via
   *  u9n/dlms-cosem tests/test_asce/test_aarq.py. */
  lnHlsGmac: '6036A1090607608574050801018A0207808B0760857405080205AC0A80084B35366956616759BE10040E01000000065F1F0400007E1F04B0',
  /** LN with ciphering, HLS-GMAC, calling-AP-title "MEL\0\0\0\0\x01", glo-initiateRequest (0x21) in
   *  user-information. milanbella/gocosem asn1_test.go (TestAsn1_decode_AARQapdu_for_hdlc_meter_with_sec_5). */
  lnCipheredHlsGmac:
    '6055A109060760857405080103A60A04084D454C00000000018A0207808B0760857405080205AC0A80082948422B30463034' +
    'BE230421211F3024507E1EC4C0DBB952C70E7B3FF0A2962BB8865AB9E567A0C381D6EBF5C3',
  /** LN with ciphering, LLS "12345678", calling-AP-title 4D4D4D0000BC614E, glo-initiateRequest.
   *  u9n/dlms-cosem tests/test_asce/test_aarq.py (test_parse_ciphered_low_security2). */
  lnCipheredLls:
    '6066A109060760857405080103A60A04084D4D4D0000BC614E8A0207808B0760857405080201AC0A80083132333435363738' +
    'BE34043221303001234567801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE6841DB204D39EE6FDB8E356855',
  /** LN with ciphering, HLS mechanism 6 (SHA-256) with a 16-byte CtoS, from a Gurux client trace
   *  (gist knogi/d64dec10f26930620952d6247d7521bd). */
  lnCipheredHlsSha256:
    '605DA109060760857405080103A60A040800000000000098008A0207808B0760857405080206AC1280' +
    '10A60FE214E2B091E1544E94DBD93CF5F2BE230421211F31000F002616C7467D425A79F9D6481D82A67CC6A0958D949047035BDF66DB',
} as const;
