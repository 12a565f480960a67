-- LMS courses bound to courses here (approved by an instructor or an administrator), the people
-- launched from each, and gradebook columns tied to the LMS course they were launched from.
CREATE TABLE "LtiContext" (
    "id" UUID NOT NULL,
    "issuer" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "deploymentId" TEXT NOT NULL,
    "contextId" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "courseId" UUID,
    "approvedById" UUID,
    "approvedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "LtiContext_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "LtiContext_issuer_clientId_deploymentId_contextId_key" ON "LtiContext"("issuer", "clientId", "deploymentId", "contextId");
ALTER TABLE "LtiContext" ADD CONSTRAINT "LtiContext_courseId_fkey" FOREIGN KEY ("courseId") REFERENCES "Course"("id") ON DELETE SET NULL ON UPDATE CASCADE;

CREATE TABLE "LtiContextMember" (
    "contextId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "sub" TEXT NOT NULL,
    "seenAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "LtiContextMember_pkey" PRIMARY KEY ("contextId", "userId")
);
CREATE INDEX "LtiContextMember_userId_idx" ON "LtiContextMember"("userId");
ALTER TABLE "LtiContextMember" ADD CONSTRAINT "LtiContextMember_contextId_fkey" FOREIGN KEY ("contextId") REFERENCES "LtiContext"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "LtiContextMember" ADD CONSTRAINT "LtiContextMember_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "LtiLineItem" ADD COLUMN "contextId" UUID;
ALTER TABLE "LtiLineItem" ADD CONSTRAINT "LtiLineItem_contextId_fkey" FOREIGN KEY ("contextId") REFERENCES "LtiContext"("id") ON DELETE CASCADE ON UPDATE CASCADE;
