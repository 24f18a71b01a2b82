-- AlterTable
ALTER TABLE "ChatSession" ADD COLUMN     "systemPrompt" TEXT;

-- CreateTable
CREATE TABLE "ChatBudget" (
    "tenantId" TEXT NOT NULL,
    "userDailyTokens" INTEGER,
    "tenantMonthlyTokens" INTEGER,
    "updatedById" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ChatBudget_pkey" PRIMARY KEY ("tenantId")
);

-- AddForeignKey
ALTER TABLE "ChatBudget" ADD CONSTRAINT "ChatBudget_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;
