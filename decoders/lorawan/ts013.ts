/**
 * LoRa Alliance TS013 Payload Codec API codecs: JavaScript a device maker publishes (`decodeUplink(input)` →
 * `{data, warnings, errors}`), uploaded in a device profile's `lorawan` section and run here in a sandbox.
 *
 * The sandbox is a `node:vm` context of its own: the language's built-ins only — no `require`, `process`,
 * `Buffer`, timers, `fetch` or other I/O — with string eval and WebAssembly compilation refused. Nothing of the
 * host realm crosses into it: the input goes in as JSON text and is parsed inside, the result comes out as JSON
 * text, so the codec never holds a host object (whose constructor would lead back to the host's `Function`).
 * Each call (and the script's first run) is limited in time; a codec that throws, loops past the limit or
 * answers something that is not `{data, …}` fails with a `LorawanError` naming why — a dead letter in the pool.
 * Memory is bounded by the decoder pool's worker heap limit (workers/pool.ts).
 */
import { Script, createContext, type Context } from 'node:vm';
import { LorawanError } from './errors.js';

/** What one codec call may take, ms (vm's `timeout`: the call is interrupted when it runs longer). */
export const TS013_CALL_LIMIT_MS = 50;
/** The longest JSON a codec's answer may be: a meter's uplink decodes to a few hundred bytes. */
export const TS013_MAX_OUTPUT_CHARS = 65_536;

export interface Ts013Output {
  data: Record<string, unknown>;
  warnings: string[];
  errors: string[];
}

const ENCODE = new Script('JSON.stringify(encodeDownlink(JSON.parse(__input)))', { filename: 'ts013-encode.js' });

const CALL = new Script(
  'JSON.stringify((() => { const i = JSON.parse(__input); i.recvTime = new Date(i.recvTime); return decodeUplink(i); })())',
  { filename: 'ts013-call.js' },
);

/** One compiled codec in its own context; reused for every uplink of the profiles that carry the same script. */
export class Ts013Codec {
  readonly #context: Context;

