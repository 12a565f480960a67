-- Refused uploads are recorded (without their file) and count, with failed runs, against a
-- per-team daily budget, and uploads in flight hold a place in it (UploadSlot).
ALTER TABLE "Submission" ADD COLUMN "refused" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Submission" ADD COLUMN "fileRemovedAt" TIMESTAMP(3);

CREATE TABLE "UploadSlot" (
    "id" UUID NOT NULL,
    "caseStudyId" UUID NOT NULL,
    "teamId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "UploadSlot_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "UploadSlot_caseStudyId_teamId_idx" ON "UploadSlot"("caseStudyId", "teamId");
