/**
 * `hes decode [HEX...]` — the translator for operators (DLMS by default, M-Bus / wireless M-Bus with
 * `--protocol mbus`, LoRaWAN payloads with `--protocol lorawan --codec NAME|dlms|FILE.js`, UNB packets with `--protocol smp-m --key HEX`). Reads hex from the arguments or stdin, prints the decoded exchange or telegram as
 * JSON. Exit 0 on success, 2 with a one-line error for undecodable input (a wrong M-Bus key: "decryption
 * failed (check the key)").
 */
import { isDlmsError } from '../decoders/dlms/errors.js';
import { parseHexInput, translate, type Framing, type TranslateOptions } from '../decoders/dlms/translator.js';
import { isMbusError } from '../decoders/mbus/errors.js';
import { translateTelegram } from '../decoders/mbus/translator.js';
import { LorawanError } from '../decoders/lorawan/errors.js';
import { SmpmError, translatePacket } from '../decoders/smp-m/translator.js';
import { CODECS, translatePayload, translateTs013, type CodecName } from '../decoders/lorawan/translator.js';
import type { LorawanProfileSection } from '../schemas/device-profile.js';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

const help = `usage: hes decode [options] [HEX ...]   (or hex on stdin)

Decodes DLMS frames: HDLC, wrapper or a bare APDU (auto-detected); several frames in a row are one
exchange (segments and blocks are reassembled). With --protocol mbus: one M-Bus telegram, wired (68 long
frame) or wireless, with or without its link-layer CRC blocks (frame format A or B). With --protocol
lorawan: a LoRaWAN application payload (FRMPayload) read by the payload codec named. With --protocol
smp-m: one SMP-M packet a UNB base station relayed; its header, and with --key the checked and
deciphered message (docs/smp-m.md). Prints JSON.

options:
  --protocol dlms|mbus|lorawan|smp-m  what the hex is (default dlms)
  --codec obis-tlv|cayenne-lpp|dlms|FILE.js
                                lorawan: the payload codec (docs/lorawan.md); dlms: the payload is a DLMS
                                APDU (GET response, DataNotification); FILE.js: a LoRa Alliance TS013
                                codec, run in the decoder pool's sandbox, printing {data, warnings, errors}
  --fport N                     lorawan FILE.js: the uplink's fPort (1-223)
  --time ISO                    lorawan FILE.js: the uplink's receive time (default now)
  --profile FILE                lorawan FILE.js: a device profile (JSON) whose lorawan.values map the data
                                to readings: printed as readings
  --key HEX                     mbus: the meter's AES-128 key (16 bytes), for security modes 5 and 7
                                and ELL encryption
                                smp-m: the device's XTEA key of the packet's direction (16 bytes;
                                hes sim --transport unb writes them to its keys file)
  --frame-format A|B|none       mbus: the link-layer CRCs the telegram carries (default: from its length)
  --framing hdlc|wrapper|apdu   force the framing
  --block-cipher-key HEX        suite-0 global unicast key (16 bytes)
  --auth-key HEX                authentication key (16 bytes)
  --dedicated-key HEX           dedicated key (16 bytes)
  --system-title HEX            system title of the sender of the ciphered APDUs (8 bytes);
                                by default taken from the AARQ/AARE in the same input
  --compact                     one-line JSON
`;

class UsageError extends Error {}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function key(hex: string | undefined, name: string, length: number): Uint8Array | undefined {
  if (hex === undefined) return undefined;
  const b = parseHexInput(hex);
  if (b.length !== length) throw new UsageError(`--${name} must be ${length} bytes, got ${b.length}`);
  return b;
}

