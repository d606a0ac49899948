/**
 * Objects the HES commands: Disconnect Control (70) with the relay locks of seed 003 §2.2.10, Image
 * Transfer (18) with its state machine, and the configuration objects whose attributes are kept as
 * written (Activity Calendar 20, Special Days 11, Limiter 71, Security Setup 64; Push Setup 40 in push.ts).
 */
import { dateTimeFromUtcMs } from '../../decoders/dlms/axdr/datetime.js';
import type { CosemDateTime, DlmsData } from '../../decoders/dlms/axdr/types.js';
import { ActionResult, DataAccessResult } from '../../decoders/dlms/apdu/index.js';
import {
  ClassId,
  ImageTransferStatus,
  RELAY_LOCKS,
  activityCalendarAttributes,
  blockCount,
  disconnectControlAttributes,
  emptyBlocksStatus,
  imageTransferAttributes,
  imageTransferMethods,
  isBlockTransferred,
  limiterAttributes,
  markBlockTransferred,
  nextControlState,
  outputStateOf,
  securitySetupAttributes,
  securitySetupMethods,
  specialDaysAttributes,
  specialDaysMethods,
  type ActivityCalendar,
  type Limiter,
  type Member,
  type Members,
  type SecuritySetup,
  type SpecialDay,
  type SpecialDaysTable,
} from '../../decoders/dlms/cosem/index.js';
import { parseObis } from '../../decoders/dlms/obis.js';
import { raiseEvent } from '../model/events.js';
import { relayStates, type Meter } from '../meter.js';
import type { CompiledProfile, RelaySpec } from '../profiles/profile.js';
import { logicalNameOf } from './measurements.js';
import { ACTION_BAD_TYPE, ACTION_OK, ACTION_UNDEFINED, NO_ATTRIBUTE, data, type ActionOutcome, type ObjectContext, type ObjectHandler } from './types.js';

/** Relay journal event codes (assumed): 1 disconnected, 2 connected, 3 refused while locked. */
export const RelayEvent = { disconnected: 1, connected: 2, refused: 3 } as const;

export function disconnectControl(spec: RelaySpec, index: number): ObjectHandler {
  const output = (m: Meter): boolean => {
    const r = relayStates(m)[index]!;
    const forced = r.lock === null ? null : RELAY_LOCKS[r.lock]!.forcedOutput;
    return forced ?? outputStateOf(r.controlState);
  };
  return {
    classId: ClassId.disconnectControl,
    obis: spec.obis,
    logicalName: parseObis(spec.obis),
    writable: [4],
    methods: [1, 2],
    get(ctx, attr) {
      const r = relayStates(ctx.meter)[index]!;
      switch (attr) {
        case 1:
          return data(logicalNameOf(spec.obis));
        case 2:
          return data(disconnectControlAttributes.outputState.encode(output(ctx.meter)));
        case 3:
          return data(disconnectControlAttributes.controlState.encode(r.controlState));
        case 4:
          return data(disconnectControlAttributes.controlMode.encode(r.controlMode));
      }
      return NO_ATTRIBUTE;
    },
    set(ctx, attr, value) {
      if (attr !== 4) return DataAccessResult.readWriteDenied;
      try {
        relayStates(ctx.meter)[index]!.controlMode = disconnectControlAttributes.controlMode.decode(value);
      } catch {
        return DataAccessResult.typeUnmatched;
      }
      return DataAccessResult.success;
    },
    action(ctx, method, params): ActionOutcome {
      if (method !== 1 && method !== 2) return ACTION_UNDEFINED;
      if (params?.type !== 'integer' || params.value !== 0) return ACTION_BAD_TYPE;
      const r = relayStates(ctx.meter)[index]!;
      if (r.lock !== null && !RELAY_LOCKS[r.lock]!.remoteControlAllowed) {
        raiseEvent(ctx.meter, 'relay', ctx.nowMs, RelayEvent.refused);
        return { result: ActionResult.temporaryFailure };
      }
      const next = nextControlState(r.controlMode, r.controlState, method === 1 ? 'remote_disconnect' : 'remote_reconnect');
      if (next === null) {
        // already where the command leads (disconnect while disconnected) is no error; a mode that forbids it is
        const already = method === 1 ? r.controlState !== 1 : r.controlState === 1;
        return { result: already ? ActionResult.success : ActionResult.readWriteDenied };
      }
      const wasClosed = output(ctx.meter);
      r.controlState = next;
      if (output(ctx.meter) !== wasClosed) raiseEvent(ctx.meter, 'relay', ctx.nowMs, wasClosed ? RelayEvent.disconnected : RelayEvent.connected);
      return ACTION_OK;
    },
  };
}

