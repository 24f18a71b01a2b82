// Reset and verification links are credentials: in production none is ever logged, with or without SMTP, and the
// start-up warning says where mail goes. In development the outbox logs the link, on a line labelled as such.
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { lastMail, tokenFromLink } from './helpers/auth.ts';
import { createLogger } from '../src/logger.ts';
import { linkIn, startSmtp } from './helpers/smtp.ts';

const PRODUCTION = { NODE_ENV: 'production', AUTH_SECRET: 'production-secret-production-secret-0123' };
let n = 0;
const email = () => `logs${process.pid}x${Date.now()}x${n++}@example.com`;

/** A server whose every log line (debug and up) is kept. */
async function loggedServer(env: Record<string, string>) {
  const lines: string[] = [];
  const server = await startServer(env, { logger: createLogger('debug', {}, (line) => void lines.push(line)) });
  return { server, lines };
}

/** Asks for a reset and a verification mail over GraphQL and REST, and opens the reset link. */
async function mailLinks(s: TestServer, to: string, token: string) {
  await s.ok('mutation($e: String!) { requestPasswordReset(email: $e) }', { e: to });
  await s.ok('mutation { sendVerificationEmail }', {}, { token });
  await fetch(`${s.url}/api/auth/request-password-reset`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: to, redirectTo: '/reset' }),
  });
  await s.services().recovery.idle();
}

describe('mail links in the log', () => {
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('production without SMTP: links go to the OutboxMail table only, never to the log', async () => {
    const { server: s, lines } = await loggedServer(PRODUCTION);
    stops.push(() => s.stop());
    const u = await s.user({ email: email() });
    await mailLinks(s, u.email, u.token);
    const mails = await s.db.prisma.outboxMail.findMany({ where: { to: u.email } });
    expect(mails).toHaveLength(3);
    const hop = await fetch(mails[0].link!, { redirect: 'manual' });
    expect(hop.status).toBe(302);
    const log = lines.join('\n');
    for (const mail of mails) {
      expect(log).not.toContain(tokenFromLink(mail.link));
      expect(log).not.toContain(encodeURIComponent(tokenFromLink(mail.link)));
    }
    expect(log).toContain('mail stored in the OutboxMail table');
    const warning = lines.map((l) => JSON.parse(l)).find((l) => l.level === 'warn' && /SMTP_URL/.test(l.msg));
    expect(warning?.msg).toBe('SMTP_URL is not set: mail is not sent, only stored in the OutboxMail table (links in it are not logged)');
  });

  it('production with SMTP: the links reach the mail server and nothing of them the log', async () => {
    const smtp = await startSmtp();
    const { server: s, lines } = await loggedServer({ ...PRODUCTION, SMTP_URL: smtp.url });
    stops.push(
      () => smtp.stop(),
      () => s.stop(),
    );
    const u = await s.user({ email: email() });
    await mailLinks(s, u.email, u.token);
    expect(smtp.delivered.filter((m) => m.to.includes(u.email))).toHaveLength(3);
    const log = lines.join('\n');
    for (const mail of smtp.delivered) expect(log).not.toContain(tokenFromLink(linkIn(mail)));
    expect(log).not.toMatch(/SMTP_URL is not set/);
  });

  it('development: the outbox logs the link on a line that says it is for development only', async () => {
    const { server: s, lines } = await loggedServer({ NODE_ENV: 'development' });
    stops.push(() => s.stop());
    const u = await s.user({ email: email() });
    const before = new Date();
    await s.ok('mutation($e: String!) { requestPasswordReset(email: $e) }', { e: u.email });
    const mail = await lastMail(s, u.email, before);
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.link === mail.link);
    expect(logged?.msg).toMatch(/^development only/);
  });
});
