-- parley_append_message: a new message and its MESSAGE_ADDED event in one call (appendMessageRow in messages.ts
-- beside this file). The membership check, the conversation's next sequence (the UPDATE's row lock serialises writers
-- per conversation), the message and the event, as one statement. A function rather than one CTE statement because
-- PL/pgSQL keeps its plans for the session: sending is the hottest write, and planning the statement anew each
-- time cost as much as running it (embedded PGlite plans in the server's own process).
-- No row, and nothing written, when the sender is not a member of the conversation in their tenant. The message's
-- time never moves backwards: a writer that read its clock earlier but got the lock later takes the later time.
--
-- A reply names the message it quotes (p_reply_to_id): it is stored only when that message is in the same
-- conversation (the caller has checked it and answers NOT_FOUND otherwise; a message removed since leaves null).
--
-- This file is the function as the latest migration defines it (first: 20261202183000_append_message_function;
-- latest: 20261207105840_message_reply_to).
-- The server does not run it: a change is a new migration that copies this file whole, and test/db-sql.test.ts
-- checks that the migrated database's function has this body.
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
