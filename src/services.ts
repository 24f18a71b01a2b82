// The services an app instance runs with. Built once per app by buildApp(); resolvers and REST routes reach them
// through the context.
import type { PrismaClient } from './generated/prisma/client.ts';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import type { Logger } from './logger.ts';
import type { ParleyPubSub } from './realtime/pubsub.ts';
import type { Redis } from 'ioredis';
import { AccountService } from './accounts/accounts.service.ts';
import { PasswordHasher } from './accounts/password-hasher.ts';
import { TenantService } from './accounts/tenants.ts';
import { LiveConnections } from './realtime/connections.ts';
import { Privacy } from './accounts/privacy.ts';
import { BlockService } from './accounts/blocks.service.ts';
import { RecoveryService } from './accounts/recovery.service.ts';
import { Authenticator } from './auth/authenticator.ts';
import { SessionCache } from './auth/session-cache.ts';
import { TrustedOrigins } from './auth/trusted.ts';
import { SigningKeys } from './auth/signing-keys.ts';
import { createMailer, type Mailer } from './mail/mailer.ts';
import { RateLimiter, createMemoryStore, createRedisStore } from './ratelimit/rate-limiter.ts';
import { createMessaging, type Messaging } from './messaging/messaging.service.ts';
import { RequestLoaders } from './messaging/loaders.ts';
import { EventTopics } from './messaging/event-topics.ts';
import { KeyedFanout } from './realtime/fanout.ts';
import { randomUUID } from 'node:crypto';
import { PresenceService } from './presence/presence.service.ts';
import { MemoryPresenceStore } from './presence/store.ts';
import { RedisPresenceStore } from './presence/redis-store.ts';
import { TypingService } from './presence/typing.service.ts';
import { MemoryTypingStore, RedisTypingStore } from './presence/typing-store.ts';
import { AssistantService } from './assistant/assistant.service.ts';
import { ConversationReplies } from './assistant/conversation-replies.ts';
import { AssistantUsers } from './assistant/assistant-users.ts';
import { Metrics } from './observability/metrics.ts';
import { AttachmentService } from './attachments/attachments.service.ts';
import { AttachmentUrls } from './attachments/signed-urls.ts';
import { createStorage } from './attachments/storage.ts';
import { AuditLog } from './moderation/audit-log.ts';
import { ContentFilters } from './moderation/filters.service.ts';
import { createModeration, type Moderation } from './moderation/moderation.ts';

export interface Services {
  config: Config;
  db: Database;
  prisma: PrismaClient;
  logger: Logger;
  pubsub: ParleyPubSub;
  /** Shared state across instances (rate limits, presence, replay buffers); null when REDIS_URL is unset. */
  redis: Redis | null;
  tenants: TenantService;
  /** This instance's WebSockets and subscription streams, by tenant, user and session (closed when access ends). */
  connections: LiveConnections;
  accounts: AccountService;
  privacy: Privacy;
  /** Who blocks whom (blockUser); each feature applies what a block does. */
  blocks: BlockService;
  recovery: RecoveryService;
  /** bcrypt on worker threads, BCRYPT_CONCURRENCY at once (closed by app.stop()). */
  passwords: PasswordHasher;
  /** Turns credentials (session token, JWT, cookie) into a viewer; issues access tokens. */
  auth: Authenticator;
  signingKeys: SigningKeys;
  mailer: Mailer;
  limiter: RateLimiter;
  /** Base URL for links and cookies: PUBLIC_URL, or the URL this instance listens on. */
  publicUrl(): string;
  /** Parley's own origin and CORS_ORIGINS: who may send the session cookie, where redirects may go. */
  trustedOrigins: TrustedOrigins;
  messaging: Messaging;
  /** Each request context's DataLoaders (per-request batching of unread counts, last messages, read receipts). */
  loaders: RequestLoaders;
  /** The conversation and inbox topics conversationEvents streams follow, and the rows of their events. */
  eventTopics: EventTopics;
  /** Each user's ended sessions, for their sessionsEnded streams (one bus listener for all of them). */
  sessionEnds: KeyedFanout<'sessions:revoked'>;
  /** This process's id among instances (presence connection sets are kept per instance). */
  instanceId: string;
  presence: PresenceService;
  typing: TypingService;
  assistant: AssistantService;
  /** @assistant in conversations: answers to mentions, streamed as messages (assistant/conversation-replies.ts). */
  replies: ConversationReplies;
  /** Message attachments: uploads, their storage (DATA_DIR or S3), signed URLs and the sweeper (stopped by app.stop()). */
  attachments: AttachmentService;
  /** Prometheus counters and gauges of this instance (served at /metrics). */
  metrics: Metrics;
  /** Reports, moderators' actions, tenant roles, the audit log and content filters (filters closed by app.stop()). */
  moderation: Moderation;
}

