-- An answer to a review request stays on a student's to-do list until they have read it (opened
-- the page that shows it), not for a fixed week after it was given.
CREATE TABLE "ReviewAnswerRead" (
    "reviewRequestId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "readAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReviewAnswerRead_pkey" PRIMARY KEY ("reviewRequestId","userId")
);

CREATE INDEX "ReviewAnswerRead_userId_idx" ON "ReviewAnswerRead"("userId");

ALTER TABLE "ReviewAnswerRead" ADD CONSTRAINT "ReviewAnswerRead_reviewRequestId_fkey" FOREIGN KEY ("reviewRequestId") REFERENCES "ReviewRequest"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "ReviewAnswerRead" ADD CONSTRAINT "ReviewAnswerRead_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Answers given more than a week before this migration had already left the to-do lists (the
-- old rule): they count as read by those they concern — the attempt's student, the submission's team.
INSERT INTO "ReviewAnswerRead" ("reviewRequestId", "userId", "readAt")
SELECT r.id, a."userId", now() AT TIME ZONE 'UTC'
FROM "ReviewRequest" r JOIN "QuizAttempt" a ON a.id = r."attemptId"
WHERE r."resolvedAt" IS NOT NULL AND r."resolvedAt" < (now() AT TIME ZONE 'UTC') - interval '7 days'
UNION
SELECT r.id, tm."userId", now() AT TIME ZONE 'UTC'
FROM "ReviewRequest" r JOIN "Submission" s ON s.id = r."submissionId" JOIN "TeamMember" tm ON tm."teamId" = s."teamId"
WHERE r."resolvedAt" IS NOT NULL AND r."resolvedAt" < (now() AT TIME ZONE 'UTC') - interval '7 days';
