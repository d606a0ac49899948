/**
 * The embedded bus: Kafka's semantics on local disk for the single-process default. Layout under `dir`:
 *
 *   topics/<topic>/partitions            partition count
 *   topics/<topic>/<partition>/<base>.log segment files (see log.ts)
 *   groups/<group>.json                   committed offsets: { topic: { partition: next offset } }
 *   LOCK                                  pid of the owning process
 *
 * Offsets are committed by atomic rename after the handler resolved, so after a crash a group resumes at
 * the first batch that was not acknowledged (replay, never loss).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { partitionOf, type BatchHandler, type Bus, type BusConsumer, type BusMessage, type BusProducer, type ConsumerOptions, type TopicSpec } from '../types.js';
import type { FramedMessages } from '../framed.js';
import { fsyncInBackground, PartitionLog, type FsyncPolicy, type LogOptions } from './log.js';

export interface EmbeddedBusOptions {
  dir: string;
  /** Partitions of a topic created on first use. */
  defaultPartitions?: number;
  segmentBytes?: number;
  retentionBytes?: number;
  retentionMs?: number;
  /** 'always': fsync every send and commit; 'interval': every `fsyncIntervalMs`; 'never': leave it to the OS. */
  fsync?: FsyncPolicy;
  fsyncIntervalMs?: number;
}

interface Topic {
  partitions: PartitionLog[];
  waiters: Set<() => void>;
}

export class EmbeddedBus implements Bus {
  private readonly topics = new Map<string, Topic>();
  private readonly groups = new Set<string>();
  private readonly unsyncedCommits = new Set<string>();
  private readonly logOptions: LogOptions;
  private readonly timer: NodeJS.Timeout;
  private roundRobin = 0;
  private closed = false;

  constructor(private readonly options: EmbeddedBusOptions) {
    mkdirSync(join(options.dir, 'topics'), { recursive: true });
    mkdirSync(join(options.dir, 'groups'), { recursive: true });
    takeLock(join(options.dir, 'LOCK'));
    this.logOptions = {
      segmentBytes: options.segmentBytes ?? 64 << 20,
      retentionBytes: options.retentionBytes ?? 0,
      retentionMs: options.retentionMs ?? 7 * 24 * 3600_000,
      fsync: options.fsync ?? 'interval',
    };
    this.timer = setInterval(() => this.housekeeping(), options.fsyncIntervalMs ?? 1000);
    this.timer.unref();
  }

  async createTopics(specs: TopicSpec[]): Promise<void> {
    for (const s of specs) this.topic(s.name, s.partitions);
  }

  async partitionCount(topic: string): Promise<number> {
    return this.topic(topic).partitions.length;
  }

  async producer(): Promise<BusProducer> {
    return {
      send: async (topic, messages) => this.append(topic, messages),
      sendFramed: async (topic, framed) => this.appendFramed(topic, framed),
      close: async () => {},
    };
  }

  async consumer(options: ConsumerOptions): Promise<BusConsumer> {
    if (this.groups.has(options.groupId)) throw new Error(`embedded bus: group ${options.groupId} already has a consumer in this process`);
    this.groups.add(options.groupId);
    return new EmbeddedConsumer(this, options, () => this.groups.delete(options.groupId));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.syncCommits();
    for (const t of this.topics.values()) {
      for (const p of t.partitions) p.close();
      for (const w of t.waiters) w();
    }
    releaseLock(join(this.options.dir, 'LOCK'));
  }

  /** Appends keyed messages: each goes to its key's partition, in order. */
  append(topic: string, messages: BusMessage[]): void {
    if (this.closed) throw new Error('embedded bus is closed');
    const t = this.topic(topic);
    const n = t.partitions.length;
    const now = Date.now();
    if (n === 1) t.partitions[0]!.append(messages, now);
    else {
      const byPartition: BusMessage[][] = Array.from({ length: n }, () => []);
      let lastKey: Buffer | null = null;
      let last = 0;
      for (const m of messages) {
        // Runs of one device's messages (a frame's readings) share their key object: hash it once.
        if (m.key === null || m.key !== lastKey) last = partitionOf(m.key, n, this.roundRobin++);
        lastKey = m.key;
        byPartition[last]!.push(m);
      }
      for (let p = 0; p < n; p++) if (byPartition[p]!.length) t.partitions[p]!.append(byPartition[p]!, now);
    }
    for (const w of t.waiters) w();
    t.waiters.clear();
  }

  /** Appends records framed off the main thread: one write per partition, offsets stamped in place. */
  appendFramed(topic: string, framed: FramedMessages): void {
    if (this.closed) throw new Error('embedded bus is closed');
    const t = this.topic(topic);
    const { partStart } = framed;
    if (partStart.length !== t.partitions.length + 1) throw new Error(`framed for ${partStart.length - 1} partitions, ${topic} has ${t.partitions.length}`);
    for (let p = 0; p < t.partitions.length; p++) if (partStart[p + 1]! > partStart[p]!) t.partitions[p]!.appendFramed(framed, partStart[p]!, partStart[p + 1]!);
    for (const w of t.waiters) w();
    t.waiters.clear();
  }

