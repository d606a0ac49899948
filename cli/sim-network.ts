/** What the network simulators' commands (`hes sim --transport unb`, `hes sim-lorawan`) share. */

/** A share 0..1 given as an option's text (default 0); anything else throws naming the option. */
export function share(v: string | undefined, name: string): number {
  const x = Number(v ?? 0);
  if (!(x >= 0 && x <= 1)) throw new Error(`--${name} must be a share 0..1`);
  return x;
}

/**
 * Runs a round now and every `intervalSeconds` until SIGINT or SIGTERM, printing what each round reports
 * (`round: …`) or why it failed (a failed round does not stop the next).
 */
export async function runRounds(round: () => Promise<string>, intervalSeconds: number): Promise<void> {
  const once = () => round().then(
    (text) => process.stdout.write(`round: ${text}\n`),
    (e: unknown) => process.stderr.write(`round failed: ${e instanceof Error ? e.message : String(e)}\n`),
  );
  await once();
  const timer = setInterval(once, intervalSeconds * 1000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
}
