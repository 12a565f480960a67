-- CreateTable
CREATE TABLE "QuizStatTotal" (
    "quizId" UUID NOT NULL,
    "n" INTEGER NOT NULL DEFAULT 0,
    "sumP" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "sumPP" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "nTimed" INTEGER NOT NULL DEFAULT 0,
    "sumSeconds" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "histogram" INTEGER[],

    CONSTRAINT "QuizStatTotal_pkey" PRIMARY KEY ("quizId")
);

-- CreateTable
CREATE TABLE "QuizQuestionStat" (
    "quizId" UUID NOT NULL,
    "questionId" TEXT NOT NULL,
    "n" INTEGER NOT NULL,
    "sumX" DOUBLE PRECISION NOT NULL,
    "sumXX" DOUBLE PRECISION NOT NULL,
    "sumY" DOUBLE PRECISION NOT NULL,
    "sumYY" DOUBLE PRECISION NOT NULL,
    "sumXY" DOUBLE PRECISION NOT NULL,
    "choices" INTEGER[],
    "type" TEXT NOT NULL,
    "textHtml" TEXT NOT NULL,
    "options" TEXT[],

    CONSTRAINT "QuizQuestionStat_pkey" PRIMARY KEY ("quizId","questionId")
);

-- CreateTable
CREATE TABLE "QuizVariantStat" (
    "quizId" UUID NOT NULL,
    "questionId" TEXT NOT NULL,
    "variant" TEXT NOT NULL,
    "n" INTEGER NOT NULL,
    "sumX" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "QuizVariantStat_pkey" PRIMARY KEY ("quizId","questionId","variant")
);

-- AddForeignKey
ALTER TABLE "QuizStatTotal" ADD CONSTRAINT "QuizStatTotal_quizId_fkey" FOREIGN KEY ("quizId") REFERENCES "Quiz"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "QuizQuestionStat" ADD CONSTRAINT "QuizQuestionStat_quizId_fkey" FOREIGN KEY ("quizId") REFERENCES "Quiz"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "QuizVariantStat" ADD CONSTRAINT "QuizVariantStat_quizId_fkey" FOREIGN KEY ("quizId") REFERENCES "Quiz"("id") ON DELETE CASCADE ON UPDATE CASCADE;
