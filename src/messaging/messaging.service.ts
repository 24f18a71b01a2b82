// The messaging services as one unit for createServices(); each part owns one concern.
import { StreamingMessages } from './streaming-messages.ts';
import type { Message, PrismaClient } from '../generated/prisma/client.ts';
import type { SqlQuery } from '../db/client.ts';
import type { ParleyPubSub } from '../realtime/pubsub.ts';
import { ConversationService } from './conversations.service.ts';
import { MessagePublisher } from './message-publisher.ts';
import { ConversationSettingsService } from './conversation-settings.service.ts';
import { MentionService } from './mentions.service.ts';
import { MessageService, type MessageAttachments } from './messages.service.ts';
import { GroupService } from './groups.service.ts';
import { InviteService } from './invites.service.ts';
import { PinService } from './pins.service.ts';
import { ReactionService } from './reactions.service.ts';
import { ReadStateService } from './read-state.service.ts';
import { SearchService } from './search.service.ts';
import { RequestService } from './requests.service.ts';
import { InvitationService } from './invitations.service.ts';
import { BlockService } from '../accounts/blocks.service.ts';
import type { TextFilter } from '../text-rules.ts';

export interface Messaging {
  conversations: ConversationService;
  /** Each member's own settings of their conversations, and their conversation list. */
  settings: ConversationSettingsService;
  messages: MessageService;
  /** The viewer's mentions: unread counts and the list across conversations. */
  mentions: MentionService;
  /** Managing groups: roles, settings, public groups, joining. */
  groups: GroupService;
  /** Groups' invite links. */
  invites: InviteService;
  /** Messages pinned in their conversation. */
  pins: PinService;
  reactions: ReactionService;
  reads: ReadStateService;
  search: SearchService;
  /** Message requests: DIRECT conversations the viewer has not accepted. */
  requests: RequestService;
  /** Invitations to groups, for adds the invitee's privacy settings did not allow. */
  invitations: InvitationService;
  /** Messages written while they stream (the assistant's answers): MESSAGE_DELTA, then MESSAGE_COMPLETED. */
  streaming: StreamingMessages;
}

export function createMessaging(
  prisma: PrismaClient,
  sql: SqlQuery,
  pubsub: ParleyPubSub,
  onSent?: (tenantId: string, conversationId: string, senderId: string, message: Message) => void,
  /** The attachment store (AttachmentService); without one, messages take no attachments. */
  attachments?: MessageAttachments,
  /** Told when a live listener (a settings stream) fails. */
  onListenerError: (err: unknown) => void = () => {},
  /** The tenants' content filters (moderation's ContentFilters), applied to message content and group titles. */
  filter?: TextFilter,
  /** LARGE_GROUP_MEMBERS: groups with more members reach their members' inboxes through their own topic. */
  largeGroupMembers = 256,
): Messaging {
  const publisher = new MessagePublisher(prisma, pubsub, largeGroupMembers);
  const conversations = new ConversationService(prisma, publisher, filter);
  const groups = new GroupService(prisma, conversations);
  const requests = new RequestService(prisma, conversations, new BlockService(prisma));
  const messages = new MessageService(prisma, sql, publisher, conversations, onSent, attachments, filter, requests);
  return {
    conversations,
    settings: new ConversationSettingsService(prisma, conversations, pubsub, onListenerError),
    messages,
    mentions: new MentionService(prisma),
    groups,
    invites: new InviteService(prisma, conversations, groups),
    pins: new PinService(prisma, messages),
    reactions: new ReactionService(prisma, messages),
    reads: new ReadStateService(prisma, publisher, conversations),
    search: new SearchService(prisma),
    requests,
    invitations: new InvitationService(prisma, conversations),
    streaming: new StreamingMessages(prisma, sql, publisher),
  };
}
