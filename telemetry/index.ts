/**
 * Traces (OpenTelemetry) of the HES's paths: a launch and its device sessions (scheduler/), the raw frames
 * on the bus (W3C trace context in the record headers), the pipeline's batch, decode and ClickHouse insert
 * (workers/pipeline.ts), and API requests with their registry queries (api/). Exported over OTLP/HTTP
 * (JSON) when `telemetry.enabled` (docs/telemetry.md).
 *
 * Off — the default — nothing of the SDK is loaded and every hook here is one boolean test: `inSpan` calls
 * its function directly, the bus gets no headers (its records keep their old layout). The SDK is imported
 * only by `startTelemetry`.
 *
 * A launch is one trace in every process that works on it: its trace id and parent span id are derived
 * from the launch id (launchContext), so the owner's spans, a helper scheduler's or a CENC node's device
 * sessions, and the pipeline's batches of their frames all land in one trace without storing anything in
 * the registry. The sampling decision is derived the same way, so a launch is traced whole or not at all.
 */
import { createHash } from 'node:crypto';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Context, type Link } from '@opentelemetry/api';

export interface TelemetryConfig {
  enabled: boolean;
  endpoint?: string;
  serviceName: string;
  sampleRatio: number;
}

let on = false;
let ratio = 1;
const tracer = trace.getTracer('hes');

/** Whether this process traces (telemetry.enabled and started). */
export function tracing(): boolean {
  return on;
}

/** The OTLP/HTTP traces URL: the configured endpoint, else OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT, else a local collector. */
export function tracesUrl(cfg: TelemetryConfig, env: NodeJS.ProcessEnv = process.env): string {
  if (!cfg.endpoint && env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = cfg.endpoint ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318';
  return /\/v1\/traces\/?$/.test(base) ? base : `${base.replace(/\/+$/, '')}/v1/traces`;
}

export interface Telemetry {
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK when `cfg.enabled`: OTLP/HTTP JSON exporter, batched; parent-based sampling at
 * `sampleRatio` for roots (a launch's root decision is launchContext's). No instrumentation libraries: the
 * spans are the HES's own.
 */
export async function startTelemetry(cfg: TelemetryConfig, resource: Attributes = {}): Promise<Telemetry> {
  if (!cfg.enabled) return { shutdown: async () => undefined };
  const [{ NodeSDK }, { OTLPTraceExporter }, base, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-node'), import('@opentelemetry/exporter-trace-otlp-http'), import('@opentelemetry/sdk-trace-base'), import('@opentelemetry/resources'),
  ]);
  const exporter = new OTLPTraceExporter({ url: tracesUrl(cfg) });
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ 'service.name': cfg.serviceName, ...resource }),
    autoDetectResources: false,
    instrumentations: [],
    spanProcessors: [new base.BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
    sampler: new base.ParentBasedSampler({ root: new base.TraceIdRatioBasedSampler(cfg.sampleRatio) }),
  });
  sdk.start();
  on = true;
  ratio = cfg.sampleRatio;
  return {
    shutdown: async () => {
      on = false;
      await sdk.shutdown();
    },
  };
}

/**
 * Runs `fn` in a span named `name` (a child of the active span, or of `parent`), ending it when `fn`
 * settles and marking it failed when `fn` throws. Off: just `fn()`.
 */
export function inSpan<T>(name: string, attributes: Attributes, fn: () => Promise<T>, opts: { parent?: Context; kind?: SpanKind; links?: Link[] } = {}): Promise<T> {
  if (!on) return fn();
  return tracer.startActiveSpan(name, { attributes, kind: opts.kind ?? SpanKind.INTERNAL, ...(opts.links ? { links: opts.links } : {}) }, opts.parent ?? context.active(), async (span) => {
    try {
      return await fn();
    } catch (e) {
      span.recordException(e instanceof Error ? e : String(e));
      span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
      throw e;
    } finally {
      span.end();
    }
  });
}

/**
 * A registry query as a span, only inside a traced operation (an API request, a launch): background
 * queries start no traces. The span names the operation (SELECT, UPDATE…), never the statement's values.
 */
export function querySpan<T>(system: 'postgresql' | 'pglite', sql: string, fn: () => Promise<T>): Promise<T> {
  if (!on || !trace.getSpan(context.active())?.isRecording()) return fn();
  const operation = /^\s*(?:WITH\b[\s\S]*?\)\s*)?([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? 'QUERY';
  return inSpan(`registry ${operation}`, { 'db.system.name': system, 'db.operation.name': operation }, fn, { kind: SpanKind.CLIENT });
}

/** The context every process's spans of launch `launchId` descend from: one trace per launch (see above). */
export function launchContext(launchId: string): Context | undefined {
  if (!on) return undefined;
  const h = createHash('sha256').update(`hes-launch:${launchId}`).digest();
  // The trace id ratio test on the same bytes in every process: a launch is sampled everywhere or nowhere.
  const sampled = h.readUInt32BE(0) / 0x1_0000_0000 < ratio;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: h.subarray(0, 16).toString('hex'), spanId: h.subarray(16, 24).toString('hex'), isRemote: true,
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
  });
}

/** The active trace context as bus record headers (traceparent, tracestate), or undefined when nothing is traced. */
export function traceHeaders(): Record<string, string> | undefined {
  if (!on) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** Trace context carried by bus records: where a consumed batch's span belongs (its first record's trace) and links to the others'. */
export function batchContext(records: readonly { headers?: Record<string, string> }[], maxLinks = 32): { parent?: Context; links: Link[] } {
  const links: Link[] = [];
  let parent: Context | undefined;
  const seen = new Set<string>();
  for (const r of records) {
    if (!r.headers?.traceparent) continue;
    const c = propagation.extract(ROOT_CONTEXT, r.headers);
    const sc = trace.getSpanContext(c);
    if (!sc || seen.has(sc.traceId)) continue;
    seen.add(sc.traceId);
    if (!parent) parent = c;
    else if (links.length < maxLinks) links.push({ context: sc });
  }
  return { ...(parent ? { parent } : {}), links };
}

export { SpanKind };
