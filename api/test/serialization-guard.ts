/**
 * Test support: response schemas also serialize, and fast-json-stringify silently drops properties a
 * schema does not list (and turns a null string into ""). This guard compares every JSON reply as the
 * handler built it with what went on the wire and collects the differences; the harness fails on them.
 */
import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export function guardSerialization(app: FastifyInstance): string[] {
  const problems: string[] = [];
  const built = new WeakMap<FastifyRequest, string>();
  app.addHook('preSerialization', async (req, _reply, payload) => {
    built.set(req, JSON.stringify(payload));
    return payload;
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const before = built.get(req);
    if (before === undefined || typeof payload !== 'string') return payload;
    const expected: unknown = JSON.parse(before);
    const sent: unknown = JSON.parse(payload);
    if (!isDeepStrictEqual(sent, expected)) {
      problems.push(`${req.method} ${req.routeOptions.url ?? req.url} ${reply.statusCode}: built ${before.slice(0, 2000)} but sent ${payload.slice(0, 2000)}`);
    }
    return payload;
  });
  return problems;
}
