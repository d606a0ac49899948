/**
 * Push Setup (class 40) objects of a simulated meter and the DataNotification body they produce.
 *
 * A profile gets one Push Setup per trigger (OBIS assumed, after the IDIS pattern 0.b.25.9.0.255). As in
 * IDIS, every push object list starts with the Push Setup's own logical name (class 40, attribute 1): it
 * tells the HES which push it decodes.
 *   0.0.25.9.0.255  on connection (the profile's pushSetup): setup, logical device name, clock
 *   0.1.25.9.0.255  daily, after local midnight: + the daily billing profile's newest entry
 *   0.2.25.9.0.255  interval, after each capture period of the shortest load profile: + its newest entry
 *   0.(3+k).25.9.0.255  alarm of the profile's k-th alarm journal: + that journal's newest entry
 *   0.7.25.9.0.255  alarm register, at each event of an alarm with a register bit: + the alarm register
 *   0.8.25.9.0.255  power down (the last gasp), at each power-off event of the power journal: setup, name, clock
 * data_index n on a Profile Generic buffer selects its newest n entries (our reading; the Blue Book
 * leaves data_index of a buffer to the companion specification). The body is a structure with one
 * element per push object, read through the meter's objects, so what a HES wrote (SET push_object_list,
 * send_destination) is what is pushed and where.
 */
import type { DlmsData } from '../../decoders/dlms/axdr/types.js';
import { ActionResult, entryAccess } from '../../decoders/dlms/apdu/index.js';
import { ClassId, pushSetupAttributes, type Members, type PushObject, type PushSetup } from '../../decoders/dlms/cosem/index.js';
import { parseObis } from '../../decoders/dlms/obis.js';
import type { CompiledProfile } from '../profiles/profile.js';
import { ACTION_BAD_TYPE, ACTION_OK, type ObjectHandler } from './types.js';
import { ascii, storedObject, UNSPECIFIED } from './control.js';
import type { MeterObjects } from './index.js';

/** Where pushes go (the fleet's push destination, "host:port"). */
export interface PushTarget {
  destination: string;
}

export type PushTrigger =
  | { kind: 'connect' } | { kind: 'daily' } | { kind: 'interval'; periodS: number }
  | { kind: 'alarm'; journal: number; codes: readonly number[] | null }
  /** At each event of an alarm that has a bit in the alarm register. */
  | { kind: 'alarm-register'; alarms: readonly { journal: number; codes: readonly number[] | null }[] }
  /** The last gasp: at each power-off event of the power journal. */
  | { kind: 'power-down'; journal: number; code: number };

export interface PushSetupSpec {
  obis: string;
  trigger: PushTrigger;
  objects: PushObject[];
  /** randomisation_start_interval, s: a meter pushes this much after the trigger at most (by a hash of its serial). */
  randomisationS: number;
}

export const ALARM_REGISTER_PUSH = '0.7.25.9.0.255';
export const POWER_DOWN_PUSH = '0.8.25.9.0.255';

function buffer(obis: string): PushObject {
  return { classId: ClassId.profileGeneric, logicalName: obis, attributeIndex: 2, dataIndex: 1 };
}

/** The Push Setup objects of a profile (see the file comment). */
export function pushSetupSpecs(p: CompiledProfile): PushSetupSpec[] {
  const head = (setup: string): PushObject[] => [
    { classId: ClassId.pushSetup, logicalName: setup, attributeIndex: 1, dataIndex: 0 },
    { classId: ClassId.data, logicalName: p.objects.logicalDeviceName, attributeIndex: 2, dataIndex: 0 },
    { classId: ClassId.clock, logicalName: p.objects.clock, attributeIndex: 2, dataIndex: 0 },
  ];
  const out: PushSetupSpec[] = [{ obis: p.objects.pushSetup, trigger: { kind: 'connect' }, objects: head(p.objects.pushSetup), randomisationS: 0 }];
  const setup = (obis: string, trigger: PushTrigger, last: PushObject, randomisationS: number): PushSetupSpec => ({ obis, trigger, objects: [...head(obis), last], randomisationS });
  const daily = p.billing.find((b) => b.kind === 'daily');
  if (daily) out.push(setup('0.1.25.9.0.255', { kind: 'daily' }, buffer(daily.obis), 600));
  const load = [...p.loadProfiles].sort((a, b) => a.period - b.period)[0];
  if (load) out.push(setup('0.2.25.9.0.255', { kind: 'interval', periodS: load.period }, buffer(load.obis), 60));
  for (const [k, a] of (p.alarms ?? [{ journal: 'power' }]).entries()) {
    const journal = p.journals.findIndex((j) => j.name === a.journal);
    if (journal < 0) continue;
    out.push(setup(`0.${3 + k}.25.9.0.255`, { kind: 'alarm', journal, codes: a.codes ?? null }, buffer(p.journals[journal]!.obis), 0));
  }
  const bits = (p.alarms ?? []).filter((a) => a.bit !== undefined).map((a) => ({ journal: p.journals.findIndex((j) => j.name === a.journal), codes: a.codes ?? null }));
  if (bits.length) {
    out.push(setup(ALARM_REGISTER_PUSH, { kind: 'alarm-register', alarms: bits }, { classId: ClassId.data, logicalName: p.objects.alarmRegister, attributeIndex: 2, dataIndex: 0 }, 0));
  }
  const power = p.journals.findIndex((j) => j.name === 'power');
  if (power >= 0) out.push({ obis: POWER_DOWN_PUSH, trigger: { kind: 'power-down', journal: power, code: p.journals[power]!.codes[0]! }, objects: head(POWER_DOWN_PUSH), randomisationS: 0 });
  return out;
}

