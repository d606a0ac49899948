/**
 * `hes sim-mbus` — simulated M-Bus meters for testing the HES with no hardware: wired slaves behind a
 * simulated M-Bus-to-TCP converter, and/or wireless water and heat meters whose telegrams (security mode 5
 * or 7) a simulated gateway forwards to the HES over HTTP or MQTT (docs/mbus.md, docs/simulator.md).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MbusConverter } from '../sim/mbus/converter.js';
import { GatewayFeed, type GatewayTarget } from '../sim/mbus/gateway.js';
import { MbusFleet } from '../sim/mbus/meter.js';

const help = `usage: hes sim-mbus [options]

options:
  --meters N               meters (default 10): water and heat, every second one heat
  --first-id N             ID of meter 0, 8 digits (default 30000000); manufacturer HES
  --seed TEXT              seed of the keys and consumption (default hes-mbus-sim)
  --tz-minutes N           the meters' clocks, minutes east of UTC (default 0)
  --keys FILE              write the meters (address, medium, AES key) as CSV (default mbus-meters.csv)
  wired:
  --converter-port P       serve the meters as wired slaves (primary addresses 1..N) behind a converter on P
  --encrypted              wired answers in security mode 5
  wireless:
  --gateway-http API       forward telegrams to this HES API base (e.g. http://127.0.0.1:8080/api/v1) ...
  --token TOKEN            ... as this M2M user's API token
  --gateway-mqtt URL       or publish them to this MQTT broker (e.g. mqtt://127.0.0.1:1883) ...
  --prefix TEXT            ... under this topic prefix (default hes/wmbus)
  --project ID             the HES project the gateway serves
  --gateway ID             the gateway's id (default sim-gw-1)
  --mode 5|7               security mode of the telegrams (default 5)
  --interval S             seconds between rounds (default 60)
`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      meters: { type: 'string' }, 'first-id': { type: 'string' }, seed: { type: 'string' }, 'tz-minutes': { type: 'string' }, keys: { type: 'string' },
      'converter-port': { type: 'string' }, encrypted: { type: 'boolean' },
      'gateway-http': { type: 'string' }, token: { type: 'string' }, 'gateway-mqtt': { type: 'string' }, prefix: { type: 'string' },
      project: { type: 'string' }, gateway: { type: 'string' }, mode: { type: 'string' }, interval: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  const fail = (m: string) => {
    process.stderr.write(`hes sim-mbus: ${m}\n`);
    return 2;
  };
  const n = Number(values.meters ?? 10);
  if (!Number.isInteger(n) || n < 1 || n > 250) return fail('--meters must be 1-250');
  const fleet = new MbusFleet({ meters: n, firstId: Number(values['first-id'] ?? 30_000_000), seed: values.seed ?? 'hes-mbus-sim', tzMinutes: Number(values['tz-minutes'] ?? 0) });
  const keysFile = values.keys ?? 'mbus-meters.csv';
  const rows = ['primary,address,medium,key'];
  for (let i = 0; i < n; i++) {
    const m = fleet.meter(i);
    rows.push(`${i + 1},${m.id}-${m.manufacturer},${m.medium},${Buffer.from(m.key).toString('hex')}`);
  }
  writeFileSync(keysFile, rows.join('\n') + '\n');
  const closers: (() => Promise<void>)[] = [];
  if (values['converter-port']) {
    const slaves = new Map(Array.from({ length: n }, (_, i) => [i + 1, i] as [number, number]));
    const c = await new MbusConverter({ fleet, slaves, port: Number(values['converter-port']), ...(values.encrypted ? { encrypted: new Set(slaves.keys()) } : {}) }).start();
    process.stdout.write(`M-Bus converter with ${n} slaves on 127.0.0.1:${c.port}\n`);
    closers.push(() => c.close());
  }
  let target: GatewayTarget | undefined;
  if (values['gateway-http']) {
    if (!values.token) return fail('--gateway-http needs --token');
    target = { kind: 'http', api: values['gateway-http'], token: values.token };
  } else if (values['gateway-mqtt']) target = { kind: 'mqtt', url: values['gateway-mqtt'], prefix: values.prefix ?? 'hes/wmbus' };
  if (target) {
    if (!values.project) return fail('a gateway needs --project');
    const mode = Number(values.mode ?? 5);
    if (mode !== 5 && mode !== 7) return fail('--mode must be 5 or 7');
    const feed = new GatewayFeed({ fleet, projectId: values.project, gateway: values.gateway ?? 'sim-gw-1', target, mode });
    const every = Number(values.interval ?? 60) * 1000;
    const round = () => feed.round(Date.now()).then(
      (r) => process.stdout.write(`gateway round: ${JSON.stringify(r)}\n`),
      (e: unknown) => process.stderr.write(`gateway round failed: ${e instanceof Error ? e.message : String(e)}\n`),
    );
    await round();
    const timer = setInterval(round, every);
    closers.push(async () => {
      clearInterval(timer);
      await feed.close();
    });
  }
  if (!closers.length) return fail('nothing to simulate: give --converter-port and/or a gateway (--gateway-http or --gateway-mqtt)');
  process.stdout.write(`meters and keys: ${keysFile}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  for (const c of closers) await c();
  return 0;
}
