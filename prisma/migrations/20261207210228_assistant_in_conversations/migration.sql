-- CreateEnum
CREATE TYPE "MessageStatus" AS ENUM ('STREAMING', 'COMPLETE', 'STOPPED', 'FAILED');

-- AlterEnum
ALTER TYPE "ConversationEventType" ADD VALUE 'MESSAGE_COMPLETED';

-- AlterTable
ALTER TABLE "ChatMessage" ADD COLUMN     "parentId" TEXT,
ADD COLUMN     "parts" JSONB NOT NULL DEFAULT '[]';

-- AlterTable
ALTER TABLE "Conversation" ADD COLUMN     "assistantEnabled" BOOLEAN NOT NULL DEFAULT true;

-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "status" "MessageStatus" NOT NULL DEFAULT 'COMPLETE';

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "bot" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "ChatMessage_parentId_idx" ON "ChatMessage"("parentId");

-- Sessions written before branches: each message follows the one before it.
UPDATE "ChatMessage" m SET "parentId" = p.prev
FROM (SELECT id, lag(id) OVER (PARTITION BY "sessionId" ORDER BY "createdAt", id) AS prev FROM "ChatMessage") p
WHERE p.id = m.id AND p.prev IS NOT NULL;
