/**
 * Starts librdkafka's mock Kafka cluster (mock-cluster.c, compiled on first use into a temp dir) for
 * tests and benchmarks. Needs `cc` and Debian's librdkafka-dev; fails loudly, never skips, without them.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface MockCluster {
  brokers: string[];
  stop(): Promise<void>;
}

function compile(): string {
  const source = fileURLToPath(new URL('./mock-cluster.c', import.meta.url));
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'hes-kafka-mock');
  const binary = join(dir, `mock-cluster-${hash}`);
  if (existsSync(binary)) return binary;
  if (!existsSync('/usr/include/librdkafka/rdkafka_mock.h')) {
    throw new Error('librdkafka-dev is not installed: the Kafka tests need its mock cluster (apt-get install -y librdkafka-dev)');
  }
  mkdirSync(dir, { recursive: true });
  execFileSync('cc', ['-O1', '-o', `${binary}.tmp`, source, '-lrdkafka'], { stdio: 'inherit' });
  execFileSync('mv', [`${binary}.tmp`, binary]);
  return binary;
}

/** Starts a cluster of `brokers` brokers with the given topics pre-created (the mock rejects CreateTopics). */
export async function startMockCluster(topics: { name: string; partitions: number }[], brokers = 1): Promise<MockCluster> {
  const binary = compile();
  const child: ChildProcess = spawn(binary, [String(brokers), ...topics.map((t) => `${t.name}:${t.partitions}`)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`mock cluster exited with ${code}`)));
  });
  return {
    brokers: first.trim().split(','),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin!.end();
      await exited;
    },
  };
}
