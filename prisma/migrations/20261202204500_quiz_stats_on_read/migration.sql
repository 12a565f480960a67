-- Quiz statistics are computed from the attempts when the report is read: the running
-- sums kept at each submit and mark change are dropped (nothing else reads them).
DROP TABLE "QuizVariantStat";
DROP TABLE "QuizQuestionStat";
DROP TABLE "QuizStatTotal";
