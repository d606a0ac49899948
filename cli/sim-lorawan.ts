/**
 * `hes sim-lorawan` — a simulated ChirpStack v4 application for testing the HES with no network server:
 * LoRaWAN electricity meters whose OBIS-TLV uplinks are published to an MQTT broker as ChirpStack's MQTT
 * integration does, or posted to the HES's HTTP integration route (docs/lorawan.md, sim/lorawan).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runRounds, share } from './sim-network.js';
import { LorawanApplicationSim, type ApplicationTarget } from '../sim/lorawan/application.js';

const help = `usage: hes sim-lorawan [options]

options:
  --application UUID       the ChirpStack application id (the LORAWAN channel's applicationId)
  --meters N               meters (default 10)
  --seed TEXT              seed of the DevEUIs, consumption and faults (default hes-lorawan-sim)
  --devices FILE           write the meters (DevEUI) as CSV (default lorawan-meters.csv)
  --mqtt URL               publish the uplink events to this broker (e.g. mqtt://127.0.0.1:1883) ...
  --topic-prefix TEXT      ... with this before application/... (default none)
  --http API               or post them to this HES API base (e.g. http://127.0.0.1:8080/api/v1) ...
  --project ID             ... for this project ...
  --token TOKEN            ... as this M2M user's API token
  --duplicates SHARE       share of uplinks delivered twice, 0..1 (default 0)
  --corrupt SHARE          share of uplinks with a payload the codec refuses, 0..1 (default 0)
  --interval S             seconds between rounds (default 60)
`;

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      application: { type: 'string' }, meters: { type: 'string' }, seed: { type: 'string' }, devices: { type: 'string' }, mqtt: { type: 'string' },
      'topic-prefix': { type: 'string' }, http: { type: 'string' }, project: { type: 'string' }, token: { type: 'string' }, duplicates: { type: 'string' },
      corrupt: { type: 'string' }, interval: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  const fail = (m: string) => {
    process.stderr.write(`hes sim-lorawan: ${m}\n`);
    return 2;
  };
  if (!values.application || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(values.application)) return fail('--application must be the application id (UUID)');
  const n = Number(values.meters ?? 10);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) return fail('--meters must be 1-100000');
  let target: ApplicationTarget;
  if (values.mqtt) target = { kind: 'mqtt', url: values.mqtt, topicPrefix: values['topic-prefix'] ?? '' };
  else if (values.http) {
    if (!values.project || !values.token) return fail('--http needs --project and --token');
    target = { kind: 'http', api: values.http, projectId: values.project, token: values.token };
  } else return fail('give --mqtt or --http');
  let sim: LorawanApplicationSim;
  try {
    sim = new LorawanApplicationSim({
      applicationId: values.application, meters: n, target, seed: values.seed ?? 'hes-lorawan-sim',
      duplicateShare: share(values.duplicates, 'duplicates'), corruptShare: share(values.corrupt, 'corrupt'),
    });
  } catch (e) {
    return fail((e as Error).message);
  }
  const file = values.devices ?? 'lorawan-meters.csv';
  writeFileSync(file, ['index,devEui', ...Array.from({ length: n }, (_, i) => `${i},${sim.devEui(i)}`)].join('\n') + '\n');
  process.stdout.write(`meters (DevEUI): ${file}\n`);
  await runRounds(() => sim.round(Date.now()).then(() => JSON.stringify(sim.sent)), Number(values.interval ?? 60));
  await sim.close();
  return 0;
}
