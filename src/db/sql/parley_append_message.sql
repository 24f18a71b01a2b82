-- parley_append_message: a new message and its MESSAGE_ADDED event in one call (appendMessageRow in messages.ts
-- beside this file). The membership check, the conversation's next sequence (the UPDATE's row lock serialises writers
-- per conversation), the message and the event, as one statement. A function rather than one CTE statement because
-- PL/pgSQL keeps its plans for the session: sending is the hottest write, and planning the statement anew each
-- time cost as much as running it (embedded PGlite plans in the server's own process).
-- No row, and nothing written, when the sender is not a member of the conversation in their tenant, or may not post
-- in it (a group whose postPolicy is ADMINS, to a MEMBER: the caller tells the two apart after the fact). The message's
-- time never moves backwards: a writer that read its clock earlier but got the lock later takes the later time.
--
-- A reply names the message it quotes (p_reply_to_id): it is stored only when that message is in the same
-- conversation (the caller has checked it and answers NOT_FOUND otherwise; a message removed since leaves null).
-- A thread reply names its root (p_thread_root_id, a top-level message of the conversation, checked by the caller):
-- the root's replyCount, lastReplyAt and threadParticipantIds move with it. A root deleted meanwhile (without replies)
-- fails the call with SQLSTATE PA410 and writes nothing: a thread reply never lands in the main history instead.
-- Mentions come as usernames (p_mentions, lowercase): those of members other than the sender become the message's
-- mentionedIds, in order of mention, and MessageMention rows.
-- Attachments (p_attachment_ids) become the message's, in order, when every one is the sender's own upload not yet
-- sent; otherwise the call fails with SQLSTATE PA404 and writes nothing (the caller checked them first: this is the
-- race with another send of the same upload).
-- In a DIRECT conversation the other person has not accepted (a message request, or one they declined and left), a
-- sender who has sent p_request_limit messages since it began is refused with SQLSTATE PA429, nothing written: the
-- caller checked it first, and this count, made under the conversation's lock, is the race of sends made at once.
--
-- This file is the function as the latest migration defines it (first: 20261202183000_append_message_function;
-- latest: 20261207181500_request_limit_in_send).
-- The server does not run it: a change is a new migration that copies this file whole, and test/db-sql.test.ts
-- checks that the migrated database's function has this body.
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
