// The quiz statistics' running sums in PostgreSQL: each submit adds its attempt in the
// transaction that grades it, and a grader's mark change swaps the attempt's share in
// the transaction that changes it; the report reads the sums plus the two ordered
// figures (median, discriminative efficiency), which one SQL statement computes from
// score columns alone. Sums that disagree with the attempts (attempts written around
// `submit`, e.g. imported, or deleted with their student) are rebuilt from the attempts.
import { Prisma, type Db } from "../platform/db/prisma.js";
import type { SlotQuestion } from "./questions.js";
import { addSums, addVariant, attemptSums, changedAttemptSums, emptySums, statsFromSums, WRONG_ANSWERS_SHOWN, type QuizStats, type StatAttempt, type StatSums } from "./quiz.stats.js";

type Tx = Prisma.TransactionClient;

/** A submitted attempt as statistics see it: item scores, the options picked (by file position), the time taken. */
export function statAttemptOf(a: {
  score: number | null; maxScore: number; startedAt: Date; submittedAt: Date | null;
  slots: { questionId: string; variant: string; question: unknown; response: unknown; score: number | null }[];
}): StatAttempt {
  return {
    score: a.score ?? 0, maxScore: a.maxScore,
    seconds: a.submittedAt ? (a.submittedAt.getTime() - a.startedAt.getTime()) / 1000 : null,
    slots: a.slots.map((s) => {
      const q = s.question as SlotQuestion;
      const r = (s.response ?? {}) as { choice?: string; choices?: string[] };
      const picked = r.choice ? [r.choice] : (r.choices ?? []);
      const options = q.choices ? [...q.choices].sort((x, y) => (x.orig ?? 0) - (y.orig ?? 0)) : undefined;
      return {
        questionId: s.questionId, variant: s.variant, points: q.points, score: s.score ?? 0, type: q.type, textHtml: q.textHtml,
        options: options?.map((o) => o.html.replace(/<[^>]+>/g, "")),
        chosen: q.choices ? q.choices.filter((c) => picked.includes(c.key)).map((c) => c.orig ?? 0) : undefined,
      };
    }),
  };
}

/** Element-wise sum of two int[] columns (lengths may differ). */
const addIntArrays = (a: Prisma.Sql, b: Prisma.Sql) =>
  Prisma.sql`ARRAY(SELECT COALESCE(u.a, 0) + COALESCE(u.b, 0) FROM unnest(${a}, ${b}) WITH ORDINALITY AS u(a, b, i) ORDER BY u.i)`;

/** Adds sums to the quiz's stored ones. Locks the quiz's total row first, so writers and a rebuild take turns. */
async function addToStore(tx: Tx, quizId: string, s: StatSums): Promise<void> {
  const t = s.total;
  await tx.$executeRaw`
    INSERT INTO "QuizStatTotal" AS t ("quizId", n, "sumP", "sumPP", "nTimed", "sumSeconds", histogram)
    VALUES (${quizId}::uuid, ${t.n}, ${t.sumP}, ${t.sumPP}, ${t.nTimed}, ${t.sumSeconds}, ${t.histogram}::int[])
    ON CONFLICT ("quizId") DO UPDATE SET n = t.n + EXCLUDED.n, "sumP" = t."sumP" + EXCLUDED."sumP", "sumPP" = t."sumPP" + EXCLUDED."sumPP",
      "nTimed" = t."nTimed" + EXCLUDED."nTimed", "sumSeconds" = t."sumSeconds" + EXCLUDED."sumSeconds",
      histogram = ${addIntArrays(Prisma.sql`t.histogram`, Prisma.sql`EXCLUDED.histogram`)}`;
  if (s.items.size) {
    const rows = [...s.items.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, it]) => Prisma.sql`(
      ${quizId}::uuid, ${id}, ${it.n}::int, ${it.sumX}::float8, ${it.sumXX}::float8, ${it.sumY}::float8, ${it.sumYY}::float8, ${it.sumXY}::float8,
      ${it.choices}::int[], ${it.type}, ${it.textHtml}, ${it.options}::text[])`);
    await tx.$executeRaw`
      INSERT INTO "QuizQuestionStat" AS q ("quizId", "questionId", n, "sumX", "sumXX", "sumY", "sumYY", "sumXY", choices, type, "textHtml", options)
      VALUES ${Prisma.join(rows)}
      ON CONFLICT ("quizId", "questionId") DO UPDATE SET n = q.n + EXCLUDED.n, "sumX" = q."sumX" + EXCLUDED."sumX", "sumXX" = q."sumXX" + EXCLUDED."sumXX",
        "sumY" = q."sumY" + EXCLUDED."sumY", "sumYY" = q."sumYY" + EXCLUDED."sumYY", "sumXY" = q."sumXY" + EXCLUDED."sumXY",
        choices = ${addIntArrays(Prisma.sql`q.choices`, Prisma.sql`EXCLUDED.choices`)},
        type = EXCLUDED.type, "textHtml" = EXCLUDED."textHtml", options = EXCLUDED.options`;
  }
  const variants = [...s.variants.entries()].flatMap(([id, m]) => [...m.entries()].map(([v, x]) => ({ id, v, ...x }))).sort((a, b) => a.id.localeCompare(b.id) || a.v.localeCompare(b.v));
  if (variants.length) {
    await tx.$executeRaw`
      INSERT INTO "QuizVariantStat" AS v ("quizId", "questionId", variant, n, "sumX")
      VALUES ${Prisma.join(variants.map((r) => Prisma.sql`(${quizId}::uuid, ${r.id}, ${r.v}, ${r.n}::int, ${r.sumX}::float8)`))}
      ON CONFLICT ("quizId", "questionId", variant) DO UPDATE SET n = v.n + EXCLUDED.n, "sumX" = v."sumX" + EXCLUDED."sumX"`;
  }
}

