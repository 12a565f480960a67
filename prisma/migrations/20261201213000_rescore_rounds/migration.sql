-- A staff member may rescore one submission even when it already has a result under the
-- case study's current holdout and rule: each such rescore starts a new round, and a result
-- is unique per (submission, holdout version, round). Earlier results stay as history.
ALTER TABLE "Submission" ADD COLUMN "scoringRound" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "SubmissionResult" ADD COLUMN "round" INTEGER NOT NULL DEFAULT 0;
DROP INDEX "SubmissionResult_submissionId_holdoutVersion_key";
CREATE UNIQUE INDEX "SubmissionResult_submissionId_holdoutVersion_round_key" ON "SubmissionResult"("submissionId", "holdoutVersion", "round");
