-- The LMS roster service (Names and Role Provisioning) of each connected LMS course, and its last sync.
ALTER TABLE "LtiContext" ADD COLUMN "membershipsUrl" TEXT;
ALTER TABLE "LtiContext" ADD COLUMN "rosterSyncedAt" TIMESTAMP(3);
ALTER TABLE "LtiContext" ADD COLUMN "rosterSummary" TEXT;
