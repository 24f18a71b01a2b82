// Each tenant's content filter (setContentFilter): saved by an admin, compiled once per instance and kept in a bounded
// cache, dropped on every instance when it changes (bus topic filters:changed), and applied to message content,
// display names, group titles and status text through apply(): REJECT refuses the text (CONTENT_BLOCKED naming its
// field), MASK stores it with each match as asterisks, FLAG stores it as written and files a report with no reporter.
import { LRUCache } from 'lru-cache';
import type { ContentFilter, ContentFilterAction, PrismaClient } from '../generated/prisma/client.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import type { TextFilter, TextScope } from '../text-rules.ts';
import { checkPatterns, compile, firstMatch, mask, type CompiledFilter } from './filter-patterns.ts';
import type { AuditLog } from './audit-log.ts';

/** Tenants whose compiled filter (or its absence) an instance remembers; least recently used go first. */
export const MAX_FILTERS_CACHED = 1_000;
/** A backstop for a lost filters:changed event (a Redis outage): a cached filter is read again after this. */
const FILTER_CACHE_MS = 60_000;

/** Format characters (zero-width space and joiners, soft hyphen, bidi marks...): nothing a reader sees. */
const INVISIBLE = /\p{Cf}/gu;

interface Cached {
  action: ContentFilterAction;
  compiled: CompiledFilter;
}

export class ContentFilters implements TextFilter {
  /** Compiled filters by tenant; `none` for a tenant without one, so unfiltered tenants cost one read per ttl. */
  private readonly cache = new LRUCache<string, Cached | 'none'>({ max: MAX_FILTERS_CACHED, ttl: FILTER_CACHE_MS });
  /** Bumped by every invalidation: a read that raced one does not cache what it read (see SessionCache). */
  private generation = 0;
  private readonly changes: AsyncIterableIterator<{ tenantId: string }>;

  constructor(private readonly deps: { prisma: PrismaClient; pubsub: ParleyPubSub; logger: Logger; audit: AuditLog }) {
    const changes = deps.pubsub.subscribe('filters:changed');
    this.changes = changes;
    void (async () => {
      for await (const e of changes) this.forget(e.tenantId);
    })().catch((error) => deps.logger.error('content filter listener failed', { error }));
  }

  /** Stops listening for changes (app.stop()). */
  async close() {
    await this.changes.return?.();
  }

  get(tenantId: string): Promise<ContentFilter | null> {
    return this.deps.prisma.contentFilter.findUnique({ where: { tenantId } });
  }

  /** Saves a tenant's filter (an empty list turns it off). The caller has checked the actor is an admin. */
  async set(actor: { tenantId: string; userId: string }, rawPatterns: string[], action: ContentFilterAction): Promise<ContentFilter> {
    const patterns = checkPatterns(rawPatterns);
    const data = { patterns, action, updatedById: actor.userId };
    const saved = await this.deps.prisma.contentFilter.upsert({
      where: { tenantId: actor.tenantId },
      create: { tenantId: actor.tenantId, ...data },
      update: data,
    });
    this.forget(actor.tenantId);
    this.deps.pubsub.publish('filters:changed', { tenantId: actor.tenantId });
    await this.deps.audit.record({
      tenantId: actor.tenantId,
      actorId: actor.userId,
      action: 'SET_CONTENT_FILTER',
      note: `${action}, ${patterns.length} pattern(s)`,
    });
    return saved;
  }

  async apply(scope: TextScope, text: string, field: string): Promise<string> {
    if (!text) return text;
    const filter = await this.compiled(scope.tenantId);
    if (!filter) return text;
    // Invisible characters inside a word (a zero-width space) and compatibility forms (fullwidth letters) are the
    // cheapest ways around a word list: the text is also matched with them folded away, and a match there counts.
    const folded = text.normalize('NFKC').replace(INVISIBLE, '');
    const subject = folded !== text && firstMatch(filter.compiled, folded) !== null ? folded : text;
    const matched = firstMatch(filter.compiled, subject);
    if (matched === null) return text;
    if (filter.action === 'REJECT')
      throw new AppError('CONTENT_BLOCKED', "This text is not allowed by the organisation's content filter.", { field });
    if (filter.action === 'MASK') return mask(filter.compiled, subject);
    await this.deps.prisma.report.create({
      data: {
        tenantId: scope.tenantId,
        reporterId: null,
        targetUserId: scope.userId,
        conversationId: scope.conversationId ?? null,
        messageId: scope.messageId ?? null,
        reason: 'OTHER',
        note: `Content filter: ${field} matched ${matched}`,
        snapshot: { kind: 'FILTER', field, content: text, conversationId: scope.conversationId ?? null },
      },
    });
    return text;
  }

  private forget(tenantId: string) {
    this.generation++;
    this.cache.delete(tenantId);
  }

  private async compiled(tenantId: string): Promise<Cached | null> {
    const known = this.cache.get(tenantId);
    if (known !== undefined) return known === 'none' ? null : known;
    const epoch = this.generation;
    const row = await this.get(tenantId);
    const entry: Cached | 'none' = row && row.patterns.length ? { action: row.action, compiled: compile(row.patterns) } : 'none';
    if (epoch === this.generation) this.cache.set(tenantId, entry);
    return entry === 'none' ? null : entry;
  }
}
