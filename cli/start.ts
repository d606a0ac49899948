/**
 * `hes start`. The running HES (API, scheduler, connectors, pipeline) is being built; today this
 * command says so and lists what works, so the README's quick start is true at every commit.
 */
export async function main(_argv: string[]): Promise<number> {
  process.stdout.write(
    [
      'HES 0.1.0',
      'The HES service (API, scheduler, connectors, pipeline) is not available in this version yet.',
      'What works today:',
      '  npx hes decode <hex>     decode a DLMS frame or APDU (HDLC, wrapper or bare), see docs/dlms.md',
      '',
    ].join('\n'),
  );
  return 0;
}