export async function main(argv: string[]): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          protocol: { type: 'string' },
          key: { type: 'string' },
          codec: { type: 'string' },
          fport: { type: 'string' },
          time: { type: 'string' },
          profile: { type: 'string' },
          'frame-format': { type: 'string' },
          framing: { type: 'string' },
          'block-cipher-key': { type: 'string' },
          'auth-key': { type: 'string' },
          'dedicated-key': { type: 'string' },
          'system-title': { type: 'string' },
          compact: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
    const { values, positionals } = parsed;
    if (values.help) {
      process.stdout.write(help);
      return 0;
    }
    const protocol = values.protocol ?? 'dlms';
    if (protocol !== 'dlms' && protocol !== 'mbus' && protocol !== 'lorawan' && protocol !== 'smp-m') throw new UsageError('--protocol must be dlms, mbus, lorawan or smp-m');
    if (protocol === 'lorawan') return await decodeLorawan(values, positionals);
    if (values.codec !== undefined || values.fport !== undefined || values.time !== undefined || values.profile !== undefined) {
      throw new UsageError('--codec, --fport, --time and --profile are for --protocol lorawan');
    }
    if (protocol === 'smp-m') return await decodeSmpm(values, positionals);
    if (protocol === 'mbus') return await decodeMbus(values, positionals);
    if (values.key !== undefined || values['frame-format'] !== undefined) throw new UsageError('--key and --frame-format are for --protocol mbus');
    const framing = values.framing;
    if (framing !== undefined && !['hdlc', 'wrapper', 'apdu'].includes(framing)) throw new UsageError('--framing must be hdlc, wrapper or apdu');
    const opts: TranslateOptions = {};
    if (framing) opts.framing = framing as Framing;
    const bck = key(values['block-cipher-key'], 'block-cipher-key', 16);
    const ak = key(values['auth-key'], 'auth-key', 16);
    const dk = key(values['dedicated-key'], 'dedicated-key', 16);
    const st = key(values['system-title'], 'system-title', 8);
    if (bck) opts.blockCipherKey = bck;
    if (ak) opts.authenticationKey = ak;
    if (dk) opts.dedicatedKey = dk;
    if (st) opts.systemTitle = st;
    const text = positionals.length ? positionals.join(' ') : await readStdin();
    const result = translate(parseHexInput(text), opts);
    process.stdout.write(JSON.stringify(result, null, values.compact ? undefined : 2) + '\n');
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`hes decode: ${e.message}\n`);
      return 2;
    }
    if (isDlmsError(e) || isMbusError(e) || e instanceof LorawanError || e instanceof SmpmError) {
      process.stderr.write(`hes decode: ${e.code}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

async function decodeMbus(values: { key?: string; 'frame-format'?: string; compact?: boolean; framing?: string }, positionals: string[]): Promise<number> {
  if (values.framing !== undefined) throw new UsageError('--framing is for DLMS; M-Bus telegrams are recognised by their first bytes');
  const ff = values['frame-format'];
  if (ff !== undefined && !['A', 'B', 'none'].includes(ff)) throw new UsageError('--frame-format must be A, B or none');
  const k = values.key === undefined ? undefined : hexArgument(values.key, '--key');
  if (k && k.length !== 16) throw new UsageError(`--key must be 16 bytes, got ${k.length}`);
  const input = hexArgument(positionals.length ? positionals.join(' ') : await readStdin(), 'telegram');
  const out = translateTelegram(input, { ...(k ? { key: k } : {}), ...(ff ? { frameFormat: ff as 'A' | 'B' | 'none' } : {}) });
  process.stdout.write(JSON.stringify(out, null, values.compact ? undefined : 2) + '\n');
  return 0;
}

async function decodeLorawan(values: { codec?: string; fport?: string; time?: string; profile?: string; compact?: boolean }, positionals: string[]): Promise<number> {
  const codec = values.codec;
  const script = codec?.endsWith('.js') || codec?.endsWith('.mjs') || codec?.endsWith('.cjs');
  if (!codec || (!script && codec !== 'dlms' && !(CODECS as readonly string[]).includes(codec))) throw new UsageError(`--codec must be one of ${CODECS.join(', ')}, dlms or a TS013 codec FILE.js`);
  if (!script && (values.fport !== undefined || values.time !== undefined || values.profile !== undefined)) throw new UsageError('--fport, --time and --profile are for a TS013 codec (--codec FILE.js)');
  const input = hexArgument(positionals.length ? positionals.join(' ') : await readStdin(), 'payload');
  let out: unknown;
  if (codec === 'dlms') out = translate(input, { framing: 'apdu' });
  else if (!script) out = translatePayload(input, codec as CodecName);
  else {
    const fPort = Number(values.fport);
    if (values.fport === undefined || !Number.isInteger(fPort) || fPort < 1 || fPort > 223) throw new UsageError('--fport must be the uplink\'s fPort, 1-223');
    const time = values.time === undefined ? new Date() : new Date(values.time);
    if (Number.isNaN(time.getTime())) throw new UsageError(`--time: ${values.time} is not an ISO 8601 time`);
    const source = await readText(codec, '--codec');
    let section: LorawanProfileSection | undefined;
    if (values.profile !== undefined) {
      try {
        section = (JSON.parse(await readText(values.profile, '--profile')) as { lorawan?: LorawanProfileSection }).lorawan;
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError(`--profile: ${values.profile} is not JSON: ${(e as Error).message}`);
      }
      if (!section?.values) throw new UsageError(`--profile: ${values.profile} has no lorawan.values`);
    }
    out = translateTs013(source, input, fPort, time, section?.values);
  }
  process.stdout.write(JSON.stringify(out, null, values.compact ? undefined : 2) + '\n');
  return 0;
}

async function decodeSmpm(values: { key?: string; compact?: boolean }, positionals: string[]): Promise<number> {
  const k = values.key === undefined ? undefined : hexArgument(values.key, '--key');
  if (k && k.length !== 16) throw new UsageError(`--key must be 16 bytes, got ${k.length}`);
  const input = hexArgument(positionals.length ? positionals.join(' ') : await readStdin(), 'packet');
  const out = translatePacket(input, k ? Buffer.from(k).toString('hex') : undefined);
  process.stdout.write(JSON.stringify(out, null, values.compact ? undefined : 2) + '\n');
  return 0;
}

async function readText(file: string, option: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${option}: ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Hex of an M-Bus or LoRaWAN argument; a bad digit is a usage error (not a DLMS one). */
function hexArgument(text: string, what: string): Uint8Array {
  try {
    return parseHexInput(text);
  } catch (e) {
    throw new UsageError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
