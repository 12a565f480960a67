-- Gradebook columns remembered before LMS courses were kept have no LMS course, so their queued
-- scores cannot be sent any more (scores go only to an LMS course's members): say so on the grading
-- view instead of leaving them pending. Opening the link again from the LMS ties the column to its
-- LMS course, and the next grade change is sent.
UPDATE "LtiScoreSync" SET tries = 12,
  "lastError" = 'Not sent: this LMS link was used before this site kept LMS courses. Open it once from the LMS (as anyone in that course) so the next grade change is sent there.'
WHERE "sentAt" IS NULL AND "lineItemId" IN (SELECT id FROM "LtiLineItem" WHERE "contextId" IS NULL);
