/**
 * A fuzzer for the codecs: random bytes and mutations of valid frames are fed to every decoder; the only
 * acceptable failure is the codec's own coded error (DlmsError, MbusError). Anything else (TypeError,
 * RangeError, a hang, an out-of-memory allocation) is a bug. Deterministic for a given seed, so a
 * failure can be replayed.
 */

export interface FuzzTarget {
  name: string;
  /** Decode `input`; must either return or throw the codec's own error. */
  run(input: Uint8Array): unknown;
  /** Valid inputs to mutate. */
  seeds: Uint8Array[];
  /** The code of an error the codec throws by design, or undefined for anything else (a failure). */
  codeOf(e: unknown): string | undefined;
}

export interface FuzzFailure {
  target: string;
  inputHex: string;
  error: string;
}

export interface FuzzReport {
  inputs: number;
  decoded: number;
  rejected: number;
  errorCodes: Record<string, number>;
  failures: FuzzFailure[];
}

/** xorshift32: small, fast, seedable. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const interesting = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xff, 0x7e, 0xa0, 0xc0, 0xc4, 0x09, 0x0c];

/** One mutation of `seed`: bit flips, byte sets, truncation, extension, splices, length lies. */
export function mutate(seed: Uint8Array, rnd: () => number): Uint8Array {
  const kind = rnd() % 7;
  const len = seed.length;
  switch (kind) {
    case 0: {
      // truncate
      return seed.slice(0, len ? rnd() % len : 0);
    }
    case 1: {
      // extend with random tail
      const extra = 1 + (rnd() % 16);
      const out = new Uint8Array(len + extra);
      out.set(seed);
      for (let i = len; i < out.length; i++) out[i] = rnd() & 0xff;
      return out;
    }
    case 2: {
      // insert or delete a byte in the middle
      if (!len) return Uint8Array.of(rnd() & 0xff);
      const at = rnd() % len;
      if (rnd() & 1) {
        const out = new Uint8Array(len - 1);
        out.set(seed.subarray(0, at));
        out.set(seed.subarray(at + 1), at);
        return out;
      }
      const out = new Uint8Array(len + 1);
      out.set(seed.subarray(0, at));
      out[at] = rnd() & 0xff;
      out.set(seed.subarray(at), at + 1);
      return out;
    }
    default: {
      // 1–4 point mutations: bit flips, interesting bytes, random bytes
      const out = seed.slice();
      if (!len) return out;
      const n = 1 + (rnd() % 4);
      for (let i = 0; i < n; i++) {
        const at = rnd() % len;
        const how = rnd() % 3;
        if (how === 0) out[at]! ^= 1 << (rnd() % 8);
        else if (how === 1) out[at] = interesting[rnd() % interesting.length]!;
        else out[at] = rnd() & 0xff;
      }
      return out;
    }
  }
}

function randomBytes(rnd: () => number, max: number): Uint8Array {
  const out = new Uint8Array(rnd() % (max + 1));
  for (let i = 0; i < out.length; i++) out[i] = rnd() & 0xff;
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * Feed `iterations` inputs, spread over the targets: one in eight purely random, the rest mutations
 * (sometimes stacked) of the targets' valid seeds.
 */
export function runFuzz(targets: FuzzTarget[], iterations: number, seed = 1, maxFailures = 20): FuzzReport {
  const rnd = prng(seed);
  const report: FuzzReport = { inputs: 0, decoded: 0, rejected: 0, errorCodes: {}, failures: [] };
  for (let i = 0; i < iterations; i++) {
    const t = targets[i % targets.length]!;
    let input: Uint8Array;
    if ((rnd() & 7) === 0 || t.seeds.length === 0) input = randomBytes(rnd, 64);
    else {
      input = t.seeds[rnd() % t.seeds.length]!;
      const depth = 1 + (rnd() % 3);
      for (let d = 0; d < depth; d++) input = mutate(input, rnd);
    }
    report.inputs++;
    try {
      t.run(input);
      report.decoded++;
    } catch (e) {
      const code = t.codeOf(e);
      if (code !== undefined) {
        report.rejected++;
        report.errorCodes[code] = (report.errorCodes[code] ?? 0) + 1;
      } else if (report.failures.length < maxFailures) {
        report.failures.push({ target: t.name, inputHex: hex(input), error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
      }
    }
  }
  return report;
}
