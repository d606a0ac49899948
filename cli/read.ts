/**
 * `hes read` — a command-line DLMS client: one session to a meter over TCP (or a serial meter behind a
 * transparent modem, opened in IEC 62056-21 mode E), the objects asked for, JSON out.
 * Exit codes: 0 read, 2 usage, 3 connection (no TCP, no link), 4 association (rejected, authentication
 * failed), 5 data (an object could not be read, written or invoked).
 */
import { parseArgs } from 'node:util';
import type { CosemAttributeDescriptor, CosemMethodDescriptor } from '../decoders/dlms/apdu/index.js';
import { fromHex } from '../decoders/dlms/axdr/writer.js';
import type { Authentication, ConnectionSettingsInit, Framing, SecurityPolicy } from '../decoders/dlms/connection/index.js';
import { isDlmsError } from '../decoders/dlms/errors.js';
import { parseObis } from '../decoders/dlms/obis.js';
import { ExchangeLog } from '../ingest/exchange-log/log.js';
import { runSession, type Operation } from '../ingest/session/run.js';
import { BAUD_RATES } from '../decoders/dlms/mode-e/mode-e.js';
import { openModeE } from '../ingest/transport/mode-e.js';
import { connectTcp } from '../ingest/transport/socket.js';

const help = `usage: hes read --host H --port P --get OBIS:CLASS:ATTR [options]

Reads a meter over TCP (HDLC or the wrapper) in one DLMS session and prints JSON: values with units,
date-times, rows for profiles (a Profile Generic buffer, class 7 attribute 2).

connection:
  --host H --port P              meter or modem address
  --framing hdlc|wrapper         default hdlc
  --client N                     client SAP (16 public, 32 reading, 1/48 management; default 16)
  --server N                     logical server address (default 1)
  --physical N                   HDLC physical server address (2-byte server address)
  --address-size 1|2|4           HDLC server address size (default 1, or 2 with --physical)
  --max-pdu N                    client max receive PDU size (default 1024)
  --wait-time MS                 wait for an answer before resending (default 5000)
  --resends N                    resends before giving up (default 2)
  --attempts N                   sessions tried on a connection failure (default 1)
  --mode-e                       hdlc: open the port in IEC 62056-21 mode E first (a serial meter behind a
                                 transparent modem): "/?[address]!", identification, ACK 2 Z 2
  --device-address TEXT          mode E: the meter's device address in the request (default none)
  --baud N                       mode E: the speed asked for, 300..19200 (default 9600)
security:
  --auth none|low|high-gmac      default none
  --password TEXT                LLS password
  --block-cipher-key HEX         suite 0 global unicast key (16 bytes)
  --auth-key HEX                 authentication key (16 bytes)
  --system-title HEX             own (client) system title, 8 bytes (default 4845530000000001)
  --security POLICY              none|authenticated|encrypted|authenticated-and-encrypted
                                 (default: authenticated-and-encrypted when a block cipher key is given)
  --invocation-counter N         invocation counter of the first ciphered APDU (default 0)
what:
  --get OBIS:CLASS:ATTR          repeatable, e.g. 0.0.1.0.0.255:8:2 (clock)
  --from ISO --to ISO            time range for profile buffers (selective access by range)
  --action OBIS:CLASS:METHOD     repeatable, e.g. 0.0.96.3.10.255:70:1 (remote disconnect)
  --trace                        add the exchange log with the protocol trace (secrets masked)
`;

class UsageError extends Error {}

function int(v: string | undefined, name: string, dflt: number, min = 0, max = 0xffffffff): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer in ${min}..${max}, got "${v}"`);
  return n;
}

function hexOf(v: string | undefined, name: string, length: number): Uint8Array | undefined {
  if (v === undefined) return undefined;
  if (!/^([0-9a-fA-F]{2})+$/.test(v) || v.length !== length * 2) throw new UsageError(`--${name} must be ${length} bytes of hex`);
  return fromHex(v);
}

function reference(text: string, what: string): { instanceId: Uint8Array; classId: number; id: number } {
  const m = /^([\d.]+):(\d+):(\d+)$/.exec(text);
  if (!m) throw new UsageError(`--${what} "${text}": expected OBIS:CLASS:${what === 'get' ? 'ATTR' : 'METHOD'}, e.g. 0.0.1.0.0.255:8:2`);
  try {
    return { instanceId: parseObis(m[1]!), classId: Number(m[2]), id: Number(m[3]) };
  } catch (e) {
    throw new UsageError(`--${what} "${text}": ${(e as Error).message}`);
  }
}

function time(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new UsageError(`--${name} "${v}" is not a date-time (ISO 8601)`);
  return ms;
}

const choices = <T extends string>(v: string | undefined, name: string, allowed: readonly T[], dflt: T): T => {
  if (v === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}`);
  return v as T;
};

