-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "lastReplyAt" TIMESTAMP(3),
ADD COLUMN     "mentionedIds" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "replyCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "threadParticipantIds" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "threadRootId" TEXT;

-- CreateTable
CREATE TABLE "MessageMention" (
    "messageId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MessageMention_pkey" PRIMARY KEY ("messageId","userId")
);

-- CreateTable
CREATE TABLE "Attachment" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "uploaderId" TEXT NOT NULL,
    "messageId" TEXT,
    "position" INTEGER NOT NULL DEFAULT 0,
    "name" TEXT NOT NULL,
    "contentType" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "width" INTEGER,
    "height" INTEGER,
    "storageKey" TEXT NOT NULL,
    "thumbnailKey" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attachedAt" TIMESTAMP(3),

    CONSTRAINT "Attachment_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "MessageMention_userId_createdAt_idx" ON "MessageMention"("userId", "createdAt");

-- CreateIndex
CREATE INDEX "MessageMention_conversationId_userId_sequence_idx" ON "MessageMention"("conversationId", "userId", "sequence");

-- CreateIndex
CREATE INDEX "Attachment_messageId_position_idx" ON "Attachment"("messageId", "position");

-- CreateIndex
CREATE INDEX "Attachment_uploaderId_createdAt_idx" ON "Attachment"("uploaderId", "createdAt");

-- CreateIndex
CREATE INDEX "Attachment_attachedAt_createdAt_idx" ON "Attachment"("attachedAt", "createdAt");

-- CreateIndex
CREATE INDEX "Message_threadRootId_sequence_idx" ON "Message"("threadRootId", "sequence");

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_threadRootId_fkey" FOREIGN KEY ("threadRootId") REFERENCES "Message"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MessageMention" ADD CONSTRAINT "MessageMention_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MessageMention" ADD CONSTRAINT "MessageMention_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Attachment" ADD CONSTRAINT "Attachment_uploaderId_fkey" FOREIGN KEY ("uploaderId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Attachment" ADD CONSTRAINT "Attachment_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- parley_append_message takes a thread root, the mentioned usernames and the attachments
-- (src/db/sql/parley_append_message.sql is its definition): the old signature goes, the new one is that file's function.
DROP FUNCTION parley_append_message(TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TIMESTAMP(3), TEXT);
CREATE OR REPLACE FUNCTION parley_append_message(
  p_message_id TEXT, p_event_id TEXT, p_tenant_id TEXT, p_conversation_id TEXT, p_sender_id TEXT,
  p_content TEXT, p_client_message_id TEXT, p_now TIMESTAMP(3), p_reply_to_id TEXT,
  p_thread_root_id TEXT, p_mentions TEXT[], p_attachment_ids TEXT[]
) RETURNS SETOF "Message" LANGUAGE plpgsql AS $$
DECLARE
  v_sequence INTEGER;
  v_at TIMESTAMP(3);
  v_root TEXT;
  v_mentioned TEXT[] := '{}';
  v_attached INTEGER;
BEGIN
  UPDATE "Conversation"
     SET "lastSequence" = "lastSequence" + 1, "updatedAt" = now(),
         "lastMessageAt" = GREATEST(COALESCE("lastMessageAt", p_now), p_now)
   WHERE id = p_conversation_id AND "tenantId" = p_tenant_id
     AND EXISTS (SELECT 1 FROM "ConversationMember" WHERE "conversationId" = p_conversation_id AND "userId" = p_sender_id)
  RETURNING "lastSequence", "lastMessageAt" INTO v_sequence, v_at;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF cardinality(p_mentions) > 0 THEN
    SELECT COALESCE(array_agg(u.id ORDER BY array_position(p_mentions, u.username)), '{}') INTO v_mentioned
      FROM "User" u JOIN "ConversationMember" cm ON cm."userId" = u.id AND cm."conversationId" = p_conversation_id
     WHERE u."tenantId" = p_tenant_id AND u.username = ANY(p_mentions) AND u.id <> p_sender_id;
  END IF;
  IF p_thread_root_id IS NOT NULL THEN
    UPDATE "Message"
       SET "replyCount" = "replyCount" + 1, "lastReplyAt" = v_at,
           "threadParticipantIds" = CASE WHEN p_sender_id = ANY("threadParticipantIds") THEN "threadParticipantIds"
                                         ELSE array_append("threadParticipantIds", p_sender_id) END
     WHERE id = p_thread_root_id AND "conversationId" = p_conversation_id AND "threadRootId" IS NULL
    RETURNING id INTO v_root;
  END IF;
  RETURN QUERY
    INSERT INTO "Message" (id, "tenantId", "conversationId", "senderId", sequence, content, "clientMessageId", "createdAt",
                           "replyToId", "threadRootId", "mentionedIds")
    VALUES (p_message_id, p_tenant_id, p_conversation_id, p_sender_id, v_sequence, p_content, p_client_message_id, v_at,
            (SELECT id FROM "Message" WHERE id = p_reply_to_id AND "conversationId" = p_conversation_id), v_root, v_mentioned)
    RETURNING *;
  INSERT INTO "ConversationEvent" (id, "conversationId", sequence, type, "messageId", "userId", "createdAt")
  VALUES (p_event_id, p_conversation_id, v_sequence, 'MESSAGE_ADDED', p_message_id, p_sender_id, v_at);
  IF cardinality(v_mentioned) > 0 THEN
    INSERT INTO "MessageMention" ("messageId", "userId", "conversationId", sequence, "createdAt")
    SELECT p_message_id, unnest(v_mentioned), p_conversation_id, v_sequence, v_at;
  END IF;
  IF cardinality(p_attachment_ids) > 0 THEN
    UPDATE "Attachment"
       SET "messageId" = p_message_id, "attachedAt" = v_at, position = array_position(p_attachment_ids, id) - 1
     WHERE id = ANY(p_attachment_ids) AND "uploaderId" = p_sender_id AND "tenantId" = p_tenant_id
       AND "messageId" IS NULL AND "attachedAt" IS NULL;
    GET DIAGNOSTICS v_attached = ROW_COUNT;
    IF v_attached <> cardinality(p_attachment_ids) THEN
      RAISE EXCEPTION 'an attachment is not an upload of the sender waiting to be sent' USING ERRCODE = 'PA404';
    END IF;
  END IF;
END
$$;
