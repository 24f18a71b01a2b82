-- The inbox cursor (src/messaging/inbox-cursor.ts): every event row records the id of the transaction that wrote it,
-- so a database snapshot held by a cursor says exactly which events a client already had. Rows written before this
-- migration get the migration's own id: older than any snapshot a cursor can hold.
-- The partial index finds a viewer's own joins and departures (a few rows per membership, none per message).
-- AlterTable
ALTER TABLE "ConversationEvent" ADD COLUMN     "txid" xid8 NOT NULL DEFAULT pg_current_xact_id();

-- CreateIndex
CREATE INDEX "ConversationEvent_userId_conversationId_sequence_idx" ON "ConversationEvent"("userId", "conversationId", "sequence") WHERE (type IN ('MEMBER_JOINED', 'MEMBER_LEFT'));
