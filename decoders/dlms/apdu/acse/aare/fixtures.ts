/** Captured AARE bytes from published sources (cited per fixture). */
export const AARE_FIXTURES = {
  /** Accepted, LN, no security. u9n/dlms-cosem tests/test_asce/test_aare.py. */
  accepted: '6129A109060760857405080101A203020100A305A103020100BE10040E0800065F1F040000501F01F40007',
  /** Accepted, with the APDU length in the (non-minimal) long form 82 00 29, from a meter reply in a
   *  Gurux trace (gist knogi/f3d4853b936164882e5ed653498e7b61). */
  acceptedLongLength: '61820029A109060760857405080101A203020100A305A103020100BE10040E0800065F1F040000101D03EF0007',
  /** Rejected-permanent, acse-service-user application-context-name-not-supported (2).
   *  u9n/dlms-cosem tests/test_asce/test_aare.py. */
  rejectedContext: '6129A109060760857405080101A203020101A305A103020102BE10040E0800065F1F040000501F01F40007',
  /** Rejected-permanent, no-reason-given, ConfirmedServiceError initiateError/initiate dlms-version-too-low.
   *  u9n/dlms-cosem tests/test_asce/test_aare.py. */
  rejectedVersion: '611FA109060760857405080101A203020101A305A103020101BE0604040E010601',
  /** Rejected-permanent, authentication-failure (13) after a wrong LLS password (Sagemcom reply).
   *  gvtret/gosem pkg/dlms/aare_test.go. */
  rejectedAuthentication: '6129A109060760857405080101A203020101A305A10302010DBE10040E0800065F1F040000101400800080',
  /** Accepted pending HLS: authentication-required (14), mechanism 5 (GMAC), StoC "P6wRJ21F".
   *  u9n/dlms-cosem tests/test_asce/test_aare.py. */
  hlsGmac:
    '6142A109060760857405080101A203020100A305A10302010E88020780890760857405080205AA0A8008503677524A323146' +
    'BE10040E0800065F1F040000501F01F40007',
  /** Ciphered LN, HLS-GMAC: responding-AP-title 4D454C6570A037B2, StoC "(G3cnP~s", glo-initiateResponse
   *  (0x28). milanbella/gocosem asn1_test.go (TestAsn1_decode_AAREapdu_for_hdlc_meter_with_sec_5). */
  cipheredHlsGmac:
    '6161A109060760857405080103A203020100A305A10302010EA40A04084D454C6570A037B288020780890760857405080205' +
    'AA0A8008284733636E507E73BE230421281F300000002FF9F14F5498BD2A0BB0007FDB9318B77977485F54C4EE12101BB1',
} as const;