/** The most a simulated meter accepts as a firmware image. */
export const MAX_IMAGE_SIZE = 4 << 20;
export const IMAGE_BLOCK_SIZE = 192;

/**
 * The image identifiers a meter of a profile takes: "<PROFILE NAME>-<version>", e.g. "CE308-12.2.0"; the
 * part after the dash is the firmware version it reports once the image is activated.
 */
export function imageVersion(profileName: string, identifier: Uint8Array): string | null {
  const text = new TextDecoder().decode(identifier);
  const prefix = `${profileName.toUpperCase()}-`;
  return text.startsWith(prefix) && text.length > prefix.length ? text.slice(prefix.length) : null;
}

export function imageTransfer(obis: string): ObjectHandler {
  const a = imageTransferAttributes;
  return {
    classId: ClassId.imageTransfer,
    obis,
    logicalName: parseObis(obis),
    writable: [5],
    methods: [1, 2, 3, 4],
    get(ctx, attr) {
      const s = ctx.meter.state.image;
      const blocks = s?.blocks ?? emptyBlocksStatus(0);
      switch (attr) {
        case 1:
          return data(logicalNameOf(obis));
        case 2:
          return data(a.imageBlockSize.encode(IMAGE_BLOCK_SIZE));
        case 3:
          return data(a.imageTransferredBlocksStatus.encode(blocks));
        case 4: {
          let n = 0;
          while (n < blocks.length && isBlockTransferred(blocks, n)) n++;
          return data(a.imageFirstNotTransferredBlockNumber.encode(n));
        }
        case 5:
          return data(a.imageTransferEnabled.encode(true));
        case 6:
          return data(a.imageTransferStatus.encode((s?.status ?? 0) as ImageTransferStatus));
        case 7: {
          const ready = s !== null && s.status >= ImageTransferStatus.verificationSuccessful && s.status !== ImageTransferStatus.verificationFailed;
          return data(a.imageToActivateInfo.encode(ready ? [{ size: s.size, identification: s.identifier, signature: new Uint8Array(0) }] : []));
        }
      }
      return NO_ATTRIBUTE;
    },
    set: (_ctx, attr) => (attr === 5 ? DataAccessResult.success : DataAccessResult.readWriteDenied),
    action(ctx, method, params) {
      const st = ctx.meter.state;
      const o = ctx.meter.options;
      const p = params ?? { type: 'null-data' as const };
      try {
        switch (method) {
          case 1: {
            const init = imageTransferMethods.imageTransferInitiate.decode(p);
            if (init.size < 1 || init.size > MAX_IMAGE_SIZE) return { result: ActionResult.otherReason };
            // An image for another device type is refused before a byte of it is taken.
            if (imageVersion(ctx.meter.profile.name, init.identifier) === null) return { result: ActionResult.otherReason };
            const count = blockCount(init.size, IMAGE_BLOCK_SIZE);
            st.image = {
              status: ImageTransferStatus.initiated, identifier: init.identifier.slice(), size: init.size, blockSize: IMAGE_BLOCK_SIZE,
              blocks: emptyBlocksStatus(count), image: new Uint8Array(init.size), blockRequests: 0, duplicateBlocks: 0,
            };
            return ACTION_OK;
          }
          case 2: {
            const b = imageTransferMethods.imageBlockTransfer.decode(p);
            const s = st.image;
            if (!s || s.image === null || s.status !== ImageTransferStatus.initiated) return { result: ActionResult.readWriteDenied };
            s.blockRequests++;
            if (o.imageBlockFailEvery > 0 && s.blockRequests % o.imageBlockFailEvery === 0) return { result: ActionResult.temporaryFailure };
            const expected = Math.min(s.blockSize, s.size - b.blockNumber * s.blockSize);
            if (b.blockNumber >= s.blocks.length || b.value.length !== expected) return { result: ActionResult.otherReason };
            if (isBlockTransferred(s.blocks, b.blockNumber)) s.duplicateBlocks++;
            s.image.set(b.value, b.blockNumber * s.blockSize);
            markBlockTransferred(s.blocks, b.blockNumber);
            return ACTION_OK;
          }
          case 3: {
            imageTransferMethods.imageVerify.decode(p);
            const s = st.image;
            if (!s || s.status < ImageTransferStatus.initiated) return { result: ActionResult.readWriteDenied };
            let complete = true;
            for (let n = 0; n < s.blocks.length && complete; n++) complete = isBlockTransferred(s.blocks, n);
            const ok = complete && !o.imageRejected;
            s.status = ok ? ImageTransferStatus.verificationSuccessful : ImageTransferStatus.verificationFailed;
            return ok ? ACTION_OK : { result: ActionResult.otherReason };
          }
          case 4: {
            imageTransferMethods.imageActivate.decode(p);
            const s = st.image;
            if (!s || s.status !== ImageTransferStatus.verificationSuccessful) return { result: ActionResult.readWriteDenied };
            s.image = null;
            // A bad image: the meter falls back to the firmware it ran, and says so in the status.
            if (o.imageBad) {
              s.status = ImageTransferStatus.activationFailed;
              return { result: ActionResult.hardwareFault };
            }
            s.status = ImageTransferStatus.activationSuccessful;
            st.firmware = imageVersion(ctx.meter.profile.name, s.identifier);
            raiseEvent(ctx.meter, 'firmware', ctx.nowMs, 1);
            return ACTION_OK;
          }
        }
      } catch {
        return ACTION_BAD_TYPE;
      }
      return ACTION_UNDEFINED;
    },
  };
}

