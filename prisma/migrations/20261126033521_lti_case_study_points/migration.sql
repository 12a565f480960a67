-- AlterTable
ALTER TABLE "LtiLineItem" ADD COLUMN     "caseStudyId" UUID,
ALTER COLUMN "quizId" DROP NOT NULL;

-- CreateIndex
CREATE INDEX "LtiLineItem_caseStudyId_idx" ON "LtiLineItem"("caseStudyId");

-- AddForeignKey
ALTER TABLE "LtiLineItem" ADD CONSTRAINT "LtiLineItem_caseStudyId_fkey" FOREIGN KEY ("caseStudyId") REFERENCES "CaseStudy"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A column follows one quiz or one case study (Prisma keeps check constraints it does not model).
ALTER TABLE "LtiLineItem" ADD CONSTRAINT "LtiLineItem_one_target" CHECK (("quizId" IS NULL) <> ("caseStudyId" IS NULL));