  constructor(source: string, readonly limitMs = TS013_CALL_LIMIT_MS) {
    this.#context = createContext(Object.create(null) as object, { codeGeneration: { strings: false, wasm: false }, microtaskMode: 'afterEvaluate' });
    let script: Script;
    try {
      script = new Script(source, { filename: 'ts013-codec.js' });
    } catch (e) {
      throw new LorawanError('TS013_SYNTAX', `the codec is not JavaScript: ${describe(e)}`);
    }
    this.#run(script, 'loading the codec');
    if (this.#run(new Script('typeof decodeUplink'), 'loading the codec') !== 'function') throw new LorawanError('TS013_NO_DECODE_UPLINK', 'the codec defines no decodeUplink function');
  }

  /** The codec's answer for one uplink; a `LorawanError` when it throws, loops, reports errors or answers garbage. */
  decodeUplink(bytes: Uint8Array, fPort: number, recvTime: Date): Ts013Output {
    this.#context.__input = JSON.stringify({ bytes: Array.from(bytes), fPort, recvTime: recvTime.toISOString() });
    const text = this.#run(CALL, 'decodeUplink');
    if (typeof text !== 'string') throw new LorawanError('TS013_GARBAGE', 'decodeUplink returned nothing');
    if (text.length > TS013_MAX_OUTPUT_CHARS) throw new LorawanError('TS013_GARBAGE', `decodeUplink returned ${text.length} characters of JSON (at most ${TS013_MAX_OUTPUT_CHARS})`);
    let out: unknown;
    try {
      out = JSON.parse(text); // the codec may have replaced the context's JSON
    } catch {
      throw new LorawanError('TS013_GARBAGE', 'decodeUplink returned no JSON');
    }
    if (!isRecord(out)) throw new LorawanError('TS013_GARBAGE', 'decodeUplink returned no object');
    const errors = strings(out.errors, 'errors');
    if (errors.length) throw new LorawanError('TS013_CODEC_ERRORS', `the codec reports: ${errors.join('; ').slice(0, 500)}`);
    if (!isRecord(out.data)) throw new LorawanError('TS013_GARBAGE', 'decodeUplink returned no data object');
    return { data: out.data, warnings: strings(out.warnings, 'warnings'), errors };
  }

  /**
   * A command as the codec encodes it for the device (`encodeDownlink({data})` → `{bytes, fPort}`): the bytes
   * of the FRMPayload to queue and its fPort; a `LorawanError` as for uplinks.
   */
  encodeDownlink(data: Record<string, unknown>): { bytes: Uint8Array; fPort: number; warnings: string[] } {
    if (this.#run(new Script('typeof encodeDownlink'), 'encodeDownlink') !== 'function') throw new LorawanError('TS013_NO_ENCODE_DOWNLINK', 'the codec defines no encodeDownlink function');
    this.#context.__input = JSON.stringify({ data });
    const text = this.#run(ENCODE, 'encodeDownlink');
    let out: unknown;
    try {
      out = typeof text === 'string' && text.length <= TS013_MAX_OUTPUT_CHARS ? JSON.parse(text) : undefined;
    } catch {
      out = undefined;
    }
    if (!isRecord(out)) throw new LorawanError('TS013_GARBAGE', 'encodeDownlink returned no object');
    const errors = strings(out.errors, 'errors');
    if (errors.length) throw new LorawanError('TS013_CODEC_ERRORS', `the codec reports: ${errors.join('; ').slice(0, 500)}`);
    const bytes = out.bytes;
    if (!Array.isArray(bytes) || bytes.length > 242 || !bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
      throw new LorawanError('TS013_GARBAGE', 'encodeDownlink\'s bytes are not an array of at most 242 bytes (0-255)');
    }
    const fPort = out.fPort;
    if (typeof fPort !== 'number' || !Number.isInteger(fPort) || fPort < 1 || fPort > 223) throw new LorawanError('TS013_GARBAGE', 'encodeDownlink\'s fPort is not 1-223');
    return { bytes: Uint8Array.from(bytes as number[]), fPort, warnings: strings(out.warnings, 'warnings') };
  }

  #run(script: Script, what: string): unknown {
    try {
      return script.runInContext(this.#context, { timeout: this.limitMs, breakOnSigint: false });
    } catch (e) {
      if ((e as { code?: unknown } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new LorawanError('TS013_TIMEOUT', `${what} ran longer than ${this.limitMs} ms`);
      throw new LorawanError('TS013_THREW', `${what} threw: ${describe(e)}`);
    }
  }
}

function strings(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new LorawanError('TS013_GARBAGE', `decodeUplink's ${field} is not an array`);
  return v.map(String);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An error thrown inside the context is of the context's realm (not a host `Error`): its text, bounded. */
function describe(e: unknown): string {
  const m = (e as { message?: unknown } | null)?.message;
  return String(typeof m === 'string' ? m : e).slice(0, 300);
}

/** One value a profile keeps of the codec's `data`: where it is and what reading it is. */
export interface Ts013Value {
  path: string;
  obis: string;
  archive?: string;
  unit?: string;
  scaler?: number;
  readingType?: string;
}

/**
 * The value at a path in the codec's `data`: dot-separated keys, `[n]` for an array element (`meters[0].volume`).
 * undefined when the codec left it out; a `LorawanError` when it is there but not a finite number.
 */
export function valueAt(data: Record<string, unknown>, path: string): number | undefined {
  let v: unknown = data;
  for (const key of path.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'boolean' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new LorawanError('TS013_NOT_A_NUMBER', `data.${path} is ${JSON.stringify(v)?.slice(0, 60)}: not a number`);
  return n;
}

/** The profile's values found in a codec's `data`, each as the integer and power of ten a reading stores (absent ones left out). */
export function mapValues(data: Record<string, unknown>, values: readonly Ts013Value[]): { value: Ts013Value; raw: number; scaler: number }[] {
  const out = [];
  for (const m of values) {
    const v = valueAt(data, m.path);
    if (v === undefined) continue; // a codec leaves out what this uplink does not carry
    const { raw, scaler } = toRawScaler(v);
    out.push({ value: m, raw, scaler: scaler + (m.scaler ?? 0) });
  }
  return out;
}

/** A decimal as the integer and power of ten the readings store (12.345 → 12345, -3), at most 9 decimals. */
export function toRawScaler(value: number): { raw: number; scaler: number } {
  for (let k = 0; k <= 9; k++) {
    const raw = Math.round(value * 10 ** k);
    if (Math.abs(raw / 10 ** k - value) <= Math.abs(value) * 1e-12 && Number.isSafeInteger(raw)) return { raw, scaler: -k };
  }
  const raw = Math.round(value * 1e9);
  if (!Number.isSafeInteger(raw)) throw new LorawanError('TS013_NOT_A_NUMBER', `${value} is too large for a reading`);
  return { raw, scaler: -9 };
}
