/**
 * A general-glo-ciphering APDU captured from a meter (authenticated encryption, IC 0x1E5, sender
 * system title 2F19229199164103), from u9n/dlms-cosem tests/test_general_global_cipher.py. Its keys
 * are not published: it is an envelope fixture.
 */
export const CAPTURED_GENERAL_GLO_CIPHERING =
  'DB082F192291991641033B30000001E5025CE9D2271FD78BE8C204211A916A9D7F587E0A7A814CADEA89E9593F01F92EA8C087B5BDFDEFEAB6BECF282DFE49C08F5BE6DC8400';
