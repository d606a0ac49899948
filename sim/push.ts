/**
 * Scheduled and event pushes of a fleet (the Push Setup objects of sim/objects/push.ts):
 *   daily       after local midnight, delayed by a hash of the serial within randomisation_start_interval;
 *   interval    after each capture period of the shortest load profile, the same way;
 *   alarm       at each generated event of an alarm journal (power off / on of an outage, cover opened)
 *               and at once for run-time events of those journals (relay switched); the alarm register
 *               at each generated event of an alarm with a register bit;
 *   power-down  the last gasp, at each power-off event of an outage.
 * Meters whose security is high-gmac push general-glo-ciphered notifications (their own keys, the push's
 * second as invocation counter), as IDIS meters do.
 * What is due in a time window is a pure function of (fleet, window): nothing is kept per meter. The
 * scheduler computes one window ahead and delivers each push when the fleet's clock reaches it; the
 * caller decides the way out (the meter's own connection, or a TCP connection to the push destination).
 */
import { connect } from 'node:net';
import type { DlmsData } from '../decoders/dlms/axdr/types.js';
import { encodeApdu } from '../decoders/dlms/apdu/index.js';
import { encipherApdu } from '../decoders/dlms/security/index.js';
import { ClassId, pushSetupAttributes } from '../decoders/dlms/cosem/index.js';
import { parseObis } from '../decoders/dlms/obis.js';
import { encodeWpdu } from '../decoders/dlms/wrapper/wpdu.js';
import type { Fleet, PushKind } from './fleet.js';
import { utcOfSlot } from './model/energy.js';
import { generatedEventsBetween } from './model/events.js';
import { unit } from './model/hash.js';
import { meterTime } from './meter.js';
import { MeterObjects, pushBody, type PushSetupSpec, type SessionInfo } from './objects/index.js';
import { meterDateTime } from './objects/measurements.js';

const DAY_MS = 86_400_000;

export interface DuePush {
  index: number;
  /** True time (UTC ms) the push is due. */
  timeMs: number;
  /** Logical name of the Push Setup. */
  setup: string;
}

function enabled(spec: PushSetupSpec, kinds: readonly PushKind[]): boolean {
  const k = spec.trigger.kind;
  return k !== 'connect' && kinds.includes(k === 'alarm-register' ? 'alarm' : k);
}

/** Pushes of the listed meters (default all) due in [fromMs, toMs), in time order. */
export function duePushes(fleet: Fleet, kinds: readonly PushKind[], fromMs: number, toMs: number, meters?: Iterable<number>): DuePush[] {
  const specs = fleet.table.pushSetups.map((s, i) => [s, i] as const).filter(([s]) => enabled(s, kinds));
  const out: DuePush[] = [];
  if (specs.length === 0) return out;
  const shift = fleet.profile.utcOffsetMinutes * 60_000;
  const each = meters ?? { *[Symbol.iterator]() { for (let i = 0; i < fleet.size; i++) yield i; } };
  for (const index of each) {
    if (fleet.faults(index).silent) continue;
    const m = fleet.meter(index);
    for (const [spec, si] of specs) {
      const t = spec.trigger;
      if (t.kind === 'alarm') {
        for (const e of generatedEventsBetween(m, t.journal, fromMs, toMs)) if (!t.codes || t.codes.includes(e.code)) out.push({ index, timeMs: e.timeMs, setup: spec.obis });
        continue;
      }
      if (t.kind === 'alarm-register') {
        const times = new Set<number>();
        for (const a of t.alarms) for (const e of generatedEventsBetween(m, a.journal, fromMs, toMs)) if (!a.codes || a.codes.includes(e.code)) times.add(e.timeMs);
        for (const timeMs of times) out.push({ index, timeMs, setup: spec.obis });
        continue;
      }
      if (t.kind === 'power-down') {
        for (const e of generatedEventsBetween(m, t.journal, fromMs, toMs)) if (e.code === t.code) out.push({ index, timeMs: e.timeMs, setup: spec.obis });
        continue;
      }
      const period = t.kind === 'daily' ? DAY_MS : t.kind === 'interval' ? t.periodS * 1000 : 0;
      const delay = Math.floor(unit(m.seed, si, 96) * spec.randomisationS * 1000);
      for (let b = Math.ceil((fromMs - delay + shift) / period) * period - shift; b + delay < toMs; b += period) {
        if (b >= utcOfSlot(m.load, m.load.startSlot)) out.push({ index, timeMs: b + delay, setup: spec.obis });
      }
    }
  }
  return out.sort((a, b) => a.timeMs - b.timeMs || a.index - b.index);
}

export interface PushSchedulerOptions {
  fleet: Fleet;
  kinds: readonly PushKind[];
  deliver(p: DuePush): void;
  /** Which meters push (default all). */
  meters?: number[];
  /** How far ahead a window is computed, ms (default 60 s). */
  windowMs?: number;
}