export function pushSetupObject(spec: PushSetupSpec, target: PushTarget): ObjectHandler {
  const defaults: PushSetup = {
    logicalName: spec.obis,
    pushObjectList: spec.objects,
    sendDestinationAndMethod: { transportService: 0, destination: ascii(target.destination), message: 0 },
    communicationWindow: [],
    randomisationStartInterval: spec.randomisationS,
    numberOfRetries: 3,
    repetitionDelay: 30,
    portReference: '0.0.0.0.0.0',
    pushClientSap: 102,
    pushProtectionParameters: [],
    pushOperationMethod: 0,
    confirmationParameters: { type: 'null-data' },
    lastConfirmationDateTime: UNSPECIFIED,
  };
  const a = pushSetupAttributes;
  const members = {
    logicalName: a.logicalName,
    pushObjectList: a.pushObjectList,
    sendDestinationAndMethod: a.sendDestinationAndMethod,
    communicationWindow: a.communicationWindow,
    randomisationStartInterval: a.randomisationStartInterval,
    numberOfRetries: a.numberOfRetries,
    repetitionDelay: a.repetitionDelay,
  } as unknown as Members<PushSetup>; // version 0 object: attributes 1..7 only
  return storedObject(ClassId.pushSetup, spec.obis, members, () => defaults, [2, 3, 4, 5, 6, 7], [1], (ctx, _m, params) => {
    if (params.type !== 'integer' || params.value !== 0) return ACTION_BAD_TYPE;
    if (!ctx.session.push) return { result: ActionResult.temporaryFailure };
    ctx.session.push(spec.obis);
    return ACTION_OK;
  });
}

const NULL: DlmsData = { type: 'null-data' };

/** The DataNotification body of a Push Setup at the objects' current time (null-data for what cannot be read). */
export function pushBody(objects: MeterObjects, setupObis: string): DlmsData {
  const attr = (classId: number, obis: string, attributeId: number, access?: Parameters<MeterObjects['get']>[1]): DlmsData | undefined => {
    const r = objects.get({ classId, instanceId: parseObis(obis), attributeId }, access);
    return r.type === 'data' ? r.value : undefined;
  };
  const list = attr(ClassId.pushSetup, setupObis, 2);
  if (!list) return NULL;
  const values = pushSetupAttributes.pushObjectList.decode(list).map((o): DlmsData => {
    if (o.attributeIndex <= 0) return NULL;
    if (o.classId === ClassId.profileGeneric && o.attributeIndex === 2 && o.dataIndex > 0) {
      const inUse = attr(ClassId.profileGeneric, o.logicalName, 7);
      const n = inUse?.type === 'double-long-unsigned' ? inUse.value : 0;
      if (n === 0) return { type: 'array', value: [] };
      return attr(o.classId, o.logicalName, 2, entryAccess({ fromEntry: Math.max(1, n - o.dataIndex + 1), toEntry: 0, fromSelectedValue: 1, toSelectedValue: 0 })) ?? NULL;
    }
    const v = attr(o.classId, o.logicalName, o.attributeIndex);
    if (!v || o.dataIndex === 0) return v ?? NULL;
    return (v.type === 'array' || v.type === 'structure' ? v.value[o.dataIndex - 1] : undefined) ?? NULL;
  });
  return { type: 'structure', value: values };
}
