/**
 * The three ways a notification leaves the HES: email over the SMTP server of the mail settings, a signed
 * JSON webhook, and an SMS through an HTTP gateway described by a template. Each send either resolves
 * (delivered: the server accepted it) or throws with a reason that is recorded on the notification.
 */
import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import { endDeviceEventsMessage } from '../schemas/cim/end-device-event-types.js';

/** What one notification says: built once when it is recorded, so a replay sends the same. */
export interface NotificationPayload {
  id: string;
  type: 'device.event';
  project: { id: string; name: string };
  rule: { id: string; name: string };
  device: { id: string; serialNumber: string; type: string };
  event: { journal: string; code: number; name: string; severity: string | null; time: string; params: unknown };
}

/** The SMTP settings as stored (email_settings), the password decrypted. */
export interface SmtpSettings {
  senderEmail: string;
  senderName: string;
  smtpHost: string;
  smtpPort: number;
  security: 'auto' | 'none' | 'ssl' | 'starttls';
  username: string;
  password: string | null;
}

/** Seconds a gateway or webhook receiver has to answer. */
const HTTP_TIMEOUT_MS = 10_000;

export function subjectOf(p: NotificationPayload): string {
  const severity = p.event.severity ? `${p.event.severity.toUpperCase()} ` : '';
  return `[HES] ${severity}${p.event.name} (code ${p.event.code}) on ${p.device.type} ${p.device.serialNumber}`;
}

export function textOf(p: NotificationPayload): string {
  return [
    `${p.event.name} (code ${p.event.code}${p.event.severity ? `, ${p.event.severity}` : ''}) in the ${p.event.journal} journal`,
    `Device: ${p.device.type} ${p.device.serialNumber} (${p.device.id})`,
    `Project: ${p.project.name}`,
    `Event time: ${p.event.time}`,
    `Rule: ${p.rule.name}`,
  ].join('\n') + '\n';
}

export async function sendEmail(smtp: SmtpSettings, recipients: readonly string[], p: NotificationPayload): Promise<void> {
  if (!smtp.smtpHost) throw new Error('no SMTP server is configured (PUT /api/v1/email-settings)');
  const transport = nodemailer.createTransport({
    host: smtp.smtpHost,
    port: smtp.smtpPort,
    secure: smtp.security === 'ssl' || (smtp.security === 'auto' && smtp.smtpPort === 465),
    requireTLS: smtp.security === 'starttls',
    ignoreTLS: smtp.security === 'none',
    ...(smtp.username ? { auth: { user: smtp.username, pass: smtp.password ?? '' } } : {}),
    connectionTimeout: HTTP_TIMEOUT_MS,
  });
  try {
    await transport.sendMail({
      from: smtp.senderName ? { name: smtp.senderName, address: smtp.senderEmail } : smtp.senderEmail,
      to: [...recipients], subject: subjectOf(p), text: textOf(p),
    });
  } finally {
    transport.close();
  }
}

export const SIGNATURE_HEADER = 'x-hes-signature';
export const TIMESTAMP_HEADER = 'x-hes-timestamp';

/** HMAC-SHA256 over "<timestamp>.<body>" with the rule's secret, hex: what SIGNATURE_HEADER carries as "sha256=<hex>". */
export function signature(secret: string, timestampSec: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex');
}

/** Where a request went, for records and errors: origin and path, never credentials or the query (an API key may sit there). */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.origin + u.pathname;
  } catch {
    return 'an invalid URL';
  }
}

async function post(url: string, init: RequestInit): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  } catch (e) {
    // fetch's own messages may quote the URL: name only what failed.
    const why = e instanceof Error && e.name === 'TimeoutError' ? `no answer in ${HTTP_TIMEOUT_MS / 1000} s` : (e as { cause?: { code?: string } }).cause?.code ?? 'request failed';
    throw new Error(`${why} from ${shownUrl(url)}`);
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status} from ${shownUrl(url)}`);
}

export async function sendWebhook(url: string, secret: string, p: NotificationPayload, nowMs: number): Promise<void> {
  await postSigned(url, secret, JSON.stringify(p), p.id, nowMs);
}

/** A JSON body POSTed with the timestamp and HMAC signature headers of the webhooks. */
async function postSigned(url: string, secret: string, body: string, deliveryId: string, nowMs: number): Promise<void> {
  const ts = Math.floor(nowMs / 1000);
  await post(url, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: `sha256=${signature(secret, ts, body)}`, 'x-hes-delivery': deliveryId },
  });
}

/** An MDM's subscription (a rule of channel `cim`): the event as EndDeviceEvents, signed like a webhook. */
export async function sendCimEvent(url: string, secret: string, p: NotificationPayload, nowMs: number): Promise<void> {
  await postSigned(url, secret, JSON.stringify(endDeviceEventsMessage({ id: `hes-notification-${p.id}`, device: { mRID: p.device.id, serialNumber: p.device.serialNumber }, event: p.event }, nowMs)), p.id, nowMs);
}

/** The asynchronous reply of a CIM request, already rendered in the request's format, to its ReplyAddress. */
export async function sendCimReply(url: string, contentType: string, body: string): Promise<void> {
  await post(url, { method: 'POST', body, headers: { 'content-type': contentType } });
}

/** An HTTP SMS gateway: placeholders {to}, {message}, {secret}, {device}, {code}, {severity}, {time} in url, headers and body. */
export interface SmsGateway {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body: string;
}

export const SMS_PLACEHOLDERS = ['to', 'message', 'secret', 'device', 'code', 'severity', 'time'] as const;

export function smsText(p: NotificationPayload): string {
  return `${p.event.severity ? `${p.event.severity.toUpperCase()}: ` : ''}${p.event.name} (${p.event.code}) on ${p.device.serialNumber} at ${p.event.time}`;
}

/**
 * Fills a template. Values are escaped for where they land: percent-encoded in the URL and in a form body,
 * JSON-string-escaped in a JSON body (the template supplies the quotes), as they are in headers.
 */
export function fillTemplate(template: string, values: Record<string, string>, escape: (v: string) => string): string {
  return template.replace(/\{([a-z]+)\}/g, (all, name: string) => (name in values ? escape(values[name]!) : all));
}

export async function sendSms(gateway: SmsGateway, secret: string | null, to: string, p: NotificationPayload): Promise<void> {
  const values = {
    to, message: smsText(p), secret: secret ?? '', device: p.device.serialNumber, code: String(p.event.code), severity: p.event.severity ?? '', time: p.event.time,
  };
  const contentType = Object.entries(gateway.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  const bodyEscape = contentType.includes('json') ? (v: string) => JSON.stringify(v).slice(1, -1) : contentType.includes('form') ? encodeURIComponent : (v: string) => v;
  const headers = Object.fromEntries(Object.entries(gateway.headers).map(([k, v]) => [k, fillTemplate(v, values, (x) => x)]));
  await post(fillTemplate(gateway.url, values, encodeURIComponent), {
    method: gateway.method, headers, ...(gateway.method === 'POST' ? { body: fillTemplate(gateway.body, values, bodyEscape) } : {}),
  });
}