export class PushScheduler {
  private queue: DuePush[] = [];
  private next = 0;
  private windowEnd: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: PushSchedulerOptions) {
    this.windowEnd = o.fleet.now();
    if (o.kinds.includes('alarm')) {
      const byJournal = new Map<string, string>();
      for (const s of o.fleet.table.pushSetups) if (s.trigger.kind === 'alarm') byJournal.set(o.fleet.profile.journals[s.trigger.journal]!.name, s.obis);
      o.fleet.onRuntimeEvent = (index, e) => {
        const setup = byJournal.get(e.journal);
        if (setup && (!o.meters || o.meters.includes(index))) setImmediate(() => o.deliver({ index, timeMs: e.timeMs, setup }));
      };
    }
  }

  /** Delivers every push due in [fromMs, toMs) now (catching up, tests). */
  runBetween(fromMs: number, toMs: number): DuePush[] {
    const due = duePushes(this.o.fleet, this.o.kinds, fromMs, toMs, this.o.meters);
    for (const p of due) this.o.deliver(p);
    return due;
  }

  /** Delivers pushes as the fleet's clock reaches them, checking every `tickMs`. */
  start(tickMs = 1000): void {
    const tick = (): void => {
      const now = this.o.fleet.now();
      for (;;) {
        while (this.next < this.queue.length && this.queue[this.next]!.timeMs <= now) this.o.deliver(this.queue[this.next++]!);
        if (this.next < this.queue.length || now < this.windowEnd) break;
        const from = this.windowEnd;
        this.windowEnd = Math.max(now, from) + (this.o.windowMs ?? 60_000);
        this.queue = duePushes(this.o.fleet, this.o.kinds, from, this.windowEnd, this.o.meters);
        this.next = 0;
      }
    };
    tick();
    this.timer = setInterval(tick, tickMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.o.fleet.onRuntimeEvent = undefined;
  }
}

const PUSH_SESSION: SessionInfo = { clientSap: 102, serverSap: 1, mechanism: 0, ciphered: false, invocationCounter: 0 };

/** The DataNotification APDU of a push at its due time, and the Push Setup's destination ("host:port"). */
export function pushApdu(fleet: Fleet, p: DuePush): { apdu: Uint8Array; destination: string; clientSap: number } {
  const meter = fleet.acquire(p.index);
  try {
    const objects = new MeterObjects(fleet.table, { meter, nowMs: p.timeMs, session: PUSH_SESSION });
    const body: DlmsData = pushBody(objects, p.setup);
    const r = objects.get({ classId: ClassId.pushSetup, instanceId: parseObis(p.setup), attributeId: 3 });
    const destination = r.type === 'data' ? new TextDecoder().decode(pushSetupAttributes.sendDestinationAndMethod.decode(r.value).destination) : fleet.config.pushDestination;
    const dateTime = meterDateTime(meter, meterTime(meter, p.timeMs));
    const apdu = encodeApdu({ type: 'data-notification', longInvokeIdAndPriority: 1, dateTime, body });
    return { apdu: fleet.config.security === 'high-gmac' ? cipheredPush(fleet, p.index, apdu, p.timeMs) : apdu, destination, clientSap: 102 };
  } finally {
    fleet.leave(meter);
  }
}

/**
 * A notification as a high-gmac meter pushes it: general-glo-ciphering (authenticated encryption) with the
 * keys the meter holds (the wrong-keys fault's too) and its system title; the invocation counter is the
 * push's second, which grows from push to push without anything kept per meter.
 */
export function cipheredPush(fleet: Fleet, index: number, apdu: Uint8Array, atMs: number): Uint8Array {
  const k = fleet.meterKeys(index);
  return encipherApdu(apdu, {
    keys: { globalUnicastKey: k.blockCipherKey, authenticationKey: k.authenticationKey }, systemTitle: k.systemTitle,
    invocationCounter: Math.floor(atMs / 1000) >>> 0, protection: 'authenticated-encryption', envelope: 'general',
  });
}

/**
 * A push from a HES-initiated meter: a TCP connection to the Push Setup's destination carrying one
 * wrapper WPDU (meter wPort 1 → push client SAP), closed after; ciphered for high-gmac meters; no retries.
 */
export function pushToDestination(fleet: Fleet, p: DuePush): Promise<boolean> {
  const { apdu, destination, clientSap } = pushApdu(fleet, p);
  const m = /^(.+):(\d+)$/.exec(destination);
  if (!m) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = connect(Number(m[2]), m[1]!);
    socket.on('error', () => resolve(false));
    socket.on('connect', () => socket.end(encodeWpdu(1, clientSap, apdu), () => resolve(true)));
  });
}
