/** A small argument parser for the `hes` commands: `--name value`, `--name=value`, flags, positionals. */
export interface ParsedArgs {
  options: Map<string, string[]>;
  flags: Set<string>;
  positionals: string[];
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `valued` lists the options that take a value; any other `--x` is a flag. */
export function parseArgs(argv: string[], valued: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { options: new Map(), flags: new Set(), positionals: [] };
  const takesValue = new Set(valued);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      out.positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (takesValue.has(name)) {
      const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      out.options.set(name, [...(out.options.get(name) ?? []), value]);
    } else {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      out.flags.add(name);
    }
  }
  return out;
}

export function option(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  return v ? v[v.length - 1] : undefined;
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
