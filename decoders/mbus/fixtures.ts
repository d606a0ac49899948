/**
 * Published telegrams with the values their sources document, for the unit tests and as fuzz seeds.
 * Hex only (facts), no code of the sources:
 *
 * - OMS: the examples of the OMS Specification Vol. 2 Annex N (Open Metering System Group), as
 *   reproduced in the jMBus test suite (MPL-2.0) and the ioBroker.wmbus tests (lib/wmbus_decoder.test.js):
 *   a gas meter ELS 12345678 reading 28504.27 m3 on 2008-05-31 23:50, in security profile A (mode 5) and
 *   profile B (mode 7, with and without a radio adapter), partial encryption, frame format B.
 * - pyMeterBus: tests/test_encrypted_wmbus.py (BSD-3-Clause, © 2014 Mikael Ganehag Brorsson).
 * - jMBus: the Kamstrup ELL (CI 0x8D, AES-CTR) decryption test, as reproduced in ioBroker.wmbus; the
 *   source gives 38 bytes, the L field (0x24) covers 37: the 38th byte (a receiver's trailer) is dropped.
 * - libmbus: test/test-frames/*.hex with their *.norm.xml (BSD-3-Clause, © 2010-2012 Raditex Control AB).
 * - wmbusmeters: simulations/simulation_dll_crcs.txt (telegram with its CRCs; GPL-3.0 project, the
 *   telegram is data): checked here only for its CRC blocks and link-layer fields.
 */

const clean = (hex: string): string => hex.replace(/\s/g, '');

export interface Fixture {
  source: string;
  hex: string;
  key?: string;
}

export const OMS_MODE5: Fixture = {
  source: 'OMS Vol. 2 Annex N, security profile A (mode 5), frame format A with CRCs',
  hex: '2E44931578563412330333637A2A0020255923C95AAA26D1B2E7493BC2AD013EC4A6F6D3529B520EDFF0EA6DEFC955B29D6D69EBF3EC8A',
  key: '0102030405060708090A0B0C0D0E0F11',
};

export const OMS_MODE7: Fixture = {
  source: 'OMS Vol. 2 Annex N, security profile B (mode 7), frame format A with CRCs',
  hex: '434493157856341233037AC98C2075900F002C25B30A000021924D4FBA372FB66E017A75002007109058475F4BC9D1281DF878B80A1B0F98B629024AAC7279429398BFC549233C0140829B93BAA1',
  key: '000102030405060708090A0B0C0D0E0F',
};

export const OMS_MODE7_NO_CRC: Fixture = {
  source: 'OMS Vol. 2 Annex N, security profile B (mode 7), without CRCs (jMBus test)',
  hex: '434493157856341233038C2075900F002C25B30A000021924D4F2FB66E017A75002007109058475F4BC91DF878B80A1B0F98B629024AAC727942BFC549233C0140829B93',
  key: '000102030405060708090A0B0C0D0E0F',
};

export const OMS_MODE7_ADAPTER: Fixture = {
  source: 'OMS Vol. 2 Annex N, radio adapter RAD 11223344 in front of meter ELS 12345678 (ELL 0x8E, AFL, long TPL header, mode 7)',
  hex: '53082448443322110337D0468E80753A63665544330A31900F002C25E00AB30A0000AF5D74DF73A600D972785634C027129315330375002007109058475F4BC955CF1DF878B80A1B0F98B629024AAC7279429398BFC549233C0140829B93BAA1',
  key: '000102030405060708090A0B0C0D0E0F',
};

export const OMS_PARTIAL: Fixture = {
  source: 'OMS Vol. 2 Annex N, heat cost allocator QDS 55667788 behind a radio adapter, one encrypted block then plain records',
  hex: '2D44934444332211553769EF7288776655934455080004100500DFE227F9A782146D1513581CD2F83F39040CFD1040C4785634128134',
  key: '000102030405060708090A0B0C0D0E0F',
};

export const OMS_FORMAT_B: Fixture = {
  source: 'OMS Vol. 2 Annex N, frame format B, water meter CEN 12345678, ELL 0x8C, no TPL header',
  hex: '1444AE0C7856341201078C2027780B134365877AC5',
};

