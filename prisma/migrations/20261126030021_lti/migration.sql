-- CreateTable
CREATE TABLE "LtiIdentity" (
    "issuer" TEXT NOT NULL,
    "sub" TEXT NOT NULL,
    "userId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LtiIdentity_pkey" PRIMARY KEY ("issuer","sub")
);

-- CreateTable
CREATE TABLE "LtiLaunchState" (
    "state" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LtiLaunchState_pkey" PRIMARY KEY ("state")
);

-- CreateIndex
CREATE INDEX "LtiIdentity_userId_idx" ON "LtiIdentity"("userId");

-- CreateIndex
CREATE INDEX "LtiLaunchState_createdAt_idx" ON "LtiLaunchState"("createdAt");

-- AddForeignKey
ALTER TABLE "LtiIdentity" ADD CONSTRAINT "LtiIdentity_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