/** Adds one just-graded attempt to the statistics; called inside the transaction that submits it. */
export function recordAttempt(tx: Tx, quizId: string, attempt: StatAttempt): Promise<void> {
  return addToStore(tx, quizId, attemptSums(attempt));
}

/** Replaces a graded attempt's share of the statistics after a mark changed; inside the transaction that changes it. */
export function recordMarkChange(tx: Tx, quizId: string, before: StatAttempt, after: StatAttempt): Promise<void> {
  return addToStore(tx, quizId, changedAttemptSums(before, after));
}

const submittedAttempts = (db: Db | Tx, quizId: string) => db.quizAttempt.findMany({
  where: { quizId, status: "SUBMITTED" },
  select: { score: true, maxScore: true, startedAt: true, submittedAt: true, slots: { select: { questionId: true, variant: true, question: true, response: true, score: true } } },
});

/** Recomputes the sums from every submitted attempt (submits wait on the total row meanwhile). */
export async function rebuildQuizStats(db: Db, quizId: string): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.$executeRaw`INSERT INTO "QuizStatTotal" ("quizId", histogram) VALUES (${quizId}::uuid, '{}') ON CONFLICT DO NOTHING`;
    await tx.$executeRaw`UPDATE "QuizStatTotal" SET n = 0, "sumP" = 0, "sumPP" = 0, "nTimed" = 0, "sumSeconds" = 0, histogram = '{}' WHERE "quizId" = ${quizId}::uuid`;
    await tx.quizQuestionStat.deleteMany({ where: { quizId } });
    await tx.quizVariantStat.deleteMany({ where: { quizId } });
    const attempts = await submittedAttempts(tx, quizId);
    const sums = emptySums();
    for (const a of attempts) addSums(sums, attemptSums(statAttemptOf(a)));
    await addToStore(tx, quizId, sums);
  }, { timeout: 60_000 });
}

/**
 * The quiz's stored totals, rebuilt first when they disagree with the attempts, and
 * the attempts' median percent (which sums cannot give).
 */
