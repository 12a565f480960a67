-- LTI in an LMS frame (Platform Storage target, new-window handoff), AGS line items, Dynamic Registration.
ALTER TABLE "LtiLaunchState" ADD COLUMN "storageTarget" TEXT;

CREATE TABLE "LtiHandoff" (
    "id" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "LtiHandoff_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "LtiHandoff_createdAt_idx" ON "LtiHandoff"("createdAt");

ALTER TABLE "LtiContext" ADD COLUMN "lineitemsUrl" TEXT;
ALTER TABLE "LtiContext" ADD COLUMN "agsScopes" TEXT[] DEFAULT ARRAY[]::TEXT[];

CREATE TABLE "LtiRegistration" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "issuer" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "deployments" TEXT[],
    "authLoginUrl" TEXT NOT NULL,
    "keySetUrl" TEXT NOT NULL,
    "tokenUrl" TEXT,
    "authAudience" TEXT,
    "configUrl" TEXT NOT NULL,
    "approvedById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "LtiRegistration_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "LtiRegistration_issuer_clientId_key" ON "LtiRegistration"("issuer", "clientId");
