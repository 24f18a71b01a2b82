-- Conversation.memberCount, counted once from the members there are, then kept by statement-level triggers on
-- ConversationMember (src/db/sql/parley_count_members.sql is the function's definition).
ALTER TABLE "Conversation" ADD COLUMN     "memberCount" INTEGER NOT NULL DEFAULT 0;

UPDATE "Conversation" c SET "memberCount" = n.count
  FROM (SELECT "conversationId", count(*)::INTEGER AS count FROM "ConversationMember" GROUP BY "conversationId") n
 WHERE c.id = n."conversationId";

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

CREATE TRIGGER parley_members_added AFTER INSERT ON "ConversationMember"
  REFERENCING NEW TABLE AS parley_added FOR EACH STATEMENT EXECUTE FUNCTION parley_count_members();
CREATE TRIGGER parley_members_removed AFTER DELETE ON "ConversationMember"
  REFERENCING OLD TABLE AS parley_removed FOR EACH STATEMENT EXECUTE FUNCTION parley_count_members();
