/**
 * `get EndDevices` (IEC 61968-9): the meters the registry holds, by mRID (the HES device id) or Names/name (the
 * serial number), in the caller's projects — only what the registry knows: mRID, the serial number (also as
 * the name), the device type as `type`, the lifecycle status and the project. Unknown references get one
 * Error each (PARTIAL while something is left to answer).
 */
import type { FastifyRequest } from 'fastify';
import { CODES, CimFault, type CimMessage, type Plain, type Reply } from './envelope.js';
import { meterRefs, resolveMeters } from './meters.js';

const MAX_DEVICES = 10_000;

export async function getEndDevices(req: FastifyRequest, msg: CimMessage): Promise<{ reply: Reply; payload?: Plain; status: number }> {
  const q = (msg.request.GetEndDevices ?? msg.request) as Plain;
  const at = `/${msg.wrapper}/Request${msg.request.GetEndDevices ? '/GetEndDevices' : ''}`;
  const refs = meterRefs(q.EndDevice, (i) => `${at}/EndDevice[${i + 1}]`);
  if (!refs.length) throw new CimFault(CODES.malformed, 'name at least one EndDevice (mRID or Names.name)', `${at}/EndDevice`);
  if (refs.length > MAX_DEVICES) throw new CimFault(CODES.tooMany, `at most ${MAX_DEVICES} EndDevices per request`, `${at}/EndDevice`);
  const { db } = req.server.registry;
  const { matches, errors } = await resolveMeters(db, req.identity!.userId, refs);
  const ids = [...new Set(matches.flat().map((m) => m.id))];
  if (!ids.length) return { reply: { Result: 'FAILED', Error: errors }, status: 404 };
  const rows = await db.query<{ id: string; serial: string; type: string; status: string; projectName: string }>(
    `SELECT d.id::text AS id, d.serial_number AS serial, d.type, d.status, p.name AS "projectName" FROM devices d JOIN projects p ON p.id = d.project_id
     WHERE d.id = ANY($1::uuid[]) ORDER BY d.serial_number, d.id`, [ids],
  );
  const devices = rows.rows.map((d) => ({
    mRID: d.id, Names: [{ name: d.serial, NameType: { name: 'SerialNumber' } }, { name: d.projectName, NameType: { name: 'Project' } }],
    serialNumber: d.serial, type: d.type, status: { value: d.status },
  }));
  return {
    reply: { Result: errors.length ? 'PARTIAL' : 'OK', ...(errors.length ? { Error: errors } : {}) },
    payload: { EndDevices: { EndDevice: devices } }, status: 200,
  };
}
