/**
 * API requests as server spans (telemetry/): opened when a request arrives, made the active context for
 * the rest of its handling (so the registry queries it makes are its children), ended with the response.
 * Attributes name the method, the route pattern and the status — never headers, query strings or bodies
 * (tokens, passwords). Off: no hook is added.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { tracing } from '../telemetry/index.js';

const spans = new WeakMap<FastifyRequest, Span>();

export function traceRequests(app: FastifyInstance): void {
  if (!tracing()) return;
  const tracer = trace.getTracer('hes');
  app.addHook('onRequest', (req, _reply, done) => {
    // A caller's traceparent continues its trace; otherwise the request starts one (sampled at telemetry.sampleRatio).
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(`${req.method} ${req.routeOptions.url ?? 'unmatched'}`, {
      kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'http.route': req.routeOptions.url ?? 'unmatched' },
    }, parent);
    spans.set(req, span);
    // The rest of the request's handling runs from done(): inside this context.
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook('onResponse', (req, reply, done) => {
    const span = spans.get(req);
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}
