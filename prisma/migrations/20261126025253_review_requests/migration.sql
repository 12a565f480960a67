-- CreateTable
CREATE TABLE "ReviewRequest" (
    "id" UUID NOT NULL,
    "courseId" UUID NOT NULL,
    "attemptId" UUID,
    "submissionId" UUID,
    "askedById" UUID NOT NULL,
    "message" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolvedAt" TIMESTAMP(3),
    "resolvedById" UUID,
    "response" TEXT,

    CONSTRAINT "ReviewRequest_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ReviewRequest_courseId_resolvedAt_idx" ON "ReviewRequest"("courseId", "resolvedAt");

-- CreateIndex
CREATE INDEX "ReviewRequest_attemptId_idx" ON "ReviewRequest"("attemptId");

-- CreateIndex
CREATE INDEX "ReviewRequest_submissionId_idx" ON "ReviewRequest"("submissionId");

-- AddForeignKey
ALTER TABLE "ReviewRequest" ADD CONSTRAINT "ReviewRequest_courseId_fkey" FOREIGN KEY ("courseId") REFERENCES "Course"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReviewRequest" ADD CONSTRAINT "ReviewRequest_attemptId_fkey" FOREIGN KEY ("attemptId") REFERENCES "QuizAttempt"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReviewRequest" ADD CONSTRAINT "ReviewRequest_submissionId_fkey" FOREIGN KEY ("submissionId") REFERENCES "Submission"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReviewRequest" ADD CONSTRAINT "ReviewRequest_askedById_fkey" FOREIGN KEY ("askedById") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReviewRequest" ADD CONSTRAINT "ReviewRequest_resolvedById_fkey" FOREIGN KEY ("resolvedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Exactly one thing is asked about (Prisma keeps check constraints it does not model).
ALTER TABLE "ReviewRequest" ADD CONSTRAINT "ReviewRequest_one_target" CHECK (("attemptId" IS NULL) <> ("submissionId" IS NULL));
