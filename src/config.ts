// One schema for the whole environment, parsed once at start-up. A bad value stops the server with a message that
// names every offending variable. `.env.example` lists the same variables with their defaults.
import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || protocols.some((p) => v.startsWith(p)), {
      message: `must start with ${protocols.join(' or ')}`,
    });

/** A fixed-window limit: `max` requests per `windowSeconds`, or null when turned off. */
export type RateLimitSetting = { max: number; windowSeconds: number } | null;
const rateLimit = z
  .string()
  .regex(/^(off|\d{1,6}\/\d{1,6})$/, 'must be "<max>/<seconds>" (e.g. "5/60") or "off"')
  .transform((v): RateLimitSetting => {
    if (v === 'off') return null;
    const [max, windowSeconds] = v.split('/').map(Number);
    return max > 0 && windowSeconds > 0 ? { max, windowSeconds } : null;
  });
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}
/** A comma-separated list ("a, b,c"); empty entries dropped. */
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: int(0, 65535).default(4000),
    HOST: z.string().min(1).default('127.0.0.1'),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: optionalUrl(['postgres://', 'postgresql://']),
    DATABASE_POOL_SIZE: int(1, 200).default(10),
    // PostgreSQL cancels a statement running longer (migrations excepted); on embedded PGlite, where a running
    // statement cannot be stopped, it is the longest one waits for the connection. 0 turns the limit off.
    DATABASE_STATEMENT_TIMEOUT_MS: int(0, 3_600_000).default(5_000),
    REDIS_URL: optionalUrl(['redis://', 'rediss://']),
    REDIS_PREFIX: z
      .string()
      .regex(/^[\w:.-]{0,64}$/, 'must be up to 64 of a-z, 0-9, "_", ":", ".", "-"')
      .default('parley:'),
    REQUIRE_CLIENT_ID: bool.default(false),
    AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    BCRYPT_COST: int(4, 15).default(12),
    /** bcrypt operations at once per process; default: every core on Linux (hashing at nice 19), else cores - 1. */
    BCRYPT_CONCURRENCY: int(1, 64).optional(),
    SESSION_TTL_DAYS: int(1, 365).default(7),
    PUBLIC_URL: z.url().optional(),
    TRUST_PROXY: bool.default(false),
    // Browser apps on other origins that may call Parley with credentials; exact origins (a "*" would open it to all).
    CORS_ORIGINS: list
      .refine((origins) => origins.every(isOrigin), {
        message: 'must be comma-separated origins like https://app.example.com (scheme, host and port; no "*", path or trailing "/")',
      })
      .default([]),
    MAX_BODY_BYTES: int(1024, 50 * 1024 * 1024).default(1024 * 1024),
    GRAPHQL_MAX_DEPTH: int(1, 100).default(12),
    GRAPHQL_MAX_ALIASES: int(0, 1000).default(30),
    GRAPHQL_MAX_TOKENS: int(100, 100_000).default(2_000),
    GRAPHQL_MAX_DIRECTIVES: int(0, 1000).default(20),
    // Estimated rows an HTTP request (every operation of a batch together) may load: page sizes multiply what is under
    // a connection, searches and aggregates cost extra (see src/graphql/cost.ts).
    GRAPHQL_MAX_COST: int(1, 10_000_000).default(5_000),
    // What a subscription may select, in the same estimated rows: its selection runs again for every event. The web
    // client's largest costs 24; a page of 100 messages per event is over.
    GRAPHQL_MAX_EVENT_COST: int(1, 10_000_000).default(100),
    // Operations in one batched (JSON array) HTTP request; 0 turns batching off.
    GRAPHQL_MAX_BATCH: int(0, 100).default(10),
    // Queries and mutations of one client (signed-in user, else address) running at once, HTTP and WebSocket, each
    // operation of a batch counted; over: RATE_LIMITED. 0 turns the limit off.
    GRAPHQL_MAX_INFLIGHT_PER_CLIENT: int(0, 100_000).default(32),
    // node:http timeouts. Headers must arrive within HTTP_HEADERS_TIMEOUT_MS (slow-loris), the whole request body
    // within HTTP_REQUEST_TIMEOUT_MS (408 and close); idle keep-alive sockets close after HTTP_KEEP_ALIVE_TIMEOUT_MS.
    HTTP_HEADERS_TIMEOUT_MS: int(100, 600_000).default(15_000),
    HTTP_REQUEST_TIMEOUT_MS: int(100, 3_600_000).default(30_000),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: int(100, 600_000).default(5_000),
    GRAPHIQL: bool.optional(),
    INTROSPECTION: bool.optional(),
    SHUTDOWN_TIMEOUT_MS: int(0, 120_000).default(10_000),
    // Observability: /metrics (on by default outside production, or whenever METRICS_TOKEN is set, which it then
    // requires as a bearer token) and the threshold from which an operation is logged as slow (0: every one).
    METRICS: bool.optional(),
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    SLOW_OPERATION_MS: int(0, 3_600_000).default(1_000),
    // Auth (see src/auth/). Access tokens are EdDSA JWTs; iss/aud are PUBLIC_URL (or "parley" when unset).
    JWT_TTL_SECONDS: int(1, 86_400).default(900),
    SESSION_SWEEP_SECONDS: int(1, 86_400).default(60),
    SMTP_URL: optionalUrl(['smtp://', 'smtps://']),
    MAIL_FROM: z.string().min(3).default('Parley <no-reply@localhost>'),
    // Rate limits: "<max>/<seconds>" (fixed window) or "off". Shared through Redis when REDIS_URL is set.
    RATE_LIMIT_SIGN_IN_ACCOUNT: rateLimit.prefault('5/60'),
    RATE_LIMIT_SIGN_IN_IP: rateLimit.prefault('30/60'),
    RATE_LIMIT_SIGN_UP_IP: rateLimit.prefault('10/3600'),
    RATE_LIMIT_MAIL_IP: rateLimit.prefault('5/900'),
    // Per user: uploadAttachment calls, whatever they upload; over: RATE_LIMITED.
    RATE_LIMIT_UPLOAD: rateLimit.prefault('60/60'),
    WS_KEEPALIVE_MS: int(100, 60_000).default(12_000),
    // A socket that has not sent connection_init within this time is closed (4408).
    WS_CONNECTION_INIT_TIMEOUT_MS: int(50, 120_000).default(10_000),
    // Per WebSocket connection: operations running at once (over: a TOO_MANY_SUBSCRIPTIONS error for that operation),
    // operations started ("<burst>/<seconds>": the burst at once, then burst/seconds; or "off"; over: close 4429)
    // and the largest message (over: close 1009, "Message Too Big").
    WS_MAX_SUBSCRIPTIONS: int(1, 10_000).default(100),
    WS_OPERATION_RATE_LIMIT: rateLimit.prefault('100/10'),
    WS_MAX_MESSAGE_BYTES: int(1024, 50 * 1024 * 1024).default(256 * 1024),
    // Subscription results go to the socket as frames Parley writes itself, each shared result serialized once
    // (realtime/ws-frames.ts); false sends them through graphql-ws's own per-subscriber path (same bytes, slower).
    WS_DIRECT_FRAMES: bool.default(true),
    // Open WebSockets per signed-in user (counted at connection_init; over: close 4429) and per client address
    // (TRUST_PROXY: the X-Forwarded-For one; counted from the upgrade, so sockets that never send connection_init
    // count too; over: the upgrade is refused with HTTP 429), per instance. 0 turns a cap off.
    WS_MAX_CONNECTIONS_PER_USER: int(0, 1_000_000).default(20),
    WS_MAX_CONNECTIONS_PER_IP: int(0, 1_000_000).default(200),
    // Open subscription streams over SSE per signed-in user and per client address, per instance; over: HTTP 429 with
    // TOO_MANY_CONNECTIONS before the stream starts. 0 turns a cap off.
    SSE_MAX_STREAMS_PER_USER: int(0, 1_000_000).default(20),
    SSE_MAX_STREAMS_PER_IP: int(0, 1_000_000).default(200),
    // How long an instance reuses a tenant's status, and how often it re-checks the tenants of its open connections:
    // the longest a tenant disabled where the event bus does not reach (tenants CLI without Redis) keeps working.
    TENANT_CACHE_MS: int(100, 600_000).default(5_000),
    // Groups with more members than this are large: an event reaches members' inboxes through the group's own topic,
    // which the inboxes of connected members follow, instead of one publish per member (src/messaging/events.ts).
    LARGE_GROUP_MEMBERS: int(2, 10_000).default(256),
    PRESENCE_TTL_SECONDS: int(2, 3600).default(30),
    PRESENCE_GRACE_MS: int(0, 600_000).default(5_000),
    TYPING_TTL_MS: int(100, 600_000).default(6_000),
    TYPING_THROTTLE_MS: int(0, 60_000).default(2_000),
    // Per user: setStatus calls (over: RATE_LIMITED), and per user and conversation, isTyping:true events shown
    // (over: setTyping still answers, but the start is not shown until the window ends). "<max>/<seconds>" or "off".
    PRESENCE_STATUS_RATE_LIMIT: rateLimit.prefault('30/60'),
    TYPING_RATE_LIMIT: rateLimit.prefault('10/10'),
    // Per user: reports filed (reportMessage, reportUser); over: RATE_LIMITED. "<max>/<seconds>" or "off".
    REPORT_RATE_LIMIT: rateLimit.prefault('20/3600'),
    // AI chat: providers (each one is on when its key/URL is set), models, limits and budgets.
    ANTHROPIC_API_KEY: z.string().optional(),
    ANTHROPIC_MODELS: list.default(['claude-sonnet-4-5', 'claude-haiku-4-5']),
    OPENAI_API_KEY: z.string().optional(),
    OPENAI_MODELS: list.default(['gpt-4.1-mini', 'gpt-4.1']),
    OPENAI_BASE_URL: optionalUrl(['http://', 'https://']),
    OPENAI_COMPATIBLE_MODELS: list.default(['llama3.2']),
    CHAT_DEFAULT_MODEL: z.string().optional(),
    /** The model @assistant answers with in conversations (a chatModels id); default: CHAT_DEFAULT_MODEL. */
    CHAT_ASSISTANT_MODEL: z.string().optional(),
    CHAT_SYSTEM_PROMPT: z.string().default('You are a helpful assistant. Answer concisely.'),
    CHAT_ECHO_DELAY_MS: int(0, 10_000).default(40),
    CHAT_CONTEXT_TOKENS: int(100, 2_000_000).default(8_000),
    CHAT_MAX_OUTPUT_TOKENS: int(1, 200_000).default(2_048),
    CHAT_MAX_MESSAGE_CHARS: int(1, 1_000_000).default(32_000),
    CHAT_TIMEOUT_MS: int(1_000, 3_600_000).default(180_000),
    CHAT_CHUNK_TIMEOUT_MS: int(100, 600_000).default(30_000),
    CHAT_USER_DAILY_TOKENS: int(0, Number.MAX_SAFE_INTEGER).default(0),
    CHAT_TENANT_MONTHLY_TOKENS: int(0, Number.MAX_SAFE_INTEGER).default(0),
    CHAT_USER_RATE_LIMIT: int(0, 100_000).default(30),
    CHAT_GUEST_RATE_LIMIT: int(0, 100_000).default(5),
    CHAT_REPLAY_TTL_SECONDS: int(10, 86_400).default(600),
    // AI chat tools (src/assistant/tools/): an answer calls the model at most CHAT_MAX_STEPS times (each step may call
    // tools, whose results go to the next step); a tool call (an MCP server's above all) that has not answered within
    // CHAT_TOOL_TIMEOUT_MS gives the model an error result instead.
    CHAT_MAX_STEPS: int(1, 50).default(5),
    CHAT_TOOL_TIMEOUT_MS: int(100, 600_000).default(15_000),
    // Attachments (src/attachments/): uploadAttachment takes one file of at most MAX_UPLOAD_BYTES (the whole multipart
    // body may be a little larger, see http/graphql-request.ts); a user's files together take at most
    // ATTACHMENT_QUOTA_BYTES (0: no quota). Images over ATTACHMENT_MAX_PIXELS (width x height, every frame) are refused.
    MAX_UPLOAD_BYTES: int(1, 200 * 1024 * 1024).default(25 * 1024 * 1024),
    ATTACHMENT_QUOTA_BYTES: int(0, Number.MAX_SAFE_INTEGER).default(1024 * 1024 * 1024),
    ATTACHMENT_MAX_PIXELS: int(1, 268_402_689).default(50_000_000),
    // Images decoded and re-encoded at once per instance (each holds its pixels in memory), and how many more may wait
    // for a turn; an upload of an image past that is SERVICE_UNAVAILABLE (retryable, reason UPLOADS_BUSY).
    ATTACHMENT_IMAGE_CONCURRENCY: int(1, 64).default(2),
    ATTACHMENT_IMAGE_QUEUE: int(0, 10_000).default(32),
    // Attachment URLs are signed for one viewer and expire after this many seconds.
    ATTACHMENT_URL_TTL_SECONDS: int(1, 7 * 86_400).default(3_600),
    // An upload no message took within ATTACHMENT_UNSENT_TTL_SECONDS is deleted; the sweeper runs every ATTACHMENT_SWEEP_MS.
    ATTACHMENT_UNSENT_TTL_SECONDS: int(1, 30 * 86_400).default(86_400),
    ATTACHMENT_SWEEP_MS: int(50, 86_400_000).default(600_000),
    // Attachment bytes go to DATA_DIR/attachments, or to this S3 bucket when set (S3_ENDPOINT for an S3-compatible
    // service, addressed path-style; credentials from S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY or the AWS SDK's chain).
    S3_BUCKET: z.string().min(3).max(63).optional(),
    S3_ENDPOINT: optionalUrl(['http://', 'https://']),
    S3_REGION: z.string().min(1).default('us-east-1'),
    S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    // S3 calls fail (SERVICE_UNAVAILABLE to clients) when a connection takes longer than S3_CONNECTION_TIMEOUT_MS to
    // open, or S3 has not answered within S3_REQUEST_TIMEOUT_MS; each call is tried at most twice.
    S3_CONNECTION_TIMEOUT_MS: int(100, 600_000).default(5_000),
    S3_REQUEST_TIMEOUT_MS: int(100, 3_600_000).default(30_000),
    // Development: the web client reloads when a file under web/ changes or the server restarts (npm run dev).
    WEB_LIVE_RELOAD: bool.default(false),
  })
  .superRefine((c, ctx) => {
    if (c.NODE_ENV === 'production' && !c.AUTH_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['AUTH_SECRET'], message: 'is required when NODE_ENV=production' });
    }
    if (!!c.S3_ACCESS_KEY_ID !== !!c.S3_SECRET_ACCESS_KEY) {
      ctx.addIssue({ code: 'custom', path: ['S3_SECRET_ACCESS_KEY'], message: 'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together' });
    }
    if (c.HTTP_HEADERS_TIMEOUT_MS > c.HTTP_REQUEST_TIMEOUT_MS) {
      ctx.addIssue({ code: 'custom', path: ['HTTP_HEADERS_TIMEOUT_MS'], message: 'must not be more than HTTP_REQUEST_TIMEOUT_MS' });
    }
  });

export type Config = z.infer<typeof configSchema> & {
  /** Resolved by main(): from AUTH_SECRET, or generated and kept under DATA_DIR on the embedded default. */
  authSecret: string;
  graphiql: boolean;
  introspection: boolean;
  /** /metrics is served (METRICS, else on when METRICS_TOKEN is set or outside production). */
  metrics: boolean;
};

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Parses the environment; throws ConfigError naming every bad variable. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Omit<Config, 'authSecret'> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => {
        const name = String(i.path[0] ?? '?');
        return `${name}=${JSON.stringify(env[name] ?? '')}: ${i.message}`;
      }),
    );
  }
  const c = result.data;
  const dev = c.NODE_ENV !== 'production';
  return { ...c, graphiql: c.GRAPHIQL ?? dev, introspection: c.INTROSPECTION ?? dev, metrics: c.METRICS ?? (dev || !!c.METRICS_TOKEN) };
}
