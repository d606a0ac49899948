/**
 * `hes sim` — a fleet of simulated DLMS meters for testing and benchmarking the HES with no hardware.
 * Flags override the config file (JSON: FleetConfig fields plus transport, port, framing, ...).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_FLEET, Fleet, type FleetConfig, type PushKind, type SecurityMode } from '../sim/fleet.js';
import { PushScheduler, pushToDestination } from '../sim/push.js';
import { builtinProfiles } from '../sim/profiles/profile.js';
import { describeAddress } from '../sim/transport/addressing.js';
import { ClientSap } from '../sim/transport/session.js';
import { startTcp, startUdp, type RunningTransport } from '../sim/transport/tcp.js';
import { startInitiated, type InitiatedFleet } from '../sim/transport/initiated.js';

const help = `usage: hes sim [options]

Serves a fleet of simulated DLMS/COSEM meters (see docs/simulator.md).

options:
  --meters N               number of meters (default 10)
  --port P                 TCP/UDP port (default 4059); with --port-per-meter meter i listens on P + i
  --framing hdlc|wrapper   (default hdlc)
  --mode-e                 hdlc: ports open in IEC 62056-21 mode E first ("/?!", identification, ACK 2 Z 2),
                           as serial meters behind a transparent modem or terminal server
  --profile NAME|FILE.json device profile: ${[...builtinProfiles().keys()].join(', ')} (default ce308)
  --security none|low|high-gmac   associations offered besides the public client (default none)
  --first-serial N         serial of the first meter (default ${DEFAULT_FLEET.firstSerial})
  --seed TEXT              master seed of the meter keys (default ${DEFAULT_FLEET.masterSeed})
  --history-start DATE     first day of generated history, YYYY-MM-DD (default ${DEFAULT_FLEET.historyStart})
  --transport tcp|udp|initiated|unb   HES-initiated TCP (default), UDP wrapper, meters dialling out, or UNB
                           meters and base stations posting to the HES (hes sim --transport unb --help)
  --hes HOST:PORT[,HOST:PORT...]  initiated: where meters connect to; with several, meter i dials the
                           i-th (mod n) first and the next one when its connection is lost
  --announce id|push|both  initiated: identification packet and/or DataNotification (default both)
  --push KINDS             scheduled / event pushes, comma-separated: daily, interval, alarm, power-down (default none)
  --push-to HOST:PORT      where HES-initiated meters push (Push Setup destination; default ${DEFAULT_FLEET.pushDestination});
                           meter-initiated meters push on their own connection
  --port-per-meter         one TCP port per meter instead of one shared port
  --host H                 listen address (default 127.0.0.1)
  --state FILE             invocation counters kept across restarts (default sim-state.json)
  --keys FILE              where the full meter list with keys is written (default sim-meters.csv; .json for JSON)
  --config FILE            JSON file with any of these settings (fleet fields and "faults": [...])
`;

interface SimConfig extends FleetConfig {
  port: number;
  host: string;
  framing: 'hdlc' | 'wrapper';
  transport: 'tcp' | 'udp' | 'initiated';
  hes?: string;
  announce: 'id' | 'push' | 'both';
  portPerMeter: boolean;
  modeE: boolean;
  keysFile: string;
}

export async function main(argv: string[]): Promise<number> {
  // UNB meters are no DLMS fleet: their network (meters and base stations) has its own options.
  const t = argv.findIndex((a) => a === '--transport' || a.startsWith('--transport='));
  if (t >= 0 && (argv[t] === '--transport=unb' || argv[t + 1] === 'unb')) return (await import('./sim-unb.js')).main(argv);
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        meters: { type: 'string' },
        port: { type: 'string' },
        framing: { type: 'string' },
        'mode-e': { type: 'boolean' },
        profile: { type: 'string' },
        security: { type: 'string' },
        'first-serial': { type: 'string' },
        seed: { type: 'string' },
        'history-start': { type: 'string' },
        transport: { type: 'string' },
        hes: { type: 'string' },
        announce: { type: 'string' },
        push: { type: 'string' },
        'push-to': { type: 'string' },
        'port-per-meter': { type: 'boolean' },
        host: { type: 'string' },
        state: { type: 'string' },
        keys: { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`hes sim: ${(e as Error).message}\n${help}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  const file = values.config ? (JSON.parse(readFileSync(values.config, 'utf8')) as Partial<SimConfig>) : {};
  const c: SimConfig = {
    ...DEFAULT_FLEET,
    port: 4059,
    host: '127.0.0.1',
    framing: 'hdlc',
    transport: 'tcp',
    announce: 'both',
    portPerMeter: false,
    modeE: false,
    keysFile: 'sim-meters.csv',
    stateFile: 'sim-state.json',
    ...file,
  };
  if (values.meters) c.meters = Number(values.meters);
  if (values.port) c.port = Number(values.port);
  if (values.framing) c.framing = values.framing as SimConfig['framing'];
  if (values.profile) c.profile = values.profile;
  if (values.security) c.security = values.security as SecurityMode;
  if (values['first-serial']) c.firstSerial = values['first-serial'];
  if (values.seed) c.masterSeed = values.seed;
  if (values['history-start']) c.historyStart = values['history-start'];
  if (values.transport) c.transport = values.transport as SimConfig['transport'];
  if (values.hes) c.hes = values.hes;
  if (values.announce) c.announce = values.announce as SimConfig['announce'];
  if (values.push) c.pushes = values.push === 'none' ? [] : (values.push.split(',') as PushKind[]);
  if (values['push-to']) c.pushDestination = values['push-to'];
  if (values['port-per-meter']) c.portPerMeter = true;
  if (values['mode-e']) c.modeE = true;
  if (values.host) c.host = values.host;
  if (values.state) c.stateFile = values.state;
  if (values.keys) c.keysFile = values.keys;
  const bad =
    (!['hdlc', 'wrapper'].includes(c.framing) && '--framing') ||
    (!['none', 'low', 'high-gmac'].includes(c.security) && '--security') ||
    (!['tcp', 'udp', 'initiated'].includes(c.transport) && '--transport') ||
    (!(Number.isInteger(c.meters) && c.meters > 0) && '--meters') ||
    ((c.pushes ?? []).some((k) => !['daily', 'interval', 'alarm', 'power-down'].includes(k)) && '--push daily,interval,alarm,power-down') ||
    (!/^[^:]+:\d+$/.test(c.pushDestination) && '--push-to HOST:PORT') ||
    (!(Number.isInteger(c.port) && c.port >= 0 && c.port < 65536) && '--port') ||
    (c.transport === 'initiated' && !/^[^:,]+:\d+(,[^:,]+:\d+)*$/.test(c.hes ?? '') && '--hes HOST:PORT[,HOST:PORT...]') ||
    (c.modeE && (c.framing !== 'hdlc' || c.transport !== 'tcp') && '--mode-e (with --framing hdlc over tcp)');
  if (bad) {
    process.stderr.write(`hes sim: invalid or missing ${bad}\n`);
    return 2;
  }

  let fleet: Fleet;
  try {
    fleet = new Fleet(c);
  } catch (e) {
    process.stderr.write(`hes sim: ${(e as Error).message}\n`);
    return 2;
  }
  let transport: RunningTransport | undefined;
  let initiated: InitiatedFleet | undefined;
  if (c.transport === 'initiated') {
    const [first, ...alternates] = c.hes!.split(',').map((a) => {
      const [host, port] = a.split(':');
      return { host: host!, port: Number(port) };
    });
    initiated = startInitiated({ fleet, framing: c.framing, ...first!, alternates, announce: c.announce });
  } else if (c.transport === 'udp') {
    transport = await startUdp({ fleet, host: c.host, port: c.port });
  } else {
    transport = await startTcp({ fleet, framing: c.framing, host: c.host, port: c.port, portPerMeter: c.portPerMeter, modeE: c.modeE });
  }

  // The ports actually bound: --port 0 lets the system choose (tests, benchmarks).
  const portOf = (i: number): number => transport?.ports[c.portPerMeter ? i : 0] ?? c.port;
  const addressOf = (i: number): string =>
    c.transport === 'initiated' ? `dials ${c.hes}` : c.portPerMeter ? `${c.host}:${portOf(i)}` : `${c.host}:${portOf(0)} ${i === 0 ? 'default address or ' : ''}${describeAddress(c.framing, i)}`;
  mkdirSync(dirname(c.keysFile), { recursive: true });
  writeFileSync(c.keysFile, fleet.exportKeys(c.keysFile.endsWith('.json') ? 'json' : 'csv', addressOf));
  const lines = [
    `hes sim: ${c.meters} × ${fleet.profile.name} (${fleet.profile.description}), ${c.transport} ${c.framing}${c.modeE ? ' (IEC 62056-21 mode E)' : ''}, security ${c.security}`,
    `clients: public ${ClientSap.public} (no auth)` + (c.security !== 'none' ? `, reader ${ClientSap.reader} (LLS)` : '') + (c.security === 'high-gmac' ? `, management ${ClientSap.management} (HLS-GMAC, authenticated+encrypted)` : ''),
  ];
  for (let i = 0; i < Math.min(5, c.meters); i++) {
    const k = fleet.keys(i);
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
    lines.push(`  ${k.serial}  ${addressOf(i)}` + (c.security !== 'none' ? `  password ${k.password}` : '') + (c.security === 'high-gmac' ? `  EK ${hex(k.blockCipherKey)} AK ${hex(k.authenticationKey)} ST ${hex(k.systemTitle)}` : ''));
  }
  if (c.meters > 5) lines.push(`  … ${c.meters - 5} more`);
  lines.push(`all meters with their addresses and keys: ${c.keysFile}`);
  process.stdout.write(lines.join('\n') + '\n');

  const pushes = c.pushes?.length
    ? new PushScheduler({ fleet, kinds: c.pushes, deliver: initiated ? (p) => void initiated.push(p.index, p.setup) : (p) => void pushToDestination(fleet, p) })
    : undefined;
  pushes?.start();
  if (pushes) process.stdout.write(`pushes: ${c.pushes!.join(', ')} ${initiated ? 'on each meter’s connection' : `to ${c.pushDestination}`}\n`);
  const saver = setInterval(() => fleet.saveState(), 10_000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(saver);
  pushes?.stop();
  initiated?.close();
  await transport?.close();
  fleet.saveState();
  return 0;
}