async function currentTotals(db: Db, quizId: string) {
  // The attempts' count, percent sum and median, and the stored sums, in one snapshot.
  const [c] = await db.$queryRaw<{ n: number; sumP: number; median: number | null; storedN: number | null; storedSumP: number | null }[]>`
    SELECT a.n, a."sumP", a.median, t.n AS "storedN", t."sumP" AS "storedSumP"
    FROM (SELECT count(*)::int AS n,
                 COALESCE(sum(p), 0)::float8 AS "sumP",
                 percentile_cont(0.5) WITHIN GROUP (ORDER BY p)::float8 AS median
          FROM (SELECT CASE WHEN "maxScore" > 0 THEN COALESCE(score, 0) / "maxScore" * 100 ELSE 0 END AS p
                FROM "QuizAttempt" WHERE "quizId" = ${quizId}::uuid AND status = 'SUBMITTED') x) a
    LEFT JOIN "QuizStatTotal" t ON t."quizId" = ${quizId}::uuid`;
  if ((c!.storedN ?? 0) !== c!.n || Math.abs((c!.storedSumP ?? 0) - c!.sumP) > 1e-6 * Math.max(1, c!.n)) await rebuildQuizStats(db, quizId);
  const total = await db.quizStatTotal.findUnique({ where: { quizId } });
  const totals = emptySums().total;
  if (total) Object.assign(totals, { n: total.n, sumP: total.sumP, sumPP: total.sumPP, nTimed: total.nTimed, sumSeconds: total.sumSeconds, histogram: Array.from({ length: 10 }, (_v, i) => total.histogram[i] ?? 0) });
  return { totals, median: c!.median };
}

/** The quiz-level figures only (mean, median, time, distribution): the dashboard's chart. */
export async function readQuizSummary(db: Db, quizId: string): Promise<QuizStats> {
  const { totals, median } = await currentTotals(db, quizId);
  return statsFromSums({ ...emptySums(), total: totals }, { median, efficiency: new Map() });
}

/** The statistics report of a quiz. */
export async function readQuizStats(db: Db, quizId: string): Promise<QuizStats> {
  const { totals, median } = await currentTotals(db, quizId);
  const [items, variants, ordered, wrong] = await Promise.all([
    db.quizQuestionStat.findMany({ where: { quizId } }),
    db.quizVariantStat.findMany({ where: { quizId } }),
    // Efficiency: the covariance of (item score, rest of the attempt) over the covariance of the
    // two sorted lists paired rank by rank. Item scores in points, not fractions: the ratio is the same.
    db.$queryRaw<{ questionId: string; cov: number | null; maxCov: number | null }[]>`
      SELECT d."questionId", covar_samp(d.x, d.y)::float8 AS cov,
             (SELECT covar_samp(u.x, u.y) FROM unnest(array_agg(d.x ORDER BY d.x), array_agg(d.y ORDER BY d.y)) AS u(x, y))::float8 AS "maxCov"
      FROM (SELECT s."questionId", COALESCE(s.score, 0) AS x, COALESCE(a.score, 0) - COALESCE(s.score, 0) AS y
            FROM "QuizSlot" s JOIN "QuizAttempt" a ON a.id = s."attemptId"
            WHERE a."quizId" = ${quizId}::uuid AND a.status = 'SUBMITTED') d
      GROUP BY d."questionId"`,
    // The most common wrong answers to numeric and short-text questions: answers that scored
    // less than the question's points (a grader's changed mark counts), blank ones left out.
    db.$queryRaw<{ questionId: string; answer: string; count: number }[]>`
      SELECT w."questionId", w.answer, w.count FROM (
        SELECT s."questionId", btrim(s.response->>'text') AS answer, count(*)::int AS count,
               row_number() OVER (PARTITION BY s."questionId" ORDER BY count(*) DESC, btrim(s.response->>'text')) AS r
        FROM "QuizSlot" s JOIN "QuizAttempt" a ON a.id = s."attemptId"
        WHERE a."quizId" = ${quizId}::uuid AND a.status = 'SUBMITTED' AND s.question->>'type' IN ('numeric', 'short')
          AND COALESCE(s.score, 0) < (s.question->>'points')::float8 AND btrim(COALESCE(s.response->>'text', '')) <> ''
        GROUP BY s."questionId", btrim(s.response->>'text')) w
      WHERE w.r <= ${WRONG_ANSWERS_SHOWN}
      ORDER BY w."questionId", w.r`,
  ]);
  const sums = emptySums();
  sums.total = totals;
  for (const it of items) sums.items.set(it.questionId, { ...it });
  for (const v of variants) addVariant(sums.variants, v.questionId, v.variant, { n: v.n, sumX: v.sumX });
  const efficiency = new Map(ordered.map((o) => [o.questionId, o.cov !== null && o.maxCov !== null && o.maxCov > 1e-12 ? (o.cov / o.maxCov) * 100 : null]));
  const stats = statsFromSums(sums, { median, efficiency });
  for (const q of stats.questions) q.wrongAnswers = wrong.filter((w) => w.questionId === q.questionId).map((w) => ({ answer: w.answer, count: w.count }));
  return stats;
}