export const PYMETERBUS_MODE5: Fixture = {
  source: 'pyMeterBus tests/test_encrypted_wmbus.py (BSD-3-Clause): heat meter 00096255, mode 5, no CRCs',
  hex: '2E44090755620900070C7A131020059E41561B485F193B3163B28AEA226622E71E86565012329876DCC07DE0DD855B',
  key: 'CB6ABFAA8D2247B59127D3B839CF34B4',
};

export const JMBUS_ELL_CTR: Fixture = {
  source: 'jMBus decryption test (as reproduced in ioBroker.wmbus): Kamstrup cold water meter, ELL 0x8D with AES-CTR',
  hex: '24442D2C692845631B168D3050209CD621B006B1140AEF4953AE5B86FAFC0B00E70705B846',
  key: '4E5508544202058100DFEFA06B0934A5',
};

export const WMBUSMETERS_DLL_CRCS: Fixture = {
  source: 'wmbusmeters simulations/simulation_dll_crcs.txt: Sontex (SON) telegram with its format A CRCs',
  hex: '3444EE4D813929271608811D7A51000000046D1912A62B036E0000005170426CE1F1436E00000002FF2C00000259D6D0D4090265FC0902FD66A00044C4',
};

export const LIBMBUS_KAMSTRUP_601: Fixture = {
  source: 'libmbus test/test-frames/kamstrup_multical_601.hex (BSD-3-Clause)',
  hex: clean(`68 F7 F7 68 08 11 72 17 58 85 06 2D 2C 08 04 04 00 00 00 0C 78 17 58 85 06 04 06 E7 91 00 00 04 14 2C DB 00 00 04 22 D9 03 00 00 04 59 B9 27 00 00 04 5D 08 12 00 00 04 61 B1 15 00 00 04 2D 5B 01 00 00 14 2D C0 01 00 00 04 3B 1F 02 00 00 14 3B 74 02 00 00 84 10 06 00 00 00 00 84 20 06 00 00 00 00 84 40 14 00 00 00 00 84 80 40 14 00 00 00 00 84 C0 40 06 00 00 00 00 04 6D 1A 2F 65 11 44 06 51 82 00 00 44 14 B2 C3 00 00 54 2D 26 02 00 00 54 3B 03 04 00 00 C4 10 06 00 00 00 00 C4 20 06 00 00 00 00 C4 40 14 00 00 00 00 C4 80 40 14 00 00 00 00 C4 C0 40 06 00 00 00 00 42 6C 5F 1C 0F 00 00 00 00 E7 E4 00 00 63 66 00 00 00 00 00 00 00 00 00 00 00 00 00 00 5B C9 A5 02 34 53 00 00 E0 B2 03 00 89 9C 68 00 00 00 00 00 01 00 01 07 07 09 01 03 00 00 00 00 00 98 16`),
};

export const LIBMBUS_CYBLE_WATER: Fixture = {
  source: 'libmbus test/test-frames/itron_cyble_m-bus_v1.4_water.hex (BSD-3-Clause)',
  hex: clean(`68 56 56 68 08 01 72 71 00 00 12 77 04 14 07 0A 30 00 00 0C 78 71 00 00 12 0D 7C 08 44 49 20 2E 74 73 75 63 0A 45 4C 42 59 43 20 54 53 45 54 04 6D 2B 0D 98 11 02 7C 09 65 6D 69 74 20 2E 74 61 62 F2 10 04 14 3D 30 00 00 04 94 7F 14 00 00 00 44 14 00 00 00 00 0F 10 01 1F 2F 16`),
};

export const LIBMBUS_ABB: Fixture = {
  source: 'libmbus / pyMeterBus test-frames/abb_xxx.hex (BSD-3-Clause): electricity meter, manufacturer-specific VIFs, plain text',
  hex: '6885856808007272593800420420020C0000000E840007590000000004FFA0006400000004FFA1150000000004FFA2000500000004FFA3150000000007FFA600000000000000000007FFA700000000000000000007FFA800000000000000000007FFA90000000000000000000DFD8E0007302E34322E31420DFFAA000B3030312D333131203432421FBD16',
};

export const LIBMBUS_PLAIN_TEXT: Fixture = {
  source: 'libmbus test/test-frames/example_plain_text_placement.hex (BSD-3-Clause): plain-text VIF after its VIFE',
  hex: clean('68 19 19 68 08 02 72 78 56 34 12 24 40 01 07 55 00 00 00 03 FC 20 03 43 42 41 15 31 00 7F 16'),
};
