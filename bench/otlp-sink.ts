/**
 * Telemetry on in a benchmark (HES_BENCH_TELEMETRY=on): an OTLP/HTTP receiver in the benchmark process that
 * reads and discards what the HES exports (the export's cost is in the figures; a collector's is not), and the
 * environment that points a HES process at it. Off (default): nothing starts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OtlpSink {
  /** HES_OTEL_* for a HES child process. */
  env: Record<string, string>;
  endpoint: string;
  /** Export requests and bytes received so far. */
  readonly received: { requests: number; bytes: number };
  close(): Promise<void>;
}

export async function benchTelemetry(): Promise<OtlpSink | undefined> {
  if (process.env.HES_BENCH_TELEMETRY !== 'on') return undefined;
  const received = { requests: 0, bytes: 0 };
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => (received.bytes += c.length));
    req.on('end', () => {
      received.requests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // A benchmark that never closes it (the in-process pipeline benchmark) still ends.
  server.unref();
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    env: { HES_OTEL_ENABLED: 'true', HES_OTEL_ENDPOINT: endpoint, HES_OTEL_SAMPLE_RATIO: '1' },
    endpoint, received,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
