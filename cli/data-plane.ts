/**
 * The data plane of `hes start` (docs/pipeline.md): the bus, the schema store, the ClickHouse engine (its
 * migrations applied), the decoder pool and the Pipeline consuming `hes.frames.raw`. Embedded by default —
 * the durable log under `<dataDir>/bus`, schema ids in `<dataDir>/schemas.json`, chDB under
 * `<dataDir>/clickhouse` — or, by configuration, Kafka (with a Confluent Schema Registry) and a ClickHouse
 * server. A pipeline that stops on an error (ClickHouse unreachable) leaves its batch on the bus and is
 * started again after a pause. With the registry, the registry's devices are copied into ClickHouse's
 * devices_dim when they change (docs/sql.md), and the notifier takes the events
 * of each stored batch (docs/notifications.md). A process without the pipeline role (`consume: false`)
 * opens the bus to publish only, and ClickHouse to query only: no decoder pool, no consumer, no notifier.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HesConfig } from '../config/index.js';
import { EmbeddedBus } from '../bus/embedded/index.js';
import { KafkaBus } from '../bus/kafka/index.js';
import type { Bus } from '../bus/types.js';
import { Topics } from '../schemas/avro/index.js';
import { LocalSchemaStore, RegistrySchemaStore, type SchemaStore } from '../schemas/registry/index.js';
import { ChdbEngine, ServerEngine, type ClickHouseEngine } from '../sinks/clickhouse/engine.js';
import { startChdbHttpEndpoint } from '../sinks/clickhouse/http-endpoint.js';
import { migrate } from '../sinks/clickhouse/migrate.js';
import { DevicesDimension } from '../sinks/clickhouse/devices-dim.js';
import { StreamingValidator } from '../sinks/vee/streaming.js';
import { registryRules } from '../sinks/vee/settings.js';
import { DecoderPool } from '../workers/pool.js';
import { RegistryDeviceContexts } from '../registry/device-contexts.js';
import { RegistryBusSchemas } from '../registry/bus-schemas.js';
import { saveStateChanges } from '../scheduler/states.js';
import { OUTAGE_ARCHIVE, type StateChange } from '../decoders/protocol-decoder.js';
import { applyOutageStates } from '../registry/outages.js';
import type { SecretBox } from '../registry/crypto.js';
import type { Db } from '../registry/db.js';
import { Pipeline } from '../workers/pipeline.js';
import type { EventRow } from '../decoders/protocol-decoder.js';
import { PipelineMetrics } from '../workers/metrics.js';
import { HesMetrics } from '../metrics/index.js';
import { BurstLog, type ServiceLogWriter } from '../registry/service-log.js';
import { Notifier } from '../notify/notifier.js';
import { reportCimFollowUps } from '../api/cim/follow-ups.js';

export interface DataPlane {
  bus: Bus;
  schemas: SchemaStore;
  engine: ClickHouseEngine;
  /** The decoder pool and the pipeline consuming the raw frames (the pipeline role only). */
  pool?: DecoderPool;
  pipeline?: Pipeline;
  /** Sends the notifications of stored events (with the registry only). */
  notifier?: Notifier;
  /** The embedded store's ClickHouse HTTP interface, when configured (`clickhouse.httpPort`). */
  clickhouseHttp?: string;
  /** One line for the start banner (no secrets). */
  summary: string;
  /** Stops the pipeline after its current batch, then closes pool, bus and engine. */
  close(): Promise<void>;
}

/** Seconds between restarts of a pipeline that stopped on an error. */
const RESTART_MS = 5000;

/**
 * `registry`: where the pipeline finds the device contexts (profile, keys) of frames that need one, such as
 * pushes (without it those frames are dead-lettered), where it stores the state changes frames tell and
 * records the devices' outages.
 */
