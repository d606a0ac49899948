/**
 * The metrics listener (`metrics.port`): GET /metrics without a credential, for a Prometheus on the same
 * host or a private network — the address it binds (`metrics.host`, default 127.0.0.1) is what protects it.
 * On the API's port /metrics asks for a bearer token instead. A process without the API role serves the
 * same listener on its HTTP port with the probes as well (GET /health, GET /ready: the registry answers),
 * for the orchestrator's liveness and readiness checks; it serves no data.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HesMetrics } from '../metrics/index.js';
import type { Db } from '../registry/db.js';

export interface MetricsListener {
  /** e.g. http://127.0.0.1:9464 */
  url: string;
  close(): Promise<void>;
}

export async function listenMetrics(metrics: HesMetrics, port: number, host: string, probes?: { db: Db }): Promise<MetricsListener> {
  const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    if (probes && req.method === 'GET' && path === '/health') return json(res, 200, { status: 'ok' });
    if (probes && req.method === 'GET' && path === '/ready') {
      probes.db.query('SELECT 1').then(() => json(res, 200, { status: 'ready', engine: probes.db.engine }), () => json(res, 503, { status: 'unavailable' }));
      return;
    }
    if (req.method !== 'GET' || path !== '/metrics') {
      json(res, 404, { error: { code: 'NOT_FOUND', message: `this listener serves GET ${probes ? '/health, /ready and ' : ''}/metrics only` } });
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
