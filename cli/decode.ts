export async function main(_argv: string[]): Promise<number> {
  process.stderr.write('hes decode: not built yet\n');
  return 2;
}
