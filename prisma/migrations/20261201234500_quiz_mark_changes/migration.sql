-- Staff changes to a question's mark or comment on a submitted attempt (append-only audit trail).
CREATE TABLE "QuizMarkChange" (
    "id" UUID NOT NULL,
    "attemptId" UUID NOT NULL,
    "slot" INTEGER NOT NULL,
    "number" INTEGER NOT NULL,
    "byId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "oldMark" DOUBLE PRECISION NOT NULL,
    "newMark" DOUBLE PRECISION NOT NULL,
    "automatic" BOOLEAN NOT NULL DEFAULT false,
    "reason" TEXT,
    "comment" TEXT,
    "reviewRequestId" UUID,
    "formKey" TEXT NOT NULL,

    CONSTRAINT "QuizMarkChange_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "QuizMarkChange_formKey_key" ON "QuizMarkChange"("formKey");

-- CreateIndex
CREATE UNIQUE INDEX "QuizMarkChange_attemptId_slot_number_key" ON "QuizMarkChange"("attemptId", "slot", "number");

-- AddForeignKey
ALTER TABLE "QuizMarkChange" ADD CONSTRAINT "QuizMarkChange_attemptId_slot_fkey" FOREIGN KEY ("attemptId", "slot") REFERENCES "QuizSlot"("attemptId", "slot") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "QuizMarkChange" ADD CONSTRAINT "QuizMarkChange_byId_fkey" FOREIGN KEY ("byId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "QuizMarkChange" ADD CONSTRAINT "QuizMarkChange_reviewRequestId_fkey" FOREIGN KEY ("reviewRequestId") REFERENCES "ReviewRequest"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- A mark is never negative (the upper bound, the question's points, is checked by the app).
ALTER TABLE "QuizMarkChange" ADD CONSTRAINT "QuizMarkChange_marks_nonnegative" CHECK ("oldMark" >= 0 AND "newMark" >= 0);