export function createServices(deps: {
  config: Config;
  db: Database;
  logger: Logger;
  pubsub: ParleyPubSub;
  redis: Redis | null;
  /** The listening URL, known once the server has started. */
  listenUrl: () => string;
  metrics?: Metrics;
}): Services {
  const { config, db, logger, pubsub } = deps;
  const prisma = db.prisma;
  const publicUrl = () => config.PUBLIC_URL ?? deps.listenUrl();
  const limiter = new RateLimiter(deps.redis ? createRedisStore(deps.redis, config.REDIS_PREFIX, logger) : createMemoryStore(), {
    signInAccount: config.RATE_LIMIT_SIGN_IN_ACCOUNT,
    signInIp: config.RATE_LIMIT_SIGN_IN_IP,
    signUpIp: config.RATE_LIMIT_SIGN_UP_IP,
    mailIp: config.RATE_LIMIT_MAIL_IP,
    chatUser: config.CHAT_USER_RATE_LIMIT ? { max: config.CHAT_USER_RATE_LIMIT, windowSeconds: 60 } : null,
    chatGuestIp: config.CHAT_GUEST_RATE_LIMIT ? { max: config.CHAT_GUEST_RATE_LIMIT, windowSeconds: 60 } : null,
    setStatus: config.PRESENCE_STATUS_RATE_LIMIT,
    report: config.REPORT_RATE_LIMIT,
    upload: config.RATE_LIMIT_UPLOAD,
  });
  const audit = new AuditLog(prisma);
  const filters = new ContentFilters({ prisma, pubsub, logger, audit });
  const passwords = new PasswordHasher({ cost: config.BCRYPT_COST, concurrency: config.BCRYPT_CONCURRENCY });
  const sessionCache = new SessionCache();
  const attachments = new AttachmentService({
    prisma,
    storage: createStorage(config),
    urls: new AttachmentUrls(config.authSecret, config.ATTACHMENT_URL_TTL_SECONDS),
    logger,
    publicUrl,
    limits: {
      maxUploadBytes: config.MAX_UPLOAD_BYTES,
      quotaBytes: config.ATTACHMENT_QUOTA_BYTES,
      maxPixels: config.ATTACHMENT_MAX_PIXELS,
      unsentTtlMs: config.ATTACHMENT_UNSENT_TTL_SECONDS * 1000,
      sweepMs: config.ATTACHMENT_SWEEP_MS,
      imageConcurrency: config.ATTACHMENT_IMAGE_CONCURRENCY,
      imageQueue: config.ATTACHMENT_IMAGE_QUEUE,
    },
    limiter,
  });
  const accounts = new AccountService({
    prisma,
    pubsub,
    passwords,
    sessionTtlDays: config.SESSION_TTL_DAYS,
    limiter,
    sessionCache,
    accountFiles: attachments,
    textFilter: filters,
  });
  const mailer = createMailer({
    smtpUrl: config.SMTP_URL,
    from: config.MAIL_FROM,
    prisma,
    logger,
    production: config.NODE_ENV === 'production',
  });
  const signingKeys = new SigningKeys(prisma, config.authSecret, config.JWT_TTL_SECONDS * 1000, logger);
  const { listenUrl: _listenUrl, ...shared } = deps;
  const typing = new TypingService({
    prisma,
    pubsub: deps.pubsub,
    logger: deps.logger,
    store: deps.redis ? new RedisTypingStore(deps.redis, config.REDIS_PREFIX) : new MemoryTypingStore(),
    ttlMs: config.TYPING_TTL_MS,
    throttleMs: config.TYPING_THROTTLE_MS,
    startLimit: config.TYPING_RATE_LIMIT,
  });
  const instanceId = randomUUID();
  const privacy = new Privacy(prisma, (user) => accounts.userChanged(user));
  const metrics = deps.metrics ?? new Metrics();
  const messaging = createMessaging(
    prisma,
    db.query,
    deps.pubsub,
    (tenantId, conversationId, senderId, message) => {
      typing.endTyping(tenantId, conversationId, senderId).catch((error) => logger.warn('could not end typing', { error }));
      replies.heard(message);
    },
    attachments,
    (error) => logger.error('conversationSettingsChanged listener failed', { error }),
    filters,
    config.LARGE_GROUP_MEMBERS,
  );
  const assistant = new AssistantService({
    config,
    prisma,
    pubsub: deps.pubsub,
    redis: deps.redis,
    logger: deps.logger,
    limiter,
    metrics,
    messaging,
    attachments,
  });
  // @assistant in conversations: answers to mentions, whose text so far readers of a streaming message get.
  const replies = new ConversationReplies({
    prisma,
    config,
    logger,
    limiter,
    messaging,
    users: new AssistantUsers(prisma),
    runs: assistant.runs,
    models: assistant.models,
    budgets: assistant.budgets,
    tools: assistant.tools,
  });
  messaging.streaming.useSource(replies);
  return {
    ...shared,
    metrics,
    prisma,
    tenants: new TenantService(prisma, { pubsub, cacheMs: config.TENANT_CACHE_MS }),
    connections: new LiveConnections(),
    accounts,
    privacy,
    blocks: new BlockService(prisma),
    recovery: new RecoveryService({ prisma, accounts, mailer, limiter, passwords, publicUrl, logger }),
    passwords,
    auth: new Authenticator({
      prisma,
      accounts,
      keys: signingKeys,
      cache: sessionCache,
      pubsub,
      logger,
      secret: config.authSecret,
      issuer: config.PUBLIC_URL ?? 'parley',
      accessTokenTtlSeconds: config.JWT_TTL_SECONDS,
      sessionTtlDays: config.SESSION_TTL_DAYS,
    }),
    signingKeys,
    mailer,
    limiter,
    publicUrl,
    trustedOrigins: new TrustedOrigins(config.CORS_ORIGINS, publicUrl),
    loaders: new RequestLoaders(),
    messaging,
    eventTopics: new EventTopics(
      pubsub,
      prisma,
      (error) => logger.error('conversation event delivery failed', { error }),
      config.LARGE_GROUP_MEMBERS,
    ),
    sessionEnds: new KeyedFanout(
      pubsub,
      'sessions:revoked',
      (e) => e.userId,
      (error) => logger.error('sessionsEnded listener failed', { error }),
    ),
    instanceId,
    presence: new PresenceService({
      prisma,
      pubsub: deps.pubsub,
      logger: deps.logger,
      store: deps.redis
        ? new RedisPresenceStore(deps.redis, config.REDIS_PREFIX, instanceId, config.PRESENCE_TTL_SECONDS, deps.logger)
        : new MemoryPresenceStore(),
      graceMs: config.PRESENCE_GRACE_MS,
      contacts: privacy,
      limiter,
      userChanged: (user) => accounts.userChanged(user),
      textFilter: filters,
    }),
    typing,
    assistant,
    replies,
    attachments,
    moderation: createModeration({ prisma, pubsub, limiter, accounts, messages: messaging.messages, audit, filters }),
  };
}
