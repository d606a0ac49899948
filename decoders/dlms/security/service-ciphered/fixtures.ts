/**
 * Green Book (DLMS UA 1000-2) Table 40, "Example: glo-get-request xDLMS APDU": Clock time
 * (class 8, 0.0.1.0.0.255, attribute 2) read with security suite 0, all three protection modes.
 * Reproduced in u9n/dlms-cosem tests/test_xdlms/test_service_specific_cipher.py and tests/test_security.py.
 */
export const TABLE_40 = {
  systemTitle: '4D4D4D0000BC614E',
  globalUnicastKey: '000102030405060708090A0B0C0D0E0F',
  authenticationKey: 'D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF',
  invocationCounter: 0x01234567,
  plain: 'C0010000080000010000FF0200',
  /** SC 0x10: plain APDU followed by the GMAC tag. */
  authentication: 'C81E1001234567C0010000080000010000FF020006725D910F9221D263877516',
  /** SC 0x20: ciphertext only. */
  encryption: 'C8122001234567411312FF935A47566827C467BC',
  /** SC 0x30: ciphertext followed by the tag. */
  authenticatedEncryption: 'C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B',
} as const;

/**
 * Green Book ed. 7, glo-initiate-request example: the AARQ user-information InitiateRequest carrying
 * the dedicated key 00112233445566778899AABBCCDDEEFF, authenticated and encrypted with the Table 40
 * keys (reproduced in Elster's jDLMS DlmsSecurityProviderGcmTest, "xDLMS InitiateRequest (GB ed.7 p.265)").
 */
export const GLO_INITIATE_REQUEST = {
  plain: '01011000112233445566778899AABBCCDDEEFF0000065F1F0400007E1F04B0',
  ciphered: '21303001234567801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE6841DB204D39EE6FDB8E356855',
} as const;
