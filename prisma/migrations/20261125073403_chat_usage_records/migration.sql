-- CreateTable
CREATE TABLE "ChatUsageRecord" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "userId" TEXT,
    "messageId" TEXT,
    "model" TEXT NOT NULL,
    "inputTokens" INTEGER NOT NULL,
    "outputTokens" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ChatUsageRecord_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ChatUsageRecord_userId_createdAt_idx" ON "ChatUsageRecord"("userId", "createdAt");

-- CreateIndex
CREATE INDEX "ChatUsageRecord_tenantId_createdAt_idx" ON "ChatUsageRecord"("tenantId", "createdAt");
