/**
 * `hes sim --transport unb` — a simulated UNB network for testing the HES without radios: meters transmitting
 * SMP-M packets and base stations posting them to the HES's station service, fetching and delivering downlink
 * tasks (sim/unb/stations.ts, docs/unb.md). Writes the meters' serials and XTEA keys to the keys file: enter
 * them in the HES as the devices' security keys XTEA_UPLINK / XTEA_DOWNLINK (or read a packet with
 * `hes decode --protocol smp-m --key`).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runRounds, share } from './sim-network.js';
import { UnbNetworkSim } from '../sim/unb/stations.js';

const help = `usage: hes sim --transport unb --stations N --meters M --hes URL --token T1[,T2,...] [options]

options:
  --stations N             base stations (default 3)
  --station-ids ID,...     their identifiers as registered in the HES (default sim-1 ... sim-N)
  --token T1,T2,...        each station's access token, in the same order (one token: every station)
  --meters M               meters (default 10)
  --first-serial N         serial number of the first meter (default 195000000)
  --hes URL                the HES base URL (e.g. http://127.0.0.1:8080)
  --keys FILE              write serials and XTEA keys as CSV (default unb-keys.csv)
  --seed TEXT              seed of keys, consumption and faults (default hes-unb-sim)
  --loss SHARE             share of receptions lost, 0..1 (default 0)
  --offline SHARE          share of stations offline per round, 0..1 (default 0)
  --interval S             seconds between rounds (default 60)
  --tz MINUTES             the stations' time zone, minutes east of UTC (default 180)
`;

export async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        transport: { type: 'string' }, stations: { type: 'string' }, 'station-ids': { type: 'string' }, token: { type: 'string' }, meters: { type: 'string' },
        'first-serial': { type: 'string' }, hes: { type: 'string' }, keys: { type: 'string' }, seed: { type: 'string' }, loss: { type: 'string' },
        offline: { type: 'string' }, interval: { type: 'string' }, tz: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`hes sim: ${(e as Error).message}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  const fail = (m: string) => {
    process.stderr.write(`hes sim --transport unb: ${m}\n`);
    return 2;
  };
  const n = Number(values.stations ?? 3);
  const meters = Number(values.meters ?? 10);
  if (!Number.isInteger(n) || n < 1 || n > 1000) return fail('--stations must be 1-1000');
  if (!Number.isInteger(meters) || meters < 1 || meters > 1_000_000) return fail('--meters must be 1-1000000');
  if (!values.hes || !/^https?:\/\//.test(values.hes)) return fail('--hes must be the HES base URL, e.g. http://127.0.0.1:8080');
  const ids = values['station-ids']?.split(',') ?? Array.from({ length: n }, (_, k) => `sim-${k + 1}`);
  const tokens = values.token?.split(',') ?? [];
  if (ids.length !== n) return fail(`--station-ids names ${ids.length} stations, --stations says ${n}`);
  if (tokens.length !== 1 && tokens.length !== n) return fail('--token: one token, or one per station');
  let sim: UnbNetworkSim;
  try {
    sim = new UnbNetworkSim({
      meters, hes: values.hes.replace(/\/$/, ''), stations: ids.map((identifier, k) => ({ identifier, token: tokens[tokens.length === 1 ? 0 : k]! })),
      firstSerial: Number(values['first-serial'] ?? 195_000_000), seed: values.seed ?? 'hes-unb-sim',
      lossShare: share(values.loss, 'loss'), offlineShare: share(values.offline, 'offline'), stationTzMinutes: Number(values.tz ?? 180),
    });
  } catch (e) {
    return fail((e as Error).message);
  }
  const file = values.keys ?? 'unb-keys.csv';
  writeFileSync(file, ['index,serial,uplinkKey,downlinkKey', ...Array.from({ length: meters }, (_, i) => `${i},${sim.serial(i)},${sim.keys(i).uplink},${sim.keys(i).downlink}`)].join('\n') + '\n');
  process.stdout.write(`meters (serial, XTEA keys): ${file}\n`);
  await runRounds(() => sim.round(Date.now()).then(() => `${JSON.stringify(sim.stats)}${sim.lastError ? ` last error: ${sim.lastError}` : ''}`), Number(values.interval ?? 60));
  return 0;
}
