-- AlterTable: relative dates in content files count from a course's start.
ALTER TABLE "Course" ADD COLUMN     "startsAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
UPDATE "Course" SET "startsAt" = "createdAt";
