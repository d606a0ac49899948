/**
 * `create EndDeviceControls` (IEC 61968-9): remote disconnect and connect of meters, as the relay commands of
 * the REST API (one-off tasks, api/collection.ts), so they take the same rights check and the project's
 * second-user approval of disconnects. One task per project and control; the reply names the task ids
 * (the command ids; their history is `GET devices/{id}/commands`).
 */
import type { FastifyRequest } from 'fastify';
import { RegistryError } from '../../registry/errors.js';
import { startOneOff } from '../collection.js';
import type { CommandFunction } from '../../scheduler/content.js';
import { CODES, CimFault, many, text, type CimMessage, type Plain, type Reply, type ReplyError, type ReplyTo } from './envelope.js';
import { CIM_REPLY } from '../../notify/notifier.js';
import { meterRefs, resolveMeters } from './meters.js';

/**
 * EndDeviceControlType codes (type.domain.subdomain.eventOrAction) → command function. 3.x is the published
 * electricity-meter form; 2.x the form some head-ends and MDMs send for the same actions.
 */
export const CONTROL_TYPES: Readonly<Record<string, CommandFunction>> = {
  '3.31.0.23': 'relay-disconnect',
  '2.31.0.23': 'relay-disconnect',
  '3.31.0.18': 'relay-connect',
  '2.31.0.18': 'relay-connect',
};

const MAX_DEVICES = 10_000;

export async function createEndDeviceControls(req: FastifyRequest, msg: CimMessage): Promise<{ reply: Reply; payload?: Plain; status: number }> {
  const at = `/${msg.wrapper}/Payload/EndDeviceControls`;
  const controls = many((msg.payload.EndDeviceControls as Plain | undefined)?.EndDeviceControl);
  if (!controls.length) throw new CimFault(CODES.malformed, 'Payload names no EndDeviceControls/EndDeviceControl', `${at}/EndDeviceControl`);
  const errors: ReplyError[] = [];
  const created: Plain[] = [];
  const ids: NonNullable<Reply['ID']> = [];
  for (const [i, c] of controls.entries()) {
    const here = `${at}/EndDeviceControl[${i + 1}]`;
    const control = (typeof c === 'object' && c ? c : {}) as Plain;
    const typeEl = control.EndDeviceControlType as Plain | string | undefined;
    const code = typeof typeEl === 'object' ? text(typeEl.ref) ?? text(typeEl.mRID) : text(typeEl);
    const fn = code ? CONTROL_TYPES[code] : undefined;
    if (!fn) {
      errors.push({ code: CODES.invalidValue, level: 'WARNING', reason: `EndDeviceControlType "${code ?? ''}" is not supported; supported: ${Object.keys(CONTROL_TYPES).join(', ')}`, xpath: `${here}/EndDeviceControlType`, ID: { kind: 'name', objectType: 'EndDeviceControlType', value: code ?? '' } });
      continue;
    }
    const wanted = meterRefs(control.EndDevices, (j) => `${here}/EndDevices[${j + 1}]`);
    if (!wanted.length) throw new CimFault(CODES.malformed, 'an EndDeviceControl names no EndDevices', `${here}/EndDevices`);
    if (wanted.length > MAX_DEVICES) throw new CimFault(CODES.tooMany, `at most ${MAX_DEVICES} EndDevices per control`, `${here}/EndDevices`);
    const { matches, errors: unknown } = await resolveMeters(req.server.registry.db, req.identity!.userId, wanted);
    errors.push(...unknown);
    const byProject = new Map<string, Set<string>>();
    for (const d of matches.flat()) byProject.set(d.projectId, (byProject.get(d.projectId) ?? new Set()).add(d.id));
    for (const [projectId, set] of byProject) {
      const deviceIds = [...set];
      try {
        const task = await startOneOff(req, projectId, {
          name: `${fn} (IEC 61968-9 ${code}${text(control.mRID) ? `, ${text(control.mRID)!.slice(0, 100)}` : ''})`, deviceIds, content: { commands: [{ function: fn }] }, source: 'command', initiator: 'iec',
        });
        const launch = task.launch as { id: string } | null;
        if (msg.header.AsyncReplyFlag && msg.header.ReplyAddress) await watchOutcome(req, msg, String(task.id), code!, text(control.mRID));
        ids.push({ kind: 'uuid', objectType: 'EndDeviceControl', value: String(task.id) });
        created.push({
          mRID: String(task.id), ...(text(control.mRID) ? { issuerTrackingID: text(control.mRID) } : {}),
          EndDeviceControlType: { ref: code }, EndDevices: deviceIds.map((mRID) => ({ mRID })),
          reason: task.approval === 'awaiting' ? 'awaiting a second user\'s approval' : `launched (launch ${launch?.id ?? ''})`,
        });
      } catch (e) {
        if (!(e instanceof RegistryError)) throw e;
        errors.push({ code: e.status === 403 ? CODES.forbidden : CODES.invalidValue, level: 'WARNING', reason: e.message, xpath: here });
      }
    }
  }
  if (!created.length) return { reply: { Result: 'FAILED', Error: errors }, status: errors.every((e) => e.code === CODES.notFound) ? 404 : 400 };
  return {
    reply: { Result: errors.length ? 'PARTIAL' : 'OK', ...(errors.length ? { Error: errors } : {}), ID: ids },
    payload: { EndDeviceControls: { EndDeviceControl: created } }, status: 200,
  };
}

/** An asynchronous request: the control's outcome per device goes to ReplyAddress once known (follow-ups.ts). */
async function watchOutcome(req: FastifyRequest, msg: CimMessage, taskId: string, controlType: string, issuerTrackingId: string | undefined): Promise<void> {
  const { db, box } = req.server.registry;
  const replyTo: ReplyTo = { format: msg.format, edition: msg.edition, wrapper: msg.wrapper, header: msg.header, ...(msg.soap ? { soap: msg.soap } : {}) };
  await db.query(
    `INSERT INTO cim_watches (task_id, kind, url_enc, reply_to, control_type, issuer_tracking_id, created_at) VALUES ($1, 'controls', $2, $3, $4, $5, $6)`,
    [taskId, box.encrypt(msg.header.ReplyAddress!, CIM_REPLY), JSON.stringify(replyTo), controlType, issuerTrackingId ?? null, new Date()],
  );
}
