/**
 * Objects that report measurements: energy registers (class 3, per channel and tariff), the interval
 * energy registers of SPODES profiles, instantaneous network parameters, the Clock (class 8) and the
 * Data objects (class 1): identification, error and alarm registers, relay locks.
 */
import { dateTimeFromUtcMs, dateTimeToUtcMs } from '../../decoders/dlms/axdr/datetime.js';
import type { CosemDateTime, DlmsData } from '../../decoders/dlms/axdr/types.js';
import { ActionResult, DataAccessResult } from '../../decoders/dlms/apdu/index.js';
import { ClassId, clockAttributes, clockMethods, dataAttributes, registerAttributes, rawValue, encodeRelayLock } from '../../decoders/dlms/cosem/index.js';
import { parseObis } from '../../decoders/dlms/obis.js';
import { CHANNELS, SLOT_MS, localSlotOf, registersAt, slotEnergy } from '../model/energy.js';
import { raiseEvent } from '../model/events.js';
import { alarmRegister, errorRegister } from '../model/status.js';
import { meterTime, relayStates, type Meter } from '../meter.js';
import { energyObis, type CompiledProfile, type InstantaneousSpec } from '../profiles/profile.js';
import { unit } from '../model/hash.js';
import { ACTION_BAD_TYPE, ACTION_OK, ACTION_UNDEFINED, NO_ATTRIBUTE, data, type ObjectContext, type ObjectHandler } from './types.js';

const WH = 30;
const VARH = 32;

export function logicalNameOf(obis: string): DlmsData {
  return { type: 'octet-string', value: parseObis(obis) };
}

function base(classId: number, obis: string): Pick<ObjectHandler, 'classId' | 'obis' | 'logicalName'> {
  return { classId, obis, logicalName: parseObis(obis) };
}

/** A Data object (class 1) whose value is computed per meter. */
export function dataObject(obis: string, value: (ctx: ObjectContext) => DlmsData): ObjectHandler {
  return {
    ...base(ClassId.data, obis),
    writable: [],
    methods: [],
    get(ctx, attr) {
      if (attr === 1) return data(logicalNameOf(obis));
      if (attr === 2) return data(dataAttributes.value.encode(value(ctx)));
      return NO_ATTRIBUTE;
    },
  };
}

function register(obis: string, scaler: number, unitCode: number, value: (ctx: ObjectContext) => DlmsData): ObjectHandler {
  return {
    ...base(ClassId.register, obis),
    writable: [],
    methods: [1],
    get(ctx, attr) {
      if (attr === 1) return data(logicalNameOf(obis));
      if (attr === 2) return data(registerAttributes.value.encode(value(ctx)));
      if (attr === 3) return data(registerAttributes.scalerUnit.encode({ scaler, unit: unitCode }));
      return NO_ATTRIBUTE;
    },
    action: () => ({ result: ActionResult.readWriteDenied }), // energy registers are not resettable
  };
}

/** Register values are computed per request; a session reading 20 registers computes history 4 times. */
const registerCache = new WeakMap<Meter, { at: number; values: Float64Array[] }>();

export function energyNow(ctx: ObjectContext, ch: number): Float64Array {
  let c = registerCache.get(ctx.meter);
  if (!c || c.at !== ctx.nowMs) {
    c = { at: ctx.nowMs, values: [] };
    registerCache.set(ctx.meter, c);
  }
  return (c.values[ch] ??= registersAt(ctx.meter.load, ch, ctx.nowMs, ctx.meter.offsetsWh[ch]!));
}

export function energyRegisters(p: CompiledProfile): ObjectHandler[] {
  const out: ObjectHandler[] = [];
  CHANNELS.forEach((name, ch) => {
    const unitCode = name.startsWith('A') ? WH : VARH;
    for (let t = 0; t <= 4; t++) {
      out.push(register(energyObis(p, ch, t), p.energyScaler, unitCode, (ctx) => rawValue(energyNow(ctx, ch)[t]!, p.energyScaler, 'double-long-unsigned')));
    }
    const interval = p.intervalEnergy?.[name];
    const period = p.loadProfiles.find((l) => l.values === 'delta')?.period ?? 1800;
    if (interval) {
      out.push(
        register(interval, p.energyScaler, unitCode, (ctx) => {
          const start = Math.floor(ctx.nowMs / (period * 1000)) * period * 1000;
          const wh = energyNow(ctx, ch)[0]! - registersAt(ctx.meter.load, ch, start, ctx.meter.offsetsWh[ch]!)[0]!;
          return rawValue(wh, p.energyScaler, 'double-long-unsigned');
        }),
      );
    }
  });
  return out;
}

/** Instantaneous value of a network parameter, in its SI unit. */
export function instantaneous(ctx: ObjectContext, spec: InstantaneousSpec): number {
  const m = ctx.meter;
  const slot = localSlotOf(m.load, ctx.nowMs);
  const minute = Math.floor(ctx.nowMs / 60_000);
  const off = slotEnergy(m.load, 0, slot) === 0 && slotEnergy(m.load, 2, slot) === 0;
  const watts = slotEnergy(m.load, 0, slot) / 250; // mWh per 15 min → W
  const vars = slotEnergy(m.load, 2, slot) / 250;
  const share = spec.phase === 0 ? 1 : (m.phaseShares[spec.phase - 1] ?? 1);
  const volts = off ? 0 : 230 + 8 * (unit(m.seed, minute, 30 + spec.phase) - 0.5);
  switch (spec.quantity) {
    case 'voltage':
      return volts;
    case 'current':
      return volts ? (watts * share) / volts : 0;
    case 'activePower':
      return watts * share;
    case 'reactivePower':
      return vars * share;
    case 'frequency':
      return off ? 0 : 50 + 0.1 * (unit(m.seed, minute, 40) - 0.5);
    case 'powerFactor':
      return watts + vars === 0 ? 1 : watts / Math.hypot(watts, vars);
  }
}

