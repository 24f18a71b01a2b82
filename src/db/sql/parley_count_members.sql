-- Conversation.memberCount follows ConversationMember: one statement-level trigger per insert and per delete adds
-- or takes the rows it changed, per conversation (a createMany of thousands of members is one UPDATE). Deletes by
-- cascade (an account or a conversation removed) count too; a conversation being deleted has no row left to update.
CREATE OR REPLACE FUNCTION parley_count_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE "Conversation" c SET "memberCount" = c."memberCount" + n.count
      FROM (SELECT "conversationId", count(*)::INTEGER AS count FROM parley_added GROUP BY "conversationId") n
     WHERE c.id = n."conversationId";
  ELSE
    UPDATE "Conversation" c SET "memberCount" = c."memberCount" - n.count
      FROM (SELECT "conversationId", count(*)::INTEGER AS count FROM parley_removed GROUP BY "conversationId") n
     WHERE c.id = n."conversationId";
  END IF;
  RETURN NULL;
END
$$;