/**
 * An object whose attributes are stored as written: reads give the written value or the profile's
 * default; a SET is checked against the class's typed view before it is kept.
 */
export function storedObject<T>(
  classId: number,
  obis: string,
  members: Members<T>,
  defaults: (ctx: ObjectContext) => T,
  writable: readonly number[],
  methods: readonly number[] = [],
  action?: (ctx: ObjectContext, method: number, params: DlmsData, store: Store) => ActionOutcome,
): ObjectHandler {
  const byId = new Map<number, Member<unknown>>();
  for (const k of Object.keys(members) as (keyof T)[]) byId.set(members[k].id, members[k] as Member<unknown>);
  const key = (attr: number): string => `${classId}/${obis}/${attr}`;
  const read = (ctx: ObjectContext, attr: number): DlmsData | undefined => {
    const written = ctx.meter.state.written?.get(key(attr));
    if (written) return written;
    const m = byId.get(attr);
    if (!m) return undefined;
    const d = defaults(ctx);
    const name = (Object.keys(members) as (keyof T)[]).find((k) => members[k].id === attr)!;
    return m.encode(d[name]);
  };
  const store: Store = {
    read,
    write: (ctx, attr, v) => void (ctx.meter.state.written ??= new Map()).set(key(attr), v),
  };
  return {
    classId,
    obis,
    logicalName: parseObis(obis),
    writable,
    methods,
    get(ctx, attr) {
      const v = read(ctx, attr);
      return v ? data(v) : NO_ATTRIBUTE;
    },
    set(ctx, attr, value) {
      const m = byId.get(attr);
      if (!m || !writable.includes(attr)) return m ? DataAccessResult.readWriteDenied : DataAccessResult.objectUndefined;
      try {
        m.decode(value);
      } catch {
        return DataAccessResult.typeUnmatched;
      }
      store.write(ctx, attr, value);
      return DataAccessResult.success;
    },
    ...(action
      ? {
          action(ctx: ObjectContext, method: number, params?: DlmsData): ActionOutcome {
            if (!methods.includes(method)) return ACTION_UNDEFINED;
            try {
              return action(ctx, method, params ?? { type: 'null-data' }, store);
            } catch {
              return ACTION_BAD_TYPE;
            }
          },
        }
      : {}),
  };
}

export interface Store {
  read(ctx: ObjectContext, attr: number): DlmsData | undefined;
  write(ctx: ObjectContext, attr: number, value: DlmsData): void;
}

export const UNSPECIFIED: CosemDateTime = { year: 0xffff, month: 0xff, dayOfMonth: 0xff, dayOfWeek: 0xff, hour: 0xff, minute: 0xff, second: 0xff, hundredths: 0xff, deviation: -0x8000, clockStatus: 0xff };
export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const TARIFF_SCRIPT = '0.0.10.0.100.255';

export function activityCalendar(p: CompiledProfile): ObjectHandler {
  const obis = p.objects.activityCalendar;
  const schedule = p.tariffs.map((z) => {
    const [h, m] = z.start.split(':').map(Number);
    return { startTime: { hour: h!, minute: m!, second: 0, hundredths: 0 }, scriptLogicalName: TARIFF_SCRIPT, scriptSelector: z.tariff };
  });
  const since2000 = dateTimeFromUtcMs(Date.UTC(2000, 0, 1), null);
  const season = [{ name: ascii('S1'), start: { ...since2000, deviation: -0x8000, clockStatus: 0xff, dayOfWeek: 0xff }, weekName: ascii('W1') }];
  const week = [{ name: ascii('W1'), monday: 1, tuesday: 1, wednesday: 1, thursday: 1, friday: 1, saturday: 1, sunday: 1 }];
  const days = [{ dayId: 1, schedule }];
  const defaults: ActivityCalendar = {
    logicalName: obis,
    calendarNameActive: ascii('ACTIVE'),
    seasonProfileActive: season,
    weekProfileTableActive: week,
    dayProfileTableActive: days,
    calendarNamePassive: ascii('PASSIVE'),
    seasonProfilePassive: season,
    weekProfileTablePassive: week,
    dayProfileTablePassive: days,
    activatePassiveCalendarTime: UNSPECIFIED,
  };
  return storedObject(ClassId.activityCalendar, obis, activityCalendarAttributes, () => defaults, [6, 7, 8, 9, 10], [1], (ctx, _m, params, store) => {
    if (params.type !== 'integer' || params.value !== 0) return ACTION_BAD_TYPE;
    for (let attr = 6; attr <= 9; attr++) store.write(ctx, attr - 4, store.read(ctx, attr)!);
    return ACTION_OK;
  });
}