interface Plan {
  host: string;
  port: number;
  settings: ConnectionSettingsInit;
  operations: Operation[];
  waitTimeMs: number;
  resendCount: number;
  attempts: number;
  trace: boolean;
  /** Open the port in IEC 62056-21 mode E before HDLC. */
  modeE?: { address: string; baudRate: number };
}

export function plan(argv: string[]): Plan | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      tokens: true,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        framing: { type: 'string' },
        client: { type: 'string' },
        server: { type: 'string' },
        physical: { type: 'string' },
        'address-size': { type: 'string' },
        'max-pdu': { type: 'string' },
        'wait-time': { type: 'string' },
        resends: { type: 'string' },
        attempts: { type: 'string' },
        auth: { type: 'string' },
        password: { type: 'string' },
        'block-cipher-key': { type: 'string' },
        'auth-key': { type: 'string' },
        'system-title': { type: 'string' },
        security: { type: 'string' },
        'invocation-counter': { type: 'string' },
        get: { type: 'string', multiple: true },
        from: { type: 'string' },
        to: { type: 'string' },
        action: { type: 'string', multiple: true },
        trace: { type: 'boolean' },
        'mode-e': { type: 'boolean' },
        'device-address': { type: 'string' },
        baud: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  if (!v.host) throw new UsageError('--host is required');
  const port = int(v.port, 'port', -1, 1, 65535);
  if (port < 0) throw new UsageError('--port is required');
  if (!v.get?.length && !v.action?.length) throw new UsageError('nothing to do: give --get or --action');
  const framing = choices<Framing>(v.framing, 'framing', ['hdlc', 'wrapper'], 'hdlc');
  const authentication = choices<Authentication>(v.auth, 'auth', ['none', 'low', 'high-gmac'], 'none');
  const blockCipherKey = hexOf(v['block-cipher-key'], 'block-cipher-key', 16);
  const authenticationKey = hexOf(v['auth-key'], 'auth-key', 16);
  const securityPolicy = choices<SecurityPolicy>(
    v.security,
    'security',
    ['none', 'authenticated', 'encrypted', 'authenticated-and-encrypted'],
    blockCipherKey ? 'authenticated-and-encrypted' : 'none',
  );
  if (authentication === 'low' && v.password === undefined) throw new UsageError('--auth low needs --password');
  if ((authentication === 'high-gmac' || securityPolicy !== 'none') && (!blockCipherKey || !authenticationKey)) {
    throw new UsageError('HLS-GMAC and ciphering need --block-cipher-key and --auth-key');
  }
  const physical = v.physical === undefined ? undefined : int(v.physical, 'physical', 0, 0, 0x3fff);
  const addressSize = int(v['address-size'], 'address-size', physical === undefined ? 1 : 2, 1, 4);
  if (addressSize === 3) throw new UsageError('--address-size must be 1, 2 or 4');
  const settings: ConnectionSettingsInit = {
    framing,
    clientAddress: int(v.client, 'client', 16, 1, 0x7f),
    serverLogicalAddress: int(v.server, 'server', 1, 0, 0x3fff),
    serverAddressSize: addressSize as 1 | 2 | 4,
    ...(physical !== undefined ? { serverPhysicalAddress: physical } : {}),
    authentication,
    ...(v.password !== undefined ? { password: v.password } : {}),
    securityPolicy,
    ...(blockCipherKey && authenticationKey ? { keys: { blockCipherKey, authenticationKey } } : {}),
    systemTitle: hexOf(v['system-title'], 'system-title', 8) ?? fromHex('4845530000000001'),
    invocationCounter: int(v['invocation-counter'], 'invocation-counter', 0),
    maxReceivePduSize: int(v['max-pdu'], 'max-pdu', 1024, 12, 0xffff),
  };
  if (v['mode-e'] && framing !== 'hdlc') throw new UsageError('--mode-e opens HDLC: use --framing hdlc');
  if (!v['mode-e'] && (v['device-address'] !== undefined || v.baud !== undefined)) throw new UsageError('--device-address and --baud go with --mode-e');
  const baudRate = int(v.baud, 'baud', 9600, 300, 19200);
  if (!(BAUD_RATES as readonly number[]).includes(baudRate)) throw new UsageError(`--baud must be one of ${BAUD_RATES.join(', ')}`);
  const fromMs = time(v.from, 'from');
  const toMs = time(v.to, 'to');
  if ((fromMs === undefined) !== (toMs === undefined)) throw new UsageError('--from and --to go together');
  // operations run in the order given on the command line
  const operations: Operation[] = [];
  for (const t of parsed.tokens ?? []) {
    if (t.kind !== 'option' || (t.name !== 'get' && t.name !== 'action') || t.value === undefined) continue;
    const r = reference(t.value, t.name);
    if (t.name === 'action') {
      const method: CosemMethodDescriptor = { classId: r.classId, instanceId: r.instanceId, methodId: r.id };
      // the methods operators call (remote_disconnect, ...) take an integer(0) "data" parameter
      operations.push({ op: 'action', method, parameters: { type: 'integer', value: 0 } });
    } else if (r.classId === 7 && r.id === 2) {
      operations.push({ op: 'profile', obis: t.value.split(':')[0]!, ...(fromMs !== undefined ? { range: { fromMs, toMs: toMs! } } : {}) });
    } else {
      const attribute: CosemAttributeDescriptor = { classId: r.classId, instanceId: r.instanceId, attributeId: r.id };
      operations.push({ op: 'get', attribute });
    }
  }
  return {
    host: v.host,
    port,
    settings,
    operations,
    waitTimeMs: int(v['wait-time'], 'wait-time', 5000, 1),
    resendCount: int(v.resends, 'resends', 2, 0, 100),
    attempts: int(v.attempts, 'attempts', 1, 1, 100),
    trace: v.trace === true,
    ...(v['mode-e'] ? { modeE: { address: v['device-address'] ?? '', baudRate } } : {}),
  };
}

