/**
 * Test support for notifications: a real SMTP server (smtp-server) that keeps the messages it receives, a
 * local HTTP server standing for webhook receivers and SMS gateways, and a project with a device.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Db } from '../registry/db.js';
import { createProject, defaultGroupId } from '../registry/project-data.js';

export interface MailServer {
  port: number;
  /** Each message as received: envelope recipients and the raw text (headers and body). */
  messages: { to: string[]; raw: string; user: string | undefined }[];
  close(): Promise<void>;
}

/** An SMTP server on loopback (no TLS) that admits `user`/`password` only and keeps every message. */
export async function startMailServer(user: string, password: string): Promise<MailServer> {
  const messages: MailServer['messages'] = [];
  const server = new SMTPServer({
    authOptional: false, allowInsecureAuth: true, disabledCommands: ['STARTTLS'], logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === password) cb(null, { user });
      else cb(new Error('invalid credentials'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8'), user: session.user as string | undefined });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, messages, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Status codes of the next answers, in order; 200 when empty. */
  answers: number[];
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const answers: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(answers.shift() ?? 200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, answers,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A project (time zone UTC) with one CE308 device in its default group; `num` is the device's number in the data plane. */
export async function projectWithDevice(db: Db, name: string, serialNumber = '1000001'): Promise<{ projectId: string; groupId: string; deviceId: string; num: number }> {
  const project = await createProject(db, { name }, null);
  const projectId = String(project.id);
  const groupId = await defaultGroupId(db, projectId);
  const d = await db.query<{ id: string; num: number }>(
    `INSERT INTO devices (project_id, serial_number, type, group_id) VALUES ($1, $2, 'CE308', $3) RETURNING id, num`, [projectId, serialNumber, groupId],
  );
  return { projectId, groupId, deviceId: d.rows[0]!.id, num: Number(d.rows[0]!.num) };
}