export async function openDataPlane(
  config: HesConfig, onError: (message: string) => void, registry?: { db: Db; box: SecretBox }, log?: ServiceLogWriter, metrics = new HesMetrics(),
  opts: { consume?: boolean } = {},
): Promise<DataPlane> {
  const consume = opts.consume !== false;
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  try {
    const ch = config.clickhouse;
    const engine: ClickHouseEngine = ch.url
      ? new ServerEngine({ url: ch.url, ...(ch.user ? { username: ch.user } : {}), ...(ch.password ? { password: ch.password } : {}), ...(ch.database ? { database: ch.database } : {}) })
      : new ChdbEngine(join(config.dataDir, 'clickhouse'));
    closers.push(() => engine.close());
    await migrate(engine);
    let clickhouseHttp: string | undefined;
    if (engine instanceof ChdbEngine && ch.httpPort) {
      const credentials = ch.httpPassword ? { user: ch.httpUser ?? 'default', password: ch.httpPassword } : undefined;
      const endpoint = await startChdbHttpEndpoint(engine.session, ch.httpPort, ch.httpHost, credentials);
      closers.push(() => endpoint.close());
      clickhouseHttp = endpoint.url;
    }
    if (consume && registry && ch.devicesRefreshSeconds !== 0) {
      const devices = new DevicesDimension(registry.db, engine);
      // A failed copy leaves the previous one in place; it is the SQL users' concern, not the pipeline's health.
      devices.start(ch.devicesRefreshSeconds ?? 60, (message) => (log ? log.write('error', 'pipeline', 'devices-dim', message) : onError(message)));
      closers.push(() => devices.stop());
    }
    const { brokers, schemaRegistryUrl, partitions, publishReadings, publishCimEvents, wireFrames, sessionTimeoutSeconds } = config.kafka;
    const bus: Bus = brokers.length ? new KafkaBus({ brokers, clientId: 'hes', sessionTimeoutMs: sessionTimeoutSeconds * 1000 }) : new EmbeddedBus({ dir: join(config.dataDir, 'bus') });
    closers.push(() => bus.close());
    // Kafka topics are not created on first use (the embedded bus creates its own).
    if (brokers.length) {
      await bus.createTopics([
        { name: Topics.rawFrames, partitions }, { name: Topics.deadLetters, partitions: Math.max(1, Math.ceil(partitions / 4)) },
        { name: Topics.events, partitions: Math.max(1, Math.ceil(partitions / 4)) },
        ...(publishReadings ? [{ name: Topics.readings, partitions }] : []),
        ...(publishCimEvents ? [{ name: Topics.cimEvents, partitions: Math.max(1, Math.ceil(partitions / 4)) }] : []),
        ...(wireFrames !== 'off' ? [{ name: Topics.wireFrames, partitions }] : []),
      ]);
    }
    // Without a Schema Registry, Kafka's processes agree on schema ids through the HES registry; the embedded bus has one process.
    const schemas = schemaRegistryUrl ? new RegistrySchemaStore({ url: schemaRegistryUrl })
      : brokers.length && registry ? new RegistryBusSchemas(registry.db)
        : new LocalSchemaStore(join(config.dataDir, 'schemas.json'));
    const where = (url: string) => new URL(url).origin; // never the credentials
    const services = [
      brokers.length ? `bus: Kafka ${brokers.join(',')}` : `bus: embedded log in ${join(config.dataDir, 'bus')}`,
      ch.url ? `ClickHouse: ${where(ch.url)}` : `ClickHouse: embedded chDB in ${join(config.dataDir, 'clickhouse')}${clickhouseHttp ? ` (HTTP interface ${clickhouseHttp})` : ''}`,
    ];
    if (!consume) {
      return { bus, schemas, engine, ...(clickhouseHttp ? { clickhouseHttp } : {}), summary: [...services, 'no pipeline consumer in this process'].join(', '), close: closeAll };
    }
    const pool = new DecoderPool(config.decoderThreads ? { threads: config.decoderThreads } : {});
    closers.push(() => pool.close());
    metrics.gauge('hes_decoder_pool_queued_batches', 'Batches of frames waiting for a decoder thread', [], (g) => g.set(pool.load.queued));
    metrics.gauge('hes_decoder_pool_utilization_ratio', 'Share of time the decoder threads were busy since start (0..1)', [], (g) => g.set(pool.load.utilization));
    const deadLetters = log && new BurstLog(log, { level: 'warning', app: 'pipeline', logger: 'dead-letters', what: `frames sent to ${Topics.deadLetters}` });
    if (deadLetters) closers.push(async () => deadLetters.flush());
    const notifier = registry && new Notifier({
      ...registry, onError, metrics, maxAttempts: config.notifications.maxAttempts, retryBaseMs: config.notifications.retryBaseSeconds * 1000,
      beforeRound: () => reportCimFollowUps({ ...registry, warehouse: engine }),
    });
    if (notifier) {
      notifier.start();
      closers.push(() => notifier.close());
    }
    const pipeline = new Pipeline({
      bus, engine, schemas, pool, publishReadings, publishCimEvents, metrics: new PipelineMetrics(metrics),
      // state changes to the state archives; outages (a power-down push opens one, any frame of the device closes it) apart
      ...(registry ? {
        devices: new RegistryDeviceContexts(registry.db, registry.box, { ttlMs: config.deviceContextTtlSeconds * 1000 }),
        states: async (changes: StateChange[]) => {
          await applyOutageStates(registry.db, changes);
          await saveStateChanges(registry.db, changes.filter((c) => c.archive !== OUTAGE_ARCHIVE));
        },
      } : {}),
      // VEE: each stored batch validated against its devices' project rules
      ...(registry && config.clickhouse.validateOnStore ? { validator: new StreamingValidator(engine, { rules: registryRules(registry.db) }) } : {}),
      ...(deadLetters ? { onDeadLetter: (reason: string) => deadLetters.add(reason) } : {}),
      ...(notifier ? { onEventsStored: (events: EventRow[]) => notifier.enqueue(events) } : {}),
    });
    const stopping = new AbortController();
    const running = (async () => {
      while (!stopping.signal.aborted) {
        try {
          await pipeline.run();
        } catch (e) {
          if (stopping.signal.aborted) break;
          onError(`pipeline stopped (its batch stays on the bus), restarting in ${RESTART_MS / 1000} s: ${e instanceof Error ? e.message : String(e)}`);
          await sleep(RESTART_MS, undefined, { signal: stopping.signal }).catch(() => undefined);
        }
      }
    })();
    closers.push(async () => {
      stopping.abort();
      // A stop that lands while a (re)started pipeline is still subscribing is repeated until it ends.
      for (let done = false; !done;) {
        await pipeline.stop();
        done = await Promise.race([running.then(() => true), sleep(50).then(() => false)]);
      }
    });
    const summary = [
      ...services,
      `decoder threads: ${pool.threads}`,
      ...(publishReadings ? [`readings published to ${Topics.readings}`] : []),
      ...(publishCimEvents ? [`events published to ${Topics.cimEvents}`] : []),
      ...(wireFrames !== 'off' ? [`session frames (${wireFrames}) published to ${Topics.wireFrames}`] : []),
    ].join(', ');
    return { bus, schemas, engine, pool, pipeline, ...(notifier ? { notifier } : {}), ...(clickhouseHttp ? { clickhouseHttp } : {}), summary, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
