/**
 * `hes decode [HEX...]` — the DLMS translator for operators. Reads hex from the arguments or stdin,
 * prints the decoded exchange as JSON. Exit 0 on success, 2 with a one-line error for undecodable input.
 */
import { isDlmsError } from '../decoders/dlms/errors.js';
import { parseHexInput, translate, type Framing, type TranslateOptions } from '../decoders/dlms/translator.js';
import { option, parseArgs, readStdin, UsageError } from './args.js';

const help = `usage: hes decode [options] [HEX ...]   (or hex on stdin)

Decodes DLMS frames: HDLC, wrapper or a bare APDU (auto-detected); several frames in a row are one
exchange (segments and blocks are reassembled). Prints JSON.

options:
  --framing hdlc|wrapper|apdu   force the framing
  --block-cipher-key HEX        suite-0 global unicast key (16 bytes)
  --auth-key HEX                authentication key (16 bytes)
  --dedicated-key HEX           dedicated key (16 bytes)
  --system-title HEX            system title of the sender of the ciphered APDUs (8 bytes);
                                by default taken from the AARQ/AARE in the same input
  --compact                     one-line JSON
`;

function key(hex: string | undefined, name: string, length: number): Uint8Array | undefined {
  if (hex === undefined) return undefined;
  const b = parseHexInput(hex);
  if (b.length !== length) throw new UsageError(`--${name} must be ${length} bytes, got ${b.length}`);
  return b;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv, ['framing', 'block-cipher-key', 'auth-key', 'dedicated-key', 'system-title']);
    if (args.flags.has('help')) {
      process.stdout.write(help);
      return 0;
    }
    const unknown = [...args.flags].filter((f) => f !== 'compact');
    if (unknown.length) throw new UsageError(`unknown option --${unknown[0]}`);
    const framing = option(args, 'framing');
    if (framing !== undefined && !['hdlc', 'wrapper', 'apdu'].includes(framing)) throw new UsageError('--framing must be hdlc, wrapper or apdu');
    const opts: TranslateOptions = {};
    if (framing) opts.framing = framing as Framing;
    const bck = key(option(args, 'block-cipher-key'), 'block-cipher-key', 16);
    const ak = key(option(args, 'auth-key'), 'auth-key', 16);
    const dk = key(option(args, 'dedicated-key'), 'dedicated-key', 16);
    const st = key(option(args, 'system-title'), 'system-title', 8);
    if (bck) opts.blockCipherKey = bck;
    if (ak) opts.authenticationKey = ak;
    if (dk) opts.dedicatedKey = dk;
    if (st) opts.systemTitle = st;
    const text = args.positionals.length ? args.positionals.join(' ') : await readStdin();
    const result = translate(parseHexInput(text), opts);
    process.stdout.write(JSON.stringify(result, null, args.flags.has('compact') ? undefined : 2) + '\n');
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`hes decode: ${e.message}\n`);
      return 2;
    }
    if (isDlmsError(e)) {
      process.stderr.write(`hes decode: ${e.code}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