export async function main(argv: string[]): Promise<number> {
  let p: Plan | 'help';
  try {
    p = plan(argv);
  } catch (e) {
    if (!(e instanceof UsageError) && !isDlmsError(e)) throw e;
    process.stderr.write(`hes read: ${e.message}\n(hes read --help lists the options)\n`);
    return 2;
  }
  if (p === 'help') {
    process.stdout.write(help);
    return 0;
  }
  const { host, port, settings } = p;
  const log = p.trace
    ? new ExchangeLog({
        detail: true,
        framing: settings.framing!,
        ...(settings.keys ? { keys: settings.keys } : {}),
        ...(settings.systemTitle ? { clientSystemTitle: settings.systemTitle } : {}),
        ...(typeof settings.password === 'string' ? { secrets: [new TextEncoder().encode(settings.password)] } : {}),
        title: `hes read ${host}:${port}`,
      })
    : undefined;
  let result;
  try {
    const modeE = p.modeE;
    const connect = async () => {
      const t = await connectTcp(host, port, p.waitTimeMs);
      if (!modeE) return t;
      try {
        await openModeE(t, { ...modeE, timeoutMs: p.waitTimeMs, switchWaitMs: 300, ...(log ? { log } : {}) });
      } catch (e) {
        t.close();
        throw e;
      }
      return t;
    };
    result = await runSession(connect, settings, p.operations, {
      waitTimeMs: p.waitTimeMs,
      resendCount: p.resendCount,
      attempts: p.attempts,
      ...(log ? { log } : {}),
    });
  } catch (e) {
    if (!isDlmsError(e)) throw e;
    process.stderr.write(`hes read: ${e.message}\n`);
    return 2;
  }
  const out = { meter: `${host}:${port}`, ...result, ...(log ? { exchangeLog: log.toText().split('\n').filter(Boolean) } : {}) };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  if (result.error) {
    process.stderr.write(`hes read: ${result.error.message}\n`);
    return result.error.phase === 'connect' ? 3 : result.error.phase === 'associate' ? 4 : 5;
  }
  return result.ok ? 0 : 5;
}