export function specialDays(p: CompiledProfile): ObjectHandler {
  const obis = p.objects.specialDays;
  const defaults: SpecialDaysTable = { logicalName: obis, entries: [] };
  return storedObject(ClassId.specialDaysTable, obis, specialDaysAttributes, () => defaults, [2], [1, 2], (ctx, method, params, store) => {
    const entries: SpecialDay[] = specialDaysAttributes.entries.decode(store.read(ctx, 2)!);
    let next: SpecialDay[];
    if (method === 1) {
      const e = specialDaysMethods.insert.decode(params);
      next = [...entries.filter((x) => x.index !== e.index), e].sort((a, b) => a.index - b.index);
    } else {
      const index = specialDaysMethods.delete.decode(params);
      next = entries.filter((x) => x.index !== index);
    }
    store.write(ctx, 2, specialDaysAttributes.entries.encode(next));
    return ACTION_OK;
  });
}

export function limiter(p: CompiledProfile): ObjectHandler {
  const obis = p.objects.limiter;
  const power = p.instantaneous.find((i) => i.quantity === 'activePower' && i.phase === 0)?.obis ?? '1.0.1.7.0.255';
  const relay = p.relays[0]?.obis;
  const defaults: Limiter = {
    logicalName: obis,
    monitoredValue: { classId: ClassId.register, logicalName: power, attributeIndex: 2 },
    thresholdActive: { type: 'double-long', value: p.phases === 3 ? 30_000 : 10_000 },
    thresholdNormal: { type: 'double-long', value: p.phases === 3 ? 30_000 : 10_000 },
    thresholdEmergency: { type: 'double-long', value: p.phases === 3 ? 15_000 : 5_000 },
    minOverThresholdDuration: 60,
    minUnderThresholdDuration: 60,
    emergencyProfile: { id: 0, activationTime: UNSPECIFIED, duration: 0 },
    emergencyProfileGroupIdList: [],
    emergencyProfileActive: false,
    actions: {
      overThreshold: { scriptLogicalName: relay ? '0.0.10.0.106.255' : '0.0.0.0.0.0', scriptSelector: 1 },
      underThreshold: { scriptLogicalName: relay ? '0.0.10.0.106.255' : '0.0.0.0.0.0', scriptSelector: 2 },
    },
  };
  return storedObject(ClassId.limiter, obis, limiterAttributes, () => defaults, [2, 3, 4, 5, 6, 7, 8, 9, 11]);
}

/** Server system title: manufacturer id + 5 bytes of the serial (as a real meter derives it). */
export function systemTitleOf(manufacturer: string, serial: string): Uint8Array {
  const st = new Uint8Array(8);
  st.set(ascii(manufacturer.padEnd(3, ' ').slice(0, 3)));
  let n = BigInt(/^\d+$/.test(serial) ? serial : 0) & 0xffffffffffn;
  for (let i = 7; i >= 3; i--) {
    st[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return st;
}

export function securitySetup(p: CompiledProfile): ObjectHandler {
  const obis = p.objects.securitySetup;
  return storedObject(
    ClassId.securitySetup,
    obis,
    securitySetupAttributes,
    (ctx): SecuritySetup => ({
      logicalName: obis,
      securityPolicy: ctx.session.ciphered ? 3 : 0,
      securitySuite: 0,
      clientSystemTitle: ctx.session.clientSystemTitle ?? new Uint8Array(0),
      serverSystemTitle: systemTitleOf(p.manufacturer, ctx.meter.serial),
      certificates: [],
    }),
    [],
    [1, 2],
    (ctx, method, params) => {
      if (method === 1) {
        securitySetupMethods.securityActivate.decode(params);
        return ACTION_OK;
      }
      // key_transfer: the new keys are unwrapped with the master key by the transport, which owns keys
      const wrapped = securitySetupMethods.keyTransfer.decode(params);
      return ctx.session.transferKeys ? ctx.session.transferKeys(wrapped) : { result: ActionResult.readWriteDenied };
    },
  );
}
