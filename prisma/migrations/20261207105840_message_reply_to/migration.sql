-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "replyToId" TEXT;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_replyToId_fkey" FOREIGN KEY ("replyToId") REFERENCES "Message"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- parley_append_message takes the quoted message of a reply (src/db/sql/parley_append_message.sql is its
-- definition): the old signature goes, the new one is that file's function.
DROP FUNCTION parley_append_message(TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TIMESTAMP(3));
CREATE OR REPLACE FUNCTION parley_append_message(
  p_message_id TEXT, p_event_id TEXT, p_tenant_id TEXT, p_conversation_id TEXT, p_sender_id TEXT,
  p_content TEXT, p_client_message_id TEXT, p_now TIMESTAMP(3), p_reply_to_id TEXT
) RETURNS SETOF "Message" LANGUAGE plpgsql AS $$
DECLARE
  v_sequence INTEGER;
  v_at TIMESTAMP(3);
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
  RETURN QUERY
    INSERT INTO "Message" (id, "tenantId", "conversationId", "senderId", sequence, content, "clientMessageId", "createdAt", "replyToId")
    VALUES (p_message_id, p_tenant_id, p_conversation_id, p_sender_id, v_sequence, p_content, p_client_message_id, v_at,
            (SELECT id FROM "Message" WHERE id = p_reply_to_id AND "conversationId" = p_conversation_id))
    RETURNING *;
  INSERT INTO "ConversationEvent" (id, "conversationId", sequence, type, "messageId", "userId", "createdAt")
  VALUES (p_event_id, p_conversation_id, v_sequence, 'MESSAGE_ADDED', p_message_id, p_sender_id, v_at);
END
$$;
