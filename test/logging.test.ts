// The log: one JSON line per entry (level, time, msg, fields), levels from LOG_LEVEL, errors with their stack, and
// credentials written as "[redacted]" wherever a caller lets one through.
import { describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../src/logger.ts';
import { startServer } from './helpers/server.ts';

/** A logger at `level` and the lines it wrote, raw and parsed. */
function captured(level: LogLevel, base: Record<string, unknown> = {}) {
  const raw: string[] = [];
  const logger = createLogger(level, base, (line) => void raw.push(line));
  return { logger, raw, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('log lines', () => {
  it('are one JSON object per line with level, ISO time, msg and the fields', () => {
    const { logger, raw, lines } = captured('info', { service: 'parley' });
    logger.info('operation', { requestId: 'r1', ms: 1.5, codes: ['NOT_FOUND'] });
    expect(raw).toHaveLength(1);
    expect(raw[0]).not.toContain('\n');
    const [line] = lines();
    const fields = { service: 'parley', requestId: 'r1', ms: 1.5, codes: ['NOT_FOUND'] };
    expect(line).toEqual({ level: 'info', time: line.time, msg: 'operation', ...fields });
    expect(raw[0]).toMatch(/^\{"level":"info","time":"[^"]+","service":"parley","msg":"operation","requestId":"r1",/);
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
  });

  it('keep printf-like text in messages as it is', () => {
    const { logger, lines } = captured('info');
    logger.warn('100% of %s and %d');
    expect(lines()[0]).toMatchObject({ level: 'warn', msg: '100% of %s and %d' });
  });

  it('follow LOG_LEVEL: lower levels are skipped and silent writes nothing', () => {
    const warn = captured('warn');
    warn.logger.debug('d');
    warn.logger.info('i');
    warn.logger.warn('w');
    warn.logger.error('e');
    expect(warn.lines().map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'w'],
      ['error', 'e'],
    ]);
    expect([warn.logger.enabled('info'), warn.logger.enabled('warn')]).toEqual([false, true]);

    const debug = captured('debug');
    debug.logger.debug('d');
    expect(debug.lines()[0]).toMatchObject({ level: 'debug', msg: 'd' });

    const silent = captured('silent');
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      silent.logger[level]('nothing');
      expect(silent.logger.enabled(level)).toBe(false);
    }
    expect(silent.raw).toEqual([]);
  });

  it('write errors with name, message, stack, code and cause under the key they were given', () => {
    const { logger, lines } = captured('error');
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    logger.error('unexpected error', { error: new TypeError('boom', { cause }), attempt: 2 });
    const line = lines()[0] as { error: Record<string, unknown>; attempt: number };
    expect(line.attempt).toBe(2);
    expect(line.error).toMatchObject({ name: 'TypeError', message: 'boom' });
    expect(line.error.stack).toMatch(/^TypeError: boom\n\s+at /);
    expect(line.error.cause).toMatchObject({ name: 'Error', message: cause.message, code: 'ECONNREFUSED' });
  });

  it('child loggers add their fields to every line', () => {
    const { logger, lines } = captured('info', { service: 'parley' });
    logger.child({ socket: 's1' }).info('ws connected', { user: 'u1' });
    expect(lines()[0]).toMatchObject({ service: 'parley', socket: 's1', user: 'u1', msg: 'ws connected' });
  });
});

describe('redaction', () => {
  const SECRETS = {
    authorization: 'Bearer secret-authorization',
    cookie: 'parley_session=secret-cookie',
    token: 'secret-token',
    password: 'secret-password',
  };

  it('writes "[redacted]" for credentials at the top level, under headers and under req.headers', () => {
    const { logger, raw, lines } = captured('debug');
    const fields = {
      ...SECRETS,
      user: 'u1',
      headers: { ...SECRETS, 'set-cookie': ['parley_session=secret-set-cookie'], 'user-agent': 'curl/8' },
      req: { method: 'POST', headers: { ...SECRETS }, body: { password: 'secret-body-password', newPassword: 'secret-new-password' } },
      input: { email: 'a@example.com', password: 'secret-input-password', token: 'secret-reset-token' },
    };
    logger.info('request', fields);

    const line = lines()[0] as Record<string, Record<string, unknown>>;
    const redacted = { authorization: '[redacted]', cookie: '[redacted]', token: '[redacted]', password: '[redacted]' };
    expect(line).toMatchObject({ ...redacted, user: 'u1' });
    expect(line.headers).toEqual({ ...redacted, 'set-cookie': '[redacted]', 'user-agent': 'curl/8' });
    expect(line.req).toEqual({ method: 'POST', headers: redacted, body: { password: '[redacted]', newPassword: '[redacted]' } });
    expect(line.input).toEqual({ email: 'a@example.com', password: '[redacted]', token: '[redacted]' });
    expect(raw[0]).not.toMatch(/secret-/);
    // the caller's object is left as it was
    expect(fields.headers.authorization).toBe(SECRETS.authorization);
  });

  it('applies to child logger fields and to every level', () => {
    const { logger, raw } = captured('debug');
    const child = logger.child({ connectionParams: { token: 'secret-child-token' } });
    for (const level of ['debug', 'info', 'warn', 'error'] as const) child[level]('entry', { headers: { cookie: 'secret-cookie' } });
    expect(raw).toHaveLength(4);
    for (const line of raw) {
      expect(line).not.toMatch(/secret-/);
      expect(JSON.parse(line)).toMatchObject({ connectionParams: { token: '[redacted]' }, headers: { cookie: '[redacted]' } });
    }
  });

  it("keeps a server's own log free of the bearer tokens and passwords it is sent", async () => {
    const { logger, raw } = captured('debug');
    const s = await startServer({}, { logger });
    try {
      const user = await s.user({ password: 'secret-signup-password' });
      await s.ok('{ me { id } }', {}, { token: user.token });
      await s.gql('mutation { startDirectConversation(userId: "nobody") { id } }', {}, { token: user.token });
      expect(raw.length).toBeGreaterThan(0);
      const log = raw.join('\n');
      expect(log).not.toContain(user.token);
      expect(log).not.toContain('secret-signup-password');
    } finally {
      await s.stop();
    }
  });
});
