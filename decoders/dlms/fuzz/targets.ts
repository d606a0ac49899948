/**
 * What the fuzzer feeds: every decoder that sees untrusted bytes, seeded with the published captures
 * the unit tests use, so mutations start from realistic frames.
 */
import { AARE_FIXTURES } from '../apdu/acse/aare/fixtures.js';
import { AARQ_FIXTURES } from '../apdu/acse/aarq/fixtures.js';
import { decodeApdu } from '../apdu/index.js';
import { ACTION_FIXTURES } from '../apdu/xdlms/action/fixtures.js';
import { CONFIRMED_SERVICE_ERROR_FIXTURES } from '../apdu/xdlms/confirmed-service-error/fixtures.js';
import { DATA_NOTIFICATION_FIXTURES } from '../apdu/xdlms/data-notification/fixtures.js';
import { EVENT_NOTIFICATION_FIXTURES } from '../apdu/xdlms/event-notification/fixtures.js';
import { EXCEPTION_RESPONSE_FIXTURES } from '../apdu/xdlms/exception-response/fixtures.js';
import { GBT_FIXTURES } from '../apdu/xdlms/general-block-transfer/fixtures.js';
import { GET_FIXTURES } from '../apdu/xdlms/get/fixtures.js';
import { INITIATE_FIXTURES } from '../apdu/xdlms/initiate/fixtures.js';
import { SET_FIXTURES } from '../apdu/xdlms/set/fixtures.js';
import { decodeDataBytes } from '../axdr/data.js';
import { fromHex } from '../axdr/writer.js';
import { decodeCaptureObjects, compileRowLayout, decodeProfileBuffer } from '../cosem/profile-generic.js';
import { HdlcFrameAssembler } from '../hdlc/assembler.js';
import { decodeFrame } from '../hdlc/frame.js';
import { GURUX_LN_SESSION, GURUX_SN_SESSION, FOUR_BYTE_SESSION, TWO_BYTE_SESSION } from '../hdlc/fixtures.js';
import { decipherApdu } from '../security/cipher.js';
import { TABLE_40 } from '../security/service-ciphered/fixtures.js';
import { decodeIdentification, decodeOptionSelect, decodeRequest, encodeIdentification, encodeOptionSelect, encodeRequest, messageLength } from '../mode-e/mode-e.js';
import { translate } from '../translator.js';
import { WrapperAssembler } from '../wrapper/assembler.js';
import { decodeWpduDatagram, encodeWpdu } from '../wrapper/wpdu.js';
import type { FuzzTarget } from '../../fuzz.js';
import { isDlmsError } from '../errors.js';

/** Every string fixture (hex) in a fixtures object, as bytes. */
function hexValues(o: Record<string, unknown>): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const v of Object.values(o)) {
    if (typeof v === 'string' && /^[0-9A-Fa-f\s]+$/.test(v) && v.replace(/\s/g, '').length % 2 === 0) out.push(fromHex(v));
    else if (v instanceof Uint8Array) out.push(v);
  }
  return out;
}

const apduSeeds = [
  AARQ_FIXTURES, AARE_FIXTURES, ACTION_FIXTURES, CONFIRMED_SERVICE_ERROR_FIXTURES, DATA_NOTIFICATION_FIXTURES,
  EVENT_NOTIFICATION_FIXTURES, EXCEPTION_RESPONSE_FIXTURES, GBT_FIXTURES, GET_FIXTURES, INITIATE_FIXTURES, SET_FIXTURES,
].flatMap((f) => hexValues(f as Record<string, unknown>));

const hdlcSeeds = [GURUX_LN_SESSION, GURUX_SN_SESSION, FOUR_BYTE_SESSION, TWO_BYTE_SESSION].flatMap((s) => hexValues(s));
const sessionSeed = Uint8Array.from(hexValues(GURUX_LN_SESSION).flatMap((b) => [...b]));
const cipheredSeeds = [TABLE_40.authentication, TABLE_40.encryption, TABLE_40.authenticatedEncryption].map(fromHex);
const keys = { globalUnicastKey: fromHex(TABLE_40.globalUnicastKey), authenticationKey: fromHex(TABLE_40.authenticationKey) };
const systemTitle = fromHex(TABLE_40.systemTitle);

