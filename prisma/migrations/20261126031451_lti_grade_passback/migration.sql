-- CreateTable
CREATE TABLE "LtiLineItem" (
    "id" UUID NOT NULL,
    "issuer" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "resourceLinkId" TEXT NOT NULL,
    "lineitem" TEXT NOT NULL,
    "quizId" UUID NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LtiLineItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LtiScoreSync" (
    "lineItemId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "percent" DOUBLE PRECISION NOT NULL,
    "changedAt" TIMESTAMP(3) NOT NULL,
    "sentAt" TIMESTAMP(3),
    "tries" INTEGER NOT NULL DEFAULT 0,
    "nextTryAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastError" TEXT,

    CONSTRAINT "LtiScoreSync_pkey" PRIMARY KEY ("lineItemId","userId")
);

-- CreateIndex
CREATE INDEX "LtiLineItem_quizId_idx" ON "LtiLineItem"("quizId");

-- CreateIndex
CREATE UNIQUE INDEX "LtiLineItem_issuer_clientId_resourceLinkId_key" ON "LtiLineItem"("issuer", "clientId", "resourceLinkId");

-- CreateIndex
CREATE INDEX "LtiScoreSync_sentAt_nextTryAt_idx" ON "LtiScoreSync"("sentAt", "nextTryAt");

-- AddForeignKey
ALTER TABLE "LtiLineItem" ADD CONSTRAINT "LtiLineItem_quizId_fkey" FOREIGN KEY ("quizId") REFERENCES "Quiz"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LtiScoreSync" ADD CONSTRAINT "LtiScoreSync_lineItemId_fkey" FOREIGN KEY ("lineItemId") REFERENCES "LtiLineItem"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LtiScoreSync" ADD CONSTRAINT "LtiScoreSync_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
