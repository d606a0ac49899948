/**
 * Who may start a session now. Rules, all enforced at once:
 *   - an exclusive ("monopoly") channel runs one session at a time (a LoRaWAN gateway port, a modem shared
 *     by an RS-485 bus); other channels run up to `channelLimit` sessions each;
 *   - at most `globalLimit` sessions run in the process;
 *   - per network segment (modem pool, base-station cell) at most `maxConcurrent` sessions, and session
 *     starts spaced to `perSecond`, so a fleet read does not flood a cell;
 *   - among the waiting sessions that may start, the best priority wins (1 = most urgent … 999); at equal
 *     priority the channel that started a session least recently goes first (round robin across channels),
 *     then the oldest request.
 */
export interface ChannelRequest {
  channelId: string;
  exclusive?: boolean;
  segment?: string;
  /** 1 (most urgent) … 999; default 500. */
  priority?: number;
}

export interface SegmentLimits {
  maxConcurrent?: number;
  /** Session starts per second in the segment. */
  perSecond?: number;
}

export interface SchedulerOptions {
  globalLimit?: number;
  /** Concurrent sessions on a non-exclusive channel (default 16). */
  channelLimit?: number;
  segments?: Record<string, SegmentLimits>;
}

interface Waiting {
  req: ChannelRequest;
  priority: number;
  seq: number;
  start(): void;
}

interface SegmentState {
  running: number;
  nextStartAt: number;
}

export class ChannelScheduler {
  private readonly queue: Waiting[] = [];
  private readonly channelRunning = new Map<string, number>();
  private readonly channelLastStart = new Map<string, number>();
  private readonly segments = new Map<string, SegmentState>();
  private runningCount = 0;
  private seq = 0;
  private starts = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: SchedulerOptions = {}) {}

  get running(): number {
    return this.runningCount;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Run `fn` when the rules allow; its result (or error) is returned once it ends. */
  run<T>(req: ChannelRequest, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const priority = Math.min(999, Math.max(1, req.priority ?? 500));
      this.queue.push({
        req,
        priority,
        seq: this.seq++,
        start: () => {
          fn()
            .then(resolve, reject)
            .finally(() => this.finished(req));
        },
      });
      this.dispatch();
    });
  }

  private limitOf(req: ChannelRequest): number {
    return req.exclusive ? 1 : (this.o.channelLimit ?? 16);
  }

  private segment(name: string): SegmentState {
    let s = this.segments.get(name);
    if (!s) this.segments.set(name, (s = { running: 0, nextStartAt: 0 }));
    return s;
  }

  /** 0 when `w` may start now, the ms to wait when only the segment's rate holds it, -1 when blocked. */
  private wait(w: Waiting, now: number): number {
    const r = w.req;
    if ((this.channelRunning.get(r.channelId) ?? 0) >= this.limitOf(r)) return -1;
    if (r.segment === undefined) return 0;
    const limits = this.o.segments?.[r.segment];
    if (!limits) return 0;
    const s = this.segment(r.segment);
    if (limits.maxConcurrent !== undefined && s.running >= limits.maxConcurrent) return -1;
    return Math.max(0, s.nextStartAt - now);
  }

  private dispatch(): void {
    const globalLimit = this.o.globalLimit ?? Infinity;
    while (this.runningCount < globalLimit && this.queue.length) {
      const now = Date.now();
      let best = -1;
      let soonest = Infinity;
      for (let i = 0; i < this.queue.length; i++) {
        const w = this.queue[i]!;
        const ms = this.wait(w, now);
        if (ms < 0) continue;
        if (ms > 0) {
          soonest = Math.min(soonest, ms);
          continue;
        }
        if (best < 0 || this.before(w, this.queue[best]!)) best = i;
      }
      if (best < 0) {
        if (soonest !== Infinity && !this.timer) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.dispatch();
          }, soonest);
        }
        return;
      }
      const [w] = this.queue.splice(best, 1);
      this.started(w!.req, now);
      w!.start();
    }
  }

  private before(a: Waiting, b: Waiting): boolean {
    if (a.priority !== b.priority) return a.priority < b.priority;
    const la = this.channelLastStart.get(a.req.channelId) ?? -1;
    const lb = this.channelLastStart.get(b.req.channelId) ?? -1;
    if (la !== lb) return la < lb;
    return a.seq < b.seq;
  }

  private started(req: ChannelRequest, now: number): void {
    this.runningCount++;
    this.channelRunning.set(req.channelId, (this.channelRunning.get(req.channelId) ?? 0) + 1);
    this.channelLastStart.set(req.channelId, this.starts++);
    const limits = req.segment !== undefined ? this.o.segments?.[req.segment] : undefined;
    if (limits) {
      const s = this.segment(req.segment!);
      s.running++;
      if (limits.perSecond) s.nextStartAt = Math.max(now, s.nextStartAt) + 1000 / limits.perSecond;
    }
  }

  private finished(req: ChannelRequest): void {
    this.runningCount--;
    const n = (this.channelRunning.get(req.channelId) ?? 1) - 1;
    if (n) this.channelRunning.set(req.channelId, n);
    else this.channelRunning.delete(req.channelId);
    if (req.segment !== undefined && this.o.segments?.[req.segment]) this.segment(req.segment).running--;
    this.dispatch();
  }
}