  topic(name: string, partitions = this.options.defaultPartitions ?? 4): Topic {
    let t = this.topics.get(name);
    if (t) return t;
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`invalid topic name "${name}"`);
    const dir = join(this.options.dir, 'topics', name);
    const countFile = join(dir, 'partitions');
    if (existsSync(countFile)) partitions = Number(readFileSync(countFile, 'utf8'));
    else {
      mkdirSync(dir, { recursive: true });
      atomicWrite(countFile, String(partitions), true);
    }
    t = { partitions: Array.from({ length: partitions }, (_, p) => new PartitionLog(join(dir, String(p)), this.logOptions)), waiters: new Set() };
    this.topics.set(name, t);
    return t;
  }

  /** Resolves on the next append to `topic`, or after `ms`. */
  async waitForData(topic: string, ms: number): Promise<void> {
    const t = this.topic(topic);
    let wake!: () => void;
    const appended = new Promise<void>((r) => (wake = r));
    t.waiters.add(wake);
    const ac = new AbortController();
    await Promise.race([appended, sleep(ms, undefined, { signal: ac.signal }).catch(() => {})]);
    ac.abort();
    t.waiters.delete(wake);
  }

  readCommitted(groupId: string): Record<string, Record<string, number>> {
    try {
      return JSON.parse(readFileSync(join(this.options.dir, 'groups', `${groupId}.json`), 'utf8')) as Record<string, Record<string, number>>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
  }

  /**
   * Commits by atomic rename, so a crashed process finds the old or the new offsets, never a torn file.
   * With fsync 'interval' the file reaches the disk with the next housekeeping tick rather than on every
   * commit (a synchronous fsync per batch stalls the event loop): a power loss may then bring back an
   * older commit, which only replays batches the sink's deduplication drops.
   */
  writeCommitted(groupId: string, offsets: Record<string, Record<string, number>>): void {
    const path = join(this.options.dir, 'groups', `${groupId}.json`);
    atomicWrite(path, JSON.stringify(offsets), this.logOptions.fsync === 'always');
    if (this.logOptions.fsync === 'interval') this.unsyncedCommits.add(path);
  }

  private housekeeping(): void {
    const now = Date.now();
    this.syncCommits(true);
    for (const t of this.topics.values()) {
      for (const p of t.partitions) {
        if (this.logOptions.fsync === 'interval') p.syncInBackground();
        p.applyRetention(now);
      }
    }
  }

  /** Offsets written since the last tick reach the disk (in the background while running, at once on close). */
  private syncCommits(background = false): void {
    for (const path of this.unsyncedCommits) {
      if (background) fsyncInBackground(path, () => this.unsyncedCommits.add(path));
      else fsyncFile(path);
    }
    this.unsyncedCommits.clear();
  }
}

class EmbeddedConsumer implements BusConsumer {
  private running = false;
  private readonly committed: Record<string, Record<string, number>>;
  private readonly positions = new Map<string, number>();

  constructor(
    private readonly bus: EmbeddedBus,
    private readonly options: ConsumerOptions,
    private readonly onClose: () => void,
  ) {
    this.committed = bus.readCommitted(options.groupId);
  }

  async run(handler: BatchHandler): Promise<void> {
    this.running = true;
    const max = this.options.maxBatchMessages ?? 500;
    const slots = new Semaphore(this.options.concurrency ?? 1);
    const loops: Promise<void>[] = [];
    for (const topic of this.options.topics) {
      const t = this.bus.topic(topic);
      t.partitions.forEach((log, partition) => {
        const key = `${topic}/${partition}`;
        this.positions.set(key, this.committed[topic]?.[partition] ?? log.startOffset);
        loops.push(
          (async () => {
            while (this.running) {
              const from = this.positions.get(key)!;
              const messages = log.read(from, max);
              if (messages.length === 0) {
                await this.bus.waitForData(topic, 100);
                continue;
              }
              await slots.acquire();
              try {
                if (!this.running) break;
                await handler({ topic, partition, messages, highWatermark: log.nextOffset });
              } finally {
                slots.release();
              }
              const next = messages[messages.length - 1]!.offset + 1;
              this.positions.set(key, next);
              (this.committed[topic] ??= {})[partition] = next;
              this.bus.writeCommitted(this.options.groupId, this.committed);
            }
          })(),
        );
      });
    }
    try {
      await Promise.all(loops.map((l) => l.catch((e: unknown) => ((this.running = false), Promise.reject(e)))));
    } finally {
      this.running = false;
      this.onClose();
    }
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  async lag(): Promise<number> {
    let lag = 0;
    for (const topic of this.options.topics) {
      this.bus.topic(topic).partitions.forEach((log, p) => {
        lag += log.nextOffset - Math.max(this.committed[topic]?.[p] ?? 0, log.startOffset);
      });
    }
    return lag;
  }
}

class Semaphore {
  private readonly queue: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((r) => this.queue.push(r));
  }
  release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.free++;
  }
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function atomicWrite(path: string, text: string, durable: boolean): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  if (durable) fsyncFile(tmp);
  renameSync(tmp, path);
}

/** One process owns a bus directory; a lock left by a dead process is taken over. */
function takeLock(path: string): void {
  if (existsSync(path)) {
    const pid = Number(readFileSync(path, 'utf8'));
    if (pid && pid !== process.pid && alive(pid)) throw new Error(`embedded bus ${path} is in use by process ${pid}`);
  }
  const fd = openSync(path, 'w');
  writeSync(fd, String(process.pid));
  closeSync(fd);
}

function releaseLock(path: string): void {
  try {
    if (Number(readFileSync(path, 'utf8')) === process.pid) unlinkSync(path);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

