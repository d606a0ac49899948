/**
 * Captured HDLC frames from published DLMS sessions, used by the tests beside this file.
 * Each group names where it was published; the bytes are exactly as captured (flags included).
 */
import { fromHex } from '../axdr/writer.js';

/**
 * Gurux.DLMS.Python client against a meter, SN referencing, client 0x10, server 1, no negotiation
 * parameters in the SNRM; the meter's reply to a read is segmented (A8) and fetched with RR.
 * Source: https://pastebin.com/Vvs6PqXK
 */
export const GURUX_SN_SESSION = {
  snrm: fromHex('7E A0 07 03 21 93 0F 01 7E'),
  ua: fromHex('7E A0 1E 21 03 73 C3 7A 81 80 12 05 01 80 06 01 3E 07 04 00 00 00 01 08 04 00 00 00 01 07 22 7E'),
  aarq: fromHex(
    '7E A0 2B 03 21 10 FB AF E6 E6 00 60 1D A1 09 06 07 60 85 74 05 08 01 02 BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 1C 03 20 FF FF 80 AB 7E',
  ),
  aare: fromHex(
    '7E A0 37 21 03 30 6C 7C E6 E7 00 61 28 A1 09 06 07 60 85 74 05 08 01 02 A2 03 02 01 00 A3 05 A1 03 02 01 00 BE 0F 04 0D 08 00 06 5F 1F 04 00 18 02 20 09 60 FA 00 0A A8 7E',
  ),
  readRequest: fromHex('7E A0 11 03 21 32 B7 3D E6 E6 00 05 01 02 FA 08 18 9E 7E'),
  readResponse1: fromHex(
    '7E A8 5B 21 03 52 88 68 E6 E7 00 0C 01 00 01 82 01 25 02 04 10 00 10 12 27 16 11 03 09 06 00 00 F0 0D 00 FF 02 04 10 00 E8 12 27 12 11 07 09 06 00 00 F0 00 00 FF 02 04 10 01 50 12 27 60 11 04 09 06 00 00 F0 0F FF FF 02 04 10 04 10 12 00 03 11 00 09 06 00 00 61 61 00 FF 4E F7 7E',
  ),
  rr2: fromHex('7E A0 07 03 21 51 11 E4 7E'),
  readResponse2: fromHex(
    '7E A8 51 21 03 54 10 D1 02 04 10 48 A0 12 00 03 11 00 09 06 00 00 60 F0 0C FF 02 04 10 2B C0 12 00 08 11 00 09 06 00 00 01 00 00 FF 02 04 10 C7 38 12 00 14 11 00 09 06 00 00 0D 00 00 FF 02 04 10 C8 00 12 00 0B 11 00 09 06 00 00 0B 00 00 FF 74 C6 7E',
  ),
  /** The published trace is cut after these bytes of the next RR. */
  rr3Prefix: fromHex('7E A0 07 03 21 71'),
};

/**
 * GXDLMSDirector session, LN referencing, client 0x10, server 1, max information field 1010 negotiated.
 * Source: https://pastebin.com/iKKsDimZ (same log: https://gist.github.com/knogi/f3d4853b936164882e5ed653498e7b61)
 */
export const GURUX_LN_SESSION = {
  snrm: fromHex('7E A0 14 03 21 93 63 E7 81 80 08 05 02 03 F2 06 02 03 F2 03 F0 7E'),
  ua: fromHex('7E A0 20 21 03 73 73 98 81 80 14 05 02 03 F2 06 02 03 F2 07 04 00 00 00 01 08 04 00 00 00 01 0A 75 7E'),
  aarq: fromHex(
    '7E A0 2B 03 21 10 FB AF E6 E6 00 60 1D A1 09 06 07 60 85 74 05 08 01 01 BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 00 1E 1D FF FF C5 E4 7E',
  ),
  aare: fromHex(
    '7E A0 39 21 03 30 2E D2 E6 E7 00 61 82 00 29 A1 09 06 07 60 85 74 05 08 01 01 A2 03 02 01 00 A3 05 A1 03 02 01 00 BE 10 04 0E 08 00 06 5F 1F 04 00 00 10 1D 03 EF 00 07 44 36 7E',
  ),
  getRequest: fromHex('7E A0 19 03 21 32 6F D8 E6 E6 00 C0 01 C1 00 0F 00 00 28 00 00 FF 02 00 91 53 7E'),
};

/**
 * Client 0x20 to a meter addressed with a 4-byte server address (logical 1, physical 8821), negotiating 1500.
 * Source: https://pastebin.com/7HTFDmEv
 */
export const FOUR_BYTE_SESSION = {
  snrm: fromHex('7EA023000288EB41931932818014050205DC060205DC070400000001080400000001A90D7E'),
  ua: fromHex('7EA02141000288EB73B8BB8180120501F806013E070400000001080400000001480E7E'),
  aarq: fromHex(
    '7EA04A000288EB41103661E6E600603980020780A1090607608574050801028A0207808B0760857405080201AC0A80083030303030303030BE0F040D01000000065F04001C132000009A557E',
  ),
  aare: fromHex(
    '7EA03941000288EB3002A0E6E7006128A109060760857405080102A203020100A305A103020100BE0F040D0800065F04001802200960FA0064C27E',
  ),
};

/**
 * 2-byte server address (logical 1, physical 17), client 5, HLS association.
 * Source: https://gist.github.com/knogi/d64dec10f26930620952d6247d7521bd
 */
export const TWO_BYTE_SESSION = {
  snrm: fromHex('7E A0 21 02 23 0B 93 0B 8B 81 80 14 05 02 07 EE 06 02 07 EE 07 04 00 00 00 01 08 04 00 00 00 01 B5 D4 7E'),
  ua: fromHex('7E A0 21 0B 02 23 73 72 21 81 80 14 05 02 00 80 06 02 00 80 07 04 00 00 00 01 08 04 00 00 00 01 CE 6A 7E'),
};

/**
 * Frames without flags from the jDLMS test suite (Iskra UA with a 2-byte source; a Landis+Gyr E650 RR with
 * a 4-byte destination, physical address 5481).
 * Source: xdom/jdlms src/test/java/org/openmuc/jdlms/sessionlayer/hdlc/HdlcFrameTest.java
 */
export const JDLMS_FRAMES = {
  iskraUa: fromHex('A01FC9022373B49681801205017E06017E0704000000010804000000015F75'),
  e650Rr: fromHex('A00A002254D361513F99'),
};