/** A daily 15-minute profile: clock + 4 energy registers + status, as a meter sends it. */
function profileSeed(): { layout: ReturnType<typeof compileRowLayout>; buffer: Uint8Array } {
  const captureData = decodeDataBytes(
    fromHex(
      '01 06' +
        ['0008 0000010000FF 02', '0003 0100010800FF 02', '0003 0100020800FF 02', '0003 0100030800FF 02', '0003 0100040800FF 02', '0001 0000600A01FF 02']
          .map((d) => '02 04 12' + d.slice(0, 4) + ' 09 06 ' + d.slice(5, 17) + ' 0F ' + d.slice(18) + ' 12 0000')
          .join(' '),
    ),
  );
  const layout = compileRowLayout(decodeCaptureObjects(captureData), { capturePeriod: 900 });
  const rows: string[] = [];
  for (let i = 0; i < 4; i++) {
    rows.push(`02 06 09 0C 07EA 0B 16 07 00 ${(i * 15).toString(16).padStart(2, '0')} 00 00 FF C4 00 06 00000001 06 00000002 06 00000003 06 00000004 11 00`);
  }
  return { layout, buffer: fromHex(`01 04 ${rows.join(' ')}`) };
}

const codeOf = (e: unknown): string | undefined => (isDlmsError(e) ? e.code : undefined);

export function dlmsFuzzTargets(): FuzzTarget[] {
  const profile = profileSeed();
  const targets: Omit<FuzzTarget, 'codeOf'>[] = [
    { name: 'axdr.decodeDataBytes', run: decodeDataBytes, seeds: apduSeeds.map((a) => a.subarray(Math.min(a.length, 3))).concat([profile.buffer]) },
    { name: 'apdu.decodeApdu', run: decodeApdu, seeds: apduSeeds },
    { name: 'hdlc.decodeFrame', run: (b) => decodeFrame(b, b[0] === 0x7e ? 1 : 0, b.at(-1) === 0x7e ? b.length - 1 : b.length), seeds: hdlcSeeds },
    {
      name: 'hdlc.assembler',
      run: (b) => {
        const a = new HdlcFrameAssembler();
        const mid = b.length >> 1;
        return [...a.push(b.subarray(0, mid)), ...a.push(b.subarray(mid))];
      },
      seeds: [sessionSeed, ...hdlcSeeds],
    },
    {
      name: 'wrapper.assembler',
      run: (b) => {
        const a = new WrapperAssembler();
        const mid = b.length >> 1;
        return [...a.push(b.subarray(0, mid)), ...a.push(b.subarray(mid))];
      },
      seeds: apduSeeds.slice(0, 8).map((a) => encodeWpdu(16, 1, a)),
    },
    { name: 'wrapper.datagram', run: (b) => decodeWpduDatagram(b), seeds: apduSeeds.slice(0, 8).map((a) => encodeWpdu(1, 16, a)) },
    { name: 'security.decipherApdu', run: (b) => decipherApdu(b, { keys, systemTitle, required: 'none' }), seeds: cipheredSeeds },
    { name: 'cosem.decodeProfileBuffer', run: (b) => decodeProfileBuffer(profile.layout, b), seeds: [profile.buffer] },
    {
      // What a meter's port answers during the IEC 62056-21 opening (and what a simulated port takes from the HES).
      name: 'mode-e.messages',
      run: (b) => {
        const n = messageLength(b) || b.length;
        const m = b.subarray(0, n);
        const tried = [decodeIdentification, decodeOptionSelect, decodeRequest].map((decode) => {
          try {
            return decode(m);
          } catch (e) {
            if (isDlmsError(e)) return e.code;
            throw e;
          }
        });
        return tried;
      },
      seeds: [
        encodeRequest(), encodeRequest('12345678'), encodeOptionSelect(9600),
        encodeIdentification({ manufacturer: 'EGM', baudRate: 9600, hdlc: true, identification: 'CE308' }),
      ],
    },
    { name: 'translate', run: (b) => translate(b, { blockCipherKey: keys.globalUnicastKey, authenticationKey: keys.authenticationKey, systemTitle }), seeds: [sessionSeed, ...hdlcSeeds, ...apduSeeds, ...cipheredSeeds] },
  ];
  return targets.map((t) => ({ ...t, codeOf }));
}