export function instantaneousRegisters(p: CompiledProfile): ObjectHandler[] {
  return p.instantaneous.map((s) =>
    register(s.obis, s.scaler, s.unit, (ctx) => rawValue(instantaneous(ctx, s), s.scaler, s.quantity === 'activePower' || s.quantity === 'reactivePower' ? 'double-long' : 'long-unsigned')),
  );
}

/**
 * A time stamp as the meter writes it: local time with its deviation, day of week not specified
 * (as in the published clock read of decoders/dlms/apdu/xdlms/get/fixtures.ts, clockResponse).
 */
export function meterDateTime(m: Meter, utcMs: number): CosemDateTime {
  return { ...dateTimeFromUtcMs(utcMs, deviationOf(m)), dayOfWeek: 0xff };
}

/** The deviation (standard sign: UTC − local) of the meter's time stamps. */
export function deviationOf(m: Meter): number {
  return -m.profile.utcOffsetMinutes;
}

export function clockObject(obis: string): ObjectHandler {
  const unspecified: CosemDateTime = { deviation: -0x8000, clockStatus: 0xff, year: 0xffff, month: 0xff, dayOfMonth: 0xff, dayOfWeek: 0xff, hour: 0xff, minute: 0xff, second: 0xff, hundredths: 0xff };
  const adjust = (ctx: ObjectContext, to: number): void => {
    const t = meterTime(ctx.meter, ctx.nowMs);
    ctx.meter.state.clockOffsetMs += Math.round(t / to) * to - t;
  };
  return {
    ...base(ClassId.clock, obis),
    writable: [2, 3],
    methods: [1, 3, 6],
    get(ctx, attr) {
      const m = ctx.meter;
      switch (attr) {
        case 1:
          return data(logicalNameOf(obis));
        case 2:
          return data(clockAttributes.time.encode(meterDateTime(m, meterTime(m, ctx.nowMs))));
        case 3:
          return data(clockAttributes.timeZone.encode(deviationOf(m)));
        case 4:
          return data(clockAttributes.status.encode(0));
        case 5:
        case 6:
          return data(clockAttributes.daylightSavingsBegin.encode(unspecified));
        case 7:
          return data(clockAttributes.daylightSavingsDeviation.encode(0));
        case 8:
          return data(clockAttributes.daylightSavingsEnabled.encode(false));
        case 9:
          return data(clockAttributes.clockBase.encode(1));
      }
      return NO_ATTRIBUTE;
    },
    set(ctx, attr, value) {
      if (attr === 3) return DataAccessResult.readWriteDenied; // the zone is a property of the profile
      if (attr !== 2) return DataAccessResult.readWriteDenied;
      let target: number | null;
      try {
        target = dateTimeToUtcMs(clockAttributes.time.decode(value), { defaultDeviation: deviationOf(ctx.meter) });
      } catch {
        return DataAccessResult.typeUnmatched;
      }
      if (target === null) return DataAccessResult.otherReason;
      const before = meterTime(ctx.meter, ctx.nowMs);
      ctx.meter.state.clockOffsetMs += target - before;
      raiseEvent(ctx.meter, 'clock', ctx.nowMs, 1);
      return DataAccessResult.success;
    },
    action(ctx, method, params) {
      try {
        if (method === 1) adjust(ctx, SLOT_MS);
        else if (method === 3) adjust(ctx, 60_000);
        else if (method === 6) ctx.meter.state.clockOffsetMs += clockMethods.shiftTime.decode(params ?? { type: 'null-data' }) * 1000;
        else return ACTION_UNDEFINED;
      } catch {
        return ACTION_BAD_TYPE;
      }
      return ACTION_OK;
    },
  };
}

/** Identification objects, the error and alarm registers and the relay lock objects. */
export function dataObjects(p: CompiledProfile): ObjectHandler[] {
  const text = (s: string): DlmsData => ({ type: 'octet-string', value: new TextEncoder().encode(s) });
  const out = [
    dataObject(p.objects.logicalDeviceName, (ctx) => text(`${p.manufacturer}${ctx.meter.serial}`.slice(0, 16))),
    dataObject(p.objects.serialNumber, (ctx) => ({ type: 'visible-string', value: ctx.meter.serial })),
    dataObject(p.objects.firmwareVersion, (ctx) => ({ type: 'visible-string', value: ctx.meter.state.firmware ?? p.firmware })),
    dataObject(p.objects.invocationCounter, (ctx) => ({ type: 'double-long-unsigned', value: ctx.session.invocationCounter })),
    dataObject(p.objects.errorRegister, (ctx) => ({ type: 'double-long-unsigned', value: errorRegister(ctx.meter) })),
    dataObject(p.objects.alarmRegister, (ctx) => ({ type: 'double-long-unsigned', value: alarmRegister(ctx.meter, ctx.nowMs) })),
  ];
  p.relays.forEach((r, i) => {
    if (r.lockObis) out.push(dataObject(r.lockObis, (ctx) => encodeRelayLock(relayStates(ctx.meter)[i]!.lock)));
  });
  return out;
}

