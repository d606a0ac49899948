#!/usr/bin/env node
/** `hes` — the command-line entry point. Each sub-command lives in its own module under cli/. */
const commands: Record<string, { summary: string; load: () => Promise<{ main(argv: string[]): Promise<number> }> }> = {
  decode: { summary: 'decode a DLMS frame or APDU (HDLC, wrapper, bare APDU) an M-Bus telegram (--protocol mbus) or a LoRaWAN payload (--protocol lorawan --codec C) given as hex', load: () => import('./decode.js') },
  start: { summary: 'start the HES (API with the embedded registry by default)', load: () => import('./start.js') },
  db: { summary: 'create or upgrade the registry database (hes db init)', load: () => import('./db.js') },
  user: { summary: 'create a user or reset its password (hes user set NAME)', load: () => import('./user.js') },
  read: { summary: 'read a meter over TCP in one DLMS session (GET, profiles by time range, ACTION); prints JSON', load: () => import('./read.js') },
  sim: { summary: 'serve a fleet of simulated DLMS meters (hes sim --meters N --port P ...)', load: () => import('./sim.js') },
  'sim-mbus': { summary: 'simulated M-Bus meters: wired slaves behind a converter, wireless meters through a gateway feed', load: () => import('./sim-mbus.js') },
  'sim-lorawan': { summary: 'a simulated ChirpStack v4 application: LoRaWAN meters\' uplinks over MQTT or the HTTP integration', load: () => import('./sim-lorawan.js') },
  devices: { summary: 'import/export devices as XLSX or the JSON configuration of a project', load: () => import('./devices.js') },
};

function usage(): string {
  const lines = ['usage: hes <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', 'hes <command> --help shows the options of a command.');
  return lines.join('\n');
}

const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === 'help') {
  process.stdout.write(usage() + '\n');
  process.exit(name ? 0 : 2);
}
const command = commands[name];
if (!command) {
  process.stderr.write(`hes: unknown command "${name}"\n${usage()}\n`);
  process.exit(2);
}
const mod = await command.load();
process.exitCode = await mod.main(rest);
