/**
 * `hes user set NAME --role ROLE`: create a user or reset its password. The password is read from
 * $HES_PASSWORD or standard input (never from the command line, where other users could see it).
 */
import { openRegistry } from '../registry/open.js';
import { upsertUser } from '../registry/accounts.js';
import { RegistryError } from '../registry/errors.js';
import { parse, configFrom, registryHelp } from './options.js';

async function readPassword(): Promise<string> {
  if (process.env.HES_PASSWORD) return process.env.HES_PASSWORD;
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { role: { type: 'string' }, 'no-change': { type: 'boolean' } });
  if (values.help || positionals[0] !== 'set' || !positionals[1]) {
    process.stdout.write([
      'usage: hes user set NAME [--role ROLE] [--no-change] [options]   (password from $HES_PASSWORD or stdin)',
      '  --role ROLE           role for a new user (default Administrator)',
      '  --no-change           do not force a password change at next login',
      ...registryHelp, '',
    ].join('\n'));
    return values.help ? 0 : 2;
  }
  const { db } = await openRegistry(configFrom(values));
  try {
    const result = await upsertUser(db, {
      username: positionals[1], password: await readPassword(), role: (values.role as string | undefined) ?? 'Administrator', mustChange: !values['no-change'],
    });
    process.stdout.write(`user ${positionals[1]} ${result}\n`);
    return 0;
  } catch (e) {
    if (e instanceof RegistryError) {
      process.stderr.write(`hes user: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    await db.close();
  }
}
