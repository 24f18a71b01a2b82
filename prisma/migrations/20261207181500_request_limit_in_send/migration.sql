-- parley_append_message refuses (PA429) a send past the message request limit, counted under the conversation's lock,
-- so sends made at once cannot pass it together (src/db/sql/parley_append_message.sql is its definition). It takes the
-- limit as a new last argument, so the old function goes first.
DROP FUNCTION parley_append_message(TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TIMESTAMP(3), TEXT, TEXT, TEXT[], TEXT[]);

CREATE OR REPLACE FUNCTION parley_append_message(
  p_message_id TEXT, p_event_id TEXT, p_tenant_id TEXT, p_conversation_id TEXT, p_sender_id TEXT,
  p_content TEXT, p_client_message_id TEXT, p_now TIMESTAMP(3), p_reply_to_id TEXT,
  p_thread_root_id TEXT, p_mentions TEXT[], p_attachment_ids TEXT[], p_request_limit INTEGER
) RETURNS SETOF "Message" LANGUAGE plpgsql AS $$
DECLARE
  v_sequence INTEGER;
  v_at TIMESTAMP(3);
  v_root TEXT;
  v_mentioned TEXT[] := '{}';
  v_attached INTEGER;
  v_kind TEXT;
  v_sent INTEGER;
BEGIN
  UPDATE "Conversation"
     SET "lastSequence" = "lastSequence" + 1, "updatedAt" = now(),
         "lastMessageAt" = GREATEST(COALESCE("lastMessageAt", p_now), p_now)
   WHERE id = p_conversation_id AND "tenantId" = p_tenant_id
     AND EXISTS (SELECT 1 FROM "ConversationMember" WHERE "conversationId" = p_conversation_id AND "userId" = p_sender_id
                   AND ("Conversation"."postPolicy" = 'EVERYONE' OR role <> 'MEMBER'))
  RETURNING "lastSequence", "lastMessageAt", kind INTO v_sequence, v_at, v_kind;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF v_kind = 'DIRECT' THEN
    SELECT count(m.id) INTO v_sent
      FROM "Conversation" c
      LEFT JOIN "ConversationMember" o ON o."conversationId" = c.id AND o."userId" <> p_sender_id
      JOIN "Message" m ON m."conversationId" = c.id AND m."senderId" = p_sender_id
                      AND m."createdAt" >= COALESCE(o."requestedAt", c."createdAt")
     WHERE c.id = p_conversation_id AND (o."userId" IS NULL OR o."requestedAt" IS NOT NULL);
    IF v_sent >= p_request_limit THEN
      RAISE EXCEPTION 'the message request limit is reached' USING ERRCODE = 'PA429';
    END IF;
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
       AND ("deletedAt" IS NULL OR "replyCount" > 0)
    RETURNING id INTO v_root;
    IF v_root IS NULL THEN
      RAISE EXCEPTION 'the thread root was deleted meanwhile' USING ERRCODE = 'PA410';
    END IF;
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
