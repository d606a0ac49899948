/**
 * The metrics listener (`metrics.port`): GET /metrics without a credential, for a Prometheus on the same
 * host or a private network — the address it binds (`metrics.host`, default 127.0.0.1) is what protects it.
 * On the API's port /metrics asks for a bearer token instead.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HesMetrics } from '../metrics/index.js';

export interface MetricsListener {
  /** e.g. http://127.0.0.1:9464 */
  url: string;
  close(): Promise<void>;
}

export async function listenMetrics(metrics: HesMetrics, port: number, host: string): Promise<MetricsListener> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'this listener serves GET /metrics only' } }));
      return;
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (e: unknown) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'METRICS_FAILED', message: e instanceof Error ? e.message : String(e) } })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
