/**
 * The exchange log of one session: its steps (what was asked, how long it took, why it failed) and, in
 * detail mode, the protocol trace (each frame as hex with a one-line decoded summary). Operators download it
 * as text to debug a meter, so secrets never reach it: the LLS password and the HLS responses f(StoC) /
 * f(CtoS) are masked in the hex wherever they appear in plain, and summaries never print octet-string values.
 */
import { toHex } from '../../decoders/dlms/axdr/writer.js';
import type { Framing } from '../../decoders/dlms/connection/index.js';
import { DlmsError } from '../../decoders/dlms/errors.js';
import { translate, type TranslatedApdu } from '../../decoders/dlms/translator.js';
import { secretBytes } from './secrets.js';

export interface ExchangeStep {
  name: string;
  startedAt: number;
  durationMs: number;
  ok: boolean;
  error?: string;
}

export interface TraceEntry {
  at: number;
  direction: 'tx' | 'rx';
  hex: string;
  summary: string;
}

export interface TraceKeys {
  blockCipherKey?: Uint8Array;
  authenticationKey?: Uint8Array;
  dedicatedKey?: Uint8Array;
}

export interface ExchangeLogOptions {
  /** Record the protocol trace (the steps are always recorded). */
  detail: boolean;
  framing: Framing;
  /** To decipher the summaries of ciphered frames. */
  keys?: TraceKeys;
  clientSystemTitle?: Uint8Array;
  serverSystemTitle?: Uint8Array;
  /** Byte strings to mask in the hex (the LLS password). */
  secrets?: readonly Uint8Array[];
  title?: string;
  /** The one-line summary of a frame of another protocol (M-Bus); DLMS frames are translated. */
  summarize?: (direction: 'tx' | 'rx', bytes: Uint8Array) => string;
}

const MASK = '**';
/** Current association method 1, reply_to_HLS_authentication, as describeApdu prints it. */
const REPLY_TO_HLS = '15/0.0.40.0.0.255 method 1';

export class ExchangeLog {
  readonly steps: ExchangeStep[] = [];
  readonly trace: TraceEntry[] = [];
  private readonly secrets: readonly Uint8Array[];
  private hlsAnswerPending = false;

  constructor(readonly options: ExchangeLogOptions) {
    this.secrets = options.secrets ?? [];
  }

  get detail(): boolean {
    return this.options.detail;
  }

  /** The server's system title once the association told it (to decipher its frames). */
  set serverSystemTitle(t: Uint8Array | undefined) {
    this.options.serverSystemTitle = t;
  }

  step(s: ExchangeStep): void {
    this.steps.push(s);
  }

  frame(direction: 'tx' | 'rx', bytes: Uint8Array, at = Date.now()): void {
    if (!this.options.detail) return;
    const apdus = this.options.summarize ? [] : this.translate(direction, bytes);
    const summary = this.options.summarize ? this.options.summarize(direction, bytes) : apdus.map((a) => a.summary).join('; ') || 'link frame';
    const hidden = secretBytes(bytes, [...this.secrets, ...this.hlsSecrets(apdus).map((h) => Buffer.from(h, 'hex'))]);
    const plain = toHex(bytes);
    const hex = Array.from(bytes, (_, i) => (hidden[i] ? MASK : plain.slice(2 * i, 2 * i + 2))).join('');
    this.trace.push({ at, direction, hex, summary });
  }

  /** Plain text: a header, the steps, then the trace. */
  toText(): string {
    const lines: string[] = [];
    if (this.options.title) lines.push(`# ${this.options.title}`);
    lines.push('## steps');
    for (const s of this.steps) {
      lines.push(`${new Date(s.startedAt).toISOString()} ${s.ok ? 'ok   ' : 'FAIL '} ${s.name} (${s.durationMs} ms)${s.error ? ` — ${s.error}` : ''}`);
    }
    if (this.options.detail) {
      lines.push('## trace');
      for (const t of this.trace) lines.push(`${new Date(t.at).toISOString()} ${t.direction === 'tx' ? '→' : '←'} ${t.summary}`, `    ${t.hex}`);
    }
    return lines.join('\n') + '\n';
  }

  toJSON(): { steps: ExchangeStep[]; trace?: TraceEntry[] } {
    return this.options.detail ? { steps: this.steps, trace: this.trace } : { steps: this.steps };
  }

  private translate(direction: 'tx' | 'rx', bytes: Uint8Array): TranslatedApdu[] {
    const o = this.options;
    const sender = direction === 'tx' ? o.clientSystemTitle : o.serverSystemTitle;
    try {
      return translate(bytes, {
        framing: o.framing === 'none' ? 'apdu' : o.framing,
        ...(o.keys?.blockCipherKey ? { blockCipherKey: o.keys.blockCipherKey } : {}),
        ...(o.keys?.authenticationKey ? { authenticationKey: o.keys.authenticationKey } : {}),
        ...(o.keys?.dedicatedKey ? { dedicatedKey: o.keys.dedicatedKey } : {}),
        ...(sender ? { systemTitle: sender } : {}),
      }).apdus;
    } catch (e) {
      if (!(e instanceof DlmsError)) throw e;
      return [{ direction: 'unknown', summary: `undecodable: ${e.message}` }];
    }
  }

  /** The octet-string of reply_to_HLS_authentication and of its answer, when they travel in plain. */
  private hlsSecrets(apdus: TranslatedApdu[]): string[] {
    const out: string[] = [];
    for (const a of apdus) {
      const isRequest = a.summary.includes(REPLY_TO_HLS);
      const isAnswer = this.hlsAnswerPending && a.summary.startsWith('action-response-normal');
      if (isRequest) this.hlsAnswerPending = true;
      if (isAnswer) this.hlsAnswerPending = false;
      if (isRequest || isAnswer) collectOctetStrings(a.apdu, out);
    }
    return out;
  }
}

function collectOctetStrings(v: unknown, out: string[]): void {
  if (!v || typeof v !== 'object') return;
  const o = v as Record<string, unknown>;
  if (typeof o['octet-string'] === 'string' && o['octet-string'].length >= 8) out.push(o['octet-string']);
  for (const x of Object.values(o)) collectOctetStrings(x, out);
}
