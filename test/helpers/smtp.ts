// A small SMTP server on a free port for tests (Parley's SmtpMailer talks to it through nodemailer). It accepts every
// mail; while held, it receives a message but does not acknowledge it, so a test can see what Parley does while a
// mail is still being sent.
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SmtpMail {
  to: string[];
  /** The message as sent (headers and body, dot-stuffing undone). */
  data: string;
}

export interface TestSmtp {
  url: string;
  /** Acknowledged mails, oldest first. */
  delivered: SmtpMail[];
  /** Messages received but not yet acknowledged (while held). */
  waiting(): number;
  /** From now on, received messages wait for release(). */
  hold(): void;
  /** Acknowledges every waiting message, and later ones at once. */
  release(): void;
  /** The first delivered (or, with `{ held: true }`, received) mail to `to`, waiting (bounded) for it. */
  mailTo(to: string, opts?: { held?: boolean; timeoutMs?: number }): Promise<SmtpMail>;
  stop(): Promise<void>;
}

export async function startSmtp(): Promise<TestSmtp> {
  const delivered: SmtpMail[] = [];
  const received: SmtpMail[] = [];
  const waitingAcks: (() => void)[] = [];
  const listeners = new Set<() => void>();
  const sockets = new Set<Socket>();
  let holding = false;
  const changed = () => listeners.forEach((l) => l());

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.setEncoding('utf8');
    const reply = (line: string) => void socket.write(`${line}\r\n`);
    let buffer = '';
    let mail: SmtpMail = { to: [], data: '' };
    let inData = false;
    let dataLines: string[] = [];

    const acknowledge = (finished: SmtpMail) => {
      delivered.push(finished);
      reply('250 2.0.0 queued');
      changed();
    };

    const command = (line: string) => {
      if (inData) {
        if (line !== '.') return void dataLines.push(line.startsWith('..') ? line.slice(1) : line);
        inData = false;
        const finished = { ...mail, data: dataLines.join('\r\n') };
        mail = { to: [], data: '' };
        received.push(finished);
        if (holding) waitingAcks.push(() => acknowledge(finished));
        else acknowledge(finished);
        return changed();
      }
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'EHLO') return reply('250-parley-test\r\n250 8BITMIME');
      if (verb === 'HELO' || verb === 'RSET' || verb === 'NOOP') return reply('250 OK');
      if (verb === 'MAIL') return reply('250 OK');
      if (verb === 'RCPT') {
        mail.to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
        return reply('250 OK');
      }
      if (verb === 'DATA') {
        inData = true;
        dataLines = [];
        return reply('354 end with <CRLF>.<CRLF>');
      }
      if (verb === 'QUIT') {
        reply('221 bye');
        return void socket.end();
      }
      reply('502 not implemented');
    };

    reply('220 parley-test ESMTP');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let i: number;
      while ((i = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        command(line);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    delivered,
    waiting: () => waitingAcks.length,
    hold: () => void (holding = true),
    release() {
      holding = false;
      for (const ack of waitingAcks.splice(0)) ack();
    },
    mailTo(to, { held = false, timeoutMs = 10_000 } = {}) {
      const find = () => (held ? received : delivered).find((m) => m.to.includes(to));
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = find();
          if (!found) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no mail to ${to} within ${timeoutMs} ms`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The link in a mail's text (the first http(s) URL), with quoted-printable soft line breaks undone. */
export function linkIn(mail: SmtpMail): string {
  const body = mail.data.replace(/=\r\n/g, '').replace(/=3D/g, '=');
  const found = /https?:\/\/\S+/.exec(body.slice(body.indexOf('\r\n\r\n')));
  if (!found) throw new Error(`no link in mail: ${mail.data}`);
  return found[0];
}
