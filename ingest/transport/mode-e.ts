/**
 * The IEC 62056-21 mode E opening (decoders/dlms/mode-e) over a byte transport: a meter's serial port behind a
 * transparent modem or a terminal server, reached by TCP. The HES sends the request, reads the identification,
 * selects binary mode (HDLC) at the speed of the line, and waits for the switch before the DLMS session's
 * first HDLC frame. The HES cannot change the speed of a TCP stream: a modem that follows the switch (or one
 * set to the HDLC speed) needs that wait, and the channel's `baudRate` is the speed asked for.
 */
import { DlmsError } from '../../decoders/dlms/errors.js';
import {
  BAUD_RATES, decodeIdentification, encodeOptionSelect, encodeRequest, messageLength, type Identification,
} from '../../decoders/dlms/mode-e/mode-e.js';
import type { ExchangeStep } from '../exchange-log/log.js';
import { ConnectError } from './socket.js';
import type { ByteTransport } from './transport.js';

export interface ModeEOptions {
  /** The meter's device address on a bus (sent in the request); empty: any meter answers. */
  address?: string;
  /** The speed to run HDLC at: the highest speed asked for (the meter's own maximum caps it). */
  baudRate: number;
  /** How long to wait for the identification (a meter answers within 1.5 s; a modem adds its latency). */
  timeoutMs: number;
  /** How long to wait after the option select before HDLC begins. */
  switchWaitMs: number;
  log?: { step(s: ExchangeStep): void };
  signal?: AbortSignal;
}

export interface ModeEOpened {
  identification: Identification;
  /** The speed selected. */
  baudRate: number;
}

/**
 * Runs the opening; rejects with ConnectError (the session cannot start: the scheduler tries again or the
 * next comm line) when no identification comes, it is malformed, or the meter offers no binary mode.
 */
export async function openModeE(t: ByteTransport, o: ModeEOptions): Promise<ModeEOpened> {
  const startedAt = Date.now();
  const request = encodeRequest(o.address ?? '');
  try {
    const identification = await readIdentification(t, request, o);
    if (!identification.hdlc) throw new ConnectError(`the meter offers no binary mode (mode E): ${describe(identification)}`);
    const baudRate = [...BAUD_RATES].reverse().find((r) => r <= o.baudRate && r <= identification.baudRate) ?? 300;
    t.write([encodeOptionSelect(baudRate)]);
    await wait(o.switchWaitMs, o.signal);
    o.log?.step({ name: `mode E: ${describe(identification)}, HDLC at ${baudRate} Bd`, startedAt, durationMs: Date.now() - startedAt, ok: true });
    return { identification, baudRate };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    o.log?.step({ name: 'mode E opening', startedAt, durationMs: Date.now() - startedAt, ok: false, error });
    throw e instanceof ConnectError ? e : new ConnectError(`IEC 62056-21 mode E: ${error}`);
  }
}

const describe = (id: Identification) => `${id.manufacturer} "${id.identification}" up to ${id.baudRate} Bd`;

/** Writes the request and resolves with the identification that answers it (an echo of the request is skipped). */
function readIdentification(t: ByteTransport, request: Uint8Array, o: ModeEOptions): Promise<Identification> {
  return new Promise((resolve, reject) => {
    let buf = new Uint8Array(0);
    const done = (f: () => void) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', abort);
      t.attach({ onData: () => undefined, onClose: () => undefined });
      f();
    };
    const abort = () => done(() => reject(new ConnectError('cancelled during the mode E opening')));
    const timer = setTimeout(() => done(() => reject(new ConnectError(`no IEC 62056-21 identification within ${o.timeoutMs} ms of the request`))), o.timeoutMs);
    o.signal?.addEventListener('abort', abort, { once: true });
    t.attach({
      onData(chunk) {
        const joined = new Uint8Array(buf.length + chunk.length);
        joined.set(buf);
        joined.set(chunk, buf.length);
        buf = joined;
        for (let n = messageLength(buf); n; n = messageLength(buf)) {
          const message = buf.subarray(0, n);
          buf = buf.slice(n);
          // A two-wire RS-485 converter may echo what the HES sent.
          if (message.length === request.length && message.every((b, i) => b === request[i])) continue;
          try {
            const id = decodeIdentification(message);
            return done(() => resolve(id));
          } catch (e) {
            if (!(e instanceof DlmsError)) throw e;
            return done(() => reject(new ConnectError(`IEC 62056-21 mode E: ${e.message}`)));
          }
        }
        if (buf.length > 256) done(() => reject(new ConnectError('IEC 62056-21 mode E: no identification message in 256 bytes')));
      },
      onClose(reason) {
        done(() => reject(new ConnectError(`${reason} during the mode E opening`)));
      },
    });
    if (o.signal?.aborted) return abort();
    t.write([request]);
  });
}

function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ConnectError('cancelled during the mode E opening'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new ConnectError('cancelled during the mode E opening'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
