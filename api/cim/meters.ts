/**
 * EndDevices of a CIM request: each named by mRID (the HES device id) or Names/name (the serial number, every
 * meter with it), looked up only in the projects the caller is a member of. A reference that finds nothing
 * becomes one Error naming it (an EndDevice of another project is "not found" too).
 */
import type { Db } from '../../registry/db.js';
import { CODES, many, text, type Plain, type ReplyError } from './envelope.js';

export interface MeterRef {
  mRID?: string;
  name?: string;
  xpath: string;
}

export interface Meter {
  id: string;
  projectId: string;
  serial: string;
  /** The device's number in the data plane (devices.num). */
  num: number;
}

/** The EndDevice references in `elements` (objects with mRID/Names, or bare mRID texts). */
export function meterRefs(elements: unknown, xpath: (i: number) => string): MeterRef[] {
  return many(elements).map((d, i) => {
    const o = (typeof d === 'object' && d ? d : { mRID: d }) as Plain;
    return { mRID: text(o.mRID), name: many(o.Names).map((n) => text((n as Plain)?.name ?? n)).find(Boolean), xpath: xpath(i) };
  });
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The meters each reference names (in order), and one Error per reference that names none. */
export async function resolveMeters(db: Db, userId: string, refs: MeterRef[]): Promise<{ matches: Meter[][]; errors: ReplyError[] }> {
  const keys = refs.flatMap((r) => [r.mRID, r.name].filter((x): x is string => !!x));
  const r = await db.query<Meter>(
    `SELECT d.id::text AS id, d.project_id::text AS "projectId", d.serial_number AS serial, d.num::float8 AS num FROM devices d
     JOIN project_members m ON m.project_id = d.project_id AND m.user_id = $1
     WHERE d.id = ANY($2::uuid[]) OR d.serial_number = ANY($3::text[])`,
    [userId, keys.filter((k) => UUID.test(k)), keys],
  );
  const found = r.rows.map((x) => ({ ...x, num: Number(x.num) }));
  const errors: ReplyError[] = [];
  const byId = new Map(found.map((d) => [d.id, d]));
  const bySerial = new Map<string, Meter[]>();
  for (const d of found) bySerial.set(d.serial, [...(bySerial.get(d.serial) ?? []), d]);
  const matches = refs.map((w) => {
    const own = w.mRID ? byId.get(w.mRID.toLowerCase()) : undefined;
    // By Names/name, else a bare mRID that is no device id is taken as a serial number (some MDMs key meters by serial).
    const serial = w.name ?? w.mRID;
    const hit = [...(own ? [own] : []), ...(serial === undefined ? [] : bySerial.get(serial) ?? [])];
    if (!hit.length) {
      const value = w.mRID ?? w.name ?? '';
      errors.push({ code: CODES.notFound, level: 'WARNING', reason: `EndDevice "${value}" is not a meter of your projects`, xpath: w.xpath, ID: { kind: w.mRID ? 'uuid' : 'name', objectType: 'EndDevice', value } });
    }
    return hit;
  });
  return { matches, errors };
}
