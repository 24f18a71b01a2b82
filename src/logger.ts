// One JSON line per event (`level`, `time`, `msg`, then the fields), written by pino. Level from LOG_LEVEL.
// Callers pass only what is safe to log; credentials that slip through anyway (authorization headers, cookies,
// tokens, passwords, at the top level or where headers, bodies and inputs keep them) are written as "[redacted]".
import { pino, type Logger as Pino } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /** Whether lines at this level are written (to skip building ones that would not be). */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean;
}

export const REDACTED = '[redacted]';

/** Field names whose values are credentials (HTTP header names are lower case in Node; the rest are Parley's inputs). */
const CREDENTIAL_FIELDS = [
  'authorization',
  'cookie',
  'set-cookie',
  'token',
  'accessToken',
  'password',
  'currentPassword',
  'newPassword',
  'secret',
];
/**
 * Where credentials would sit in a log entry: the top level, HTTP headers, request bodies, GraphQL inputs and WS
 * connection params. Named paths, not wildcards: pino checks a wildcard against every key of every entry, which made
 * each line about 15 times slower.
 */
const CREDENTIAL_HOLDERS = [
  '',
  'headers',
  'req',
  'req.headers',
  'req.body',
  'request',
  'request.headers',
  'request.body',
  'res.headers',
  'response.headers',
  'body',
  'input',
  'variables',
  'connectionParams',
  'user',
];
const REDACTED_PATHS = CREDENTIAL_HOLDERS.flatMap((holder) => CREDENTIAL_FIELDS.map((field) => `${holder}["${field}"]`));

/**
 * `write` receives each line without its newline (tests collect them); by default lines go to stdout as before.
 */
export function createLogger(level: LogLevel, base: Record<string, unknown> = {}, write?: (line: string) => void): Logger {
  const destination = write ? { write: (line: string) => write(line.endsWith('\n') ? line.slice(0, -1) : line) } : process.stdout;
  const logger = pino(
    {
      level,
      base,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: REDACTED },
      formatters: { level: (label) => ({ level: label }), log: withErrorsAsObjects },
    },
    destination,
  );
  return adapt(logger);
}

function adapt(logger: Pino): Logger {
  // `msg` goes in as the entry's first field (not as pino's message argument, which it writes last), so a line
  // reads level, time, msg, fields as it always has, and tools that match `"msg":"...","url"` keep working.
  const at = (level: Exclude<LogLevel, 'silent'>) => (msg: string, fields?: Record<string, unknown>) => {
    if (logger.isLevelEnabled(level)) logger[level](fields ? { msg, ...fields } : { msg });
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => adapt(logger.child(fields)),
    enabled: (level) => logger.isLevelEnabled(level),
  };
}

/** The fields with each Error among them as `{ name, message, stack }` (JSON would write an Error as `{}`). */
function withErrorsAsObjects(fields: Record<string, unknown>): Record<string, unknown> {
  let out = fields;
  for (const key in fields) {
    const value = fields[key];
    if (!(value instanceof Error)) continue;
    if (out === fields) out = { ...fields };
    out[key] = errorFields(value);
  }
  return out;
}

/** An error's name, message, stack, code when it has one, and its cause (a few levels, for wrapped errors). */
function errorFields(error: Error, depth = 0): Record<string, unknown> {
  const fields: Record<string, unknown> = { name: error.name, message: error.message, stack: error.stack };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') fields.code = code;
  if (error.cause instanceof Error && depth < 3) fields.cause = errorFields(error.cause, depth + 1);
  return fields;
}
