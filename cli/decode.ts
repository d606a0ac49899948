/**
 * `hes decode [HEX...]` — the DLMS translator for operators. Reads hex from the arguments or stdin,
 * prints the decoded exchange as JSON. Exit 0 on success, 2 with a one-line error for undecodable input.
 */
import { isDlmsError } from '../decoders/dlms/errors.js';
import { parseHexInput, translate, type Framing, type TranslateOptions } from '../decoders/dlms/translator.js';
import { parseArgs } from 'node:util';

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
    if (isDlmsError(e)) {
      process.stderr.write(`hes decode: ${e.code}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
