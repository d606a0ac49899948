/**
 * WPDUs of a published TCP exchange between a client (wPort 0x10) and a meter (wPort 1): AARQ / AARE,
 * GET clock, GET response, RLRQ / RLRE.
 * Source: jDLMS 0.10.0 (OpenMUC, Fraunhofer ISE) test fixtures, as vendored in michaelmill/embaya_adk
 * ext/jdlms-0.10.0/src/test/java/org/openmuc/jdlms/integration/JdlmsClientOverTcpTest.java
 */
import { fromHex } from '../axdr/writer.js';

export const WRAPPED = {
  aarq: fromHex('00 01 00 10 00 01 00 1f 60 1d a1 09 06 07 60 85 74 05 08 01 01 be 10 04 0e 01 00 00 00 06 5f 1f 04 00 00 bc 3f ff ff'),
  aare: fromHex(
    '00 01 00 01 00 10 00 2b 61 29 a1 09 06 07 60 85 74 05 08 01 01 a2 03 02 01 00 a3 05 a1 03 02 01 00 be 10 04 0e 08 00 06 5f 1f 04 00 00 1c 1f 05 dc 00 07',
  ),
  getRequest: fromHex('00 01 00 10 00 01 00 0d c0 01 02 00 08 00 00 01 00 00 ff 02 00'),
  getResponse: fromHex('00 01 00 01 00 10 00 12 c4 01 02 00 09 0c 07 d0 01 10 07 01 32 05 ff 80 00 01'),
  rlrq: fromHex('00 01 00 10 00 01 00 05 62 03 80 01 00'),
  rlre: fromHex('00 01 00 01 00 10 00 05 63 03 80 01 00'),
};
