-- parley_append_message refuses a MEMBER's message to a group whose postPolicy is ADMINS (an announcement group), in
-- the same statement as the membership check, and fails (PA410) rather than write a thread reply whose root was
-- deleted meanwhile into the main history (src/db/sql/parley_append_message.sql is its definition).
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
     AND EXISTS (SELECT 1 FROM "ConversationMember" WHERE "conversationId" = p_conversation_id AND "userId" = p_sender_id
                   AND ("Conversation"."postPolicy" = 'EVERYONE' OR role <> 'MEMBER'))
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
