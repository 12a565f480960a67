-- A student's "flag for review" mark on a question of their attempt (navigation only: grading ignores it).
ALTER TABLE "QuizSlot" ADD COLUMN "flagged" BOOLEAN NOT NULL DEFAULT false;
