// The quiz statistics read from the attempts as they stand: one statement brings every
// slot of the quiz's submitted attempts, reduced in SQL to what `quizStats` needs (item
// score, points, the picked options' positions, a typed answer; the question's text and
// options only from the last attempt that has the question), and `quizStats` computes
// every figure. Nothing is written at submit or at a grader's mark change, so a late
// submit, a changed mark or a student deleted with their attempts shows at the next read.
import type pg from "pg";
import { quizStats, type QuizStats, type StatAttempt } from "./quiz.stats.js";
import { StoredQuizError } from "./quiz.stored.js";

interface SlotRow {
  attemptId: string;
  score: number;
  maxScore: number;
  seconds: number | null;
  questionId: string;
  variant: string;
  slotScore: number;
  points: number | null;
  type: string | null;
  chosen: number[] | null;
  answer: string | null;
  textHtml: string | null;
  options: string[] | null;
}

// Options are plain text in the report: their markup is dropped.
const text = (html: string) => html.replace(/<[^>]+>/g, "");

/** Every figure of the report over the quiz's submitted attempts, from one statement. */
export async function readQuizStats(sql: pg.Pool, quiz: { id: string; title: string }): Promise<QuizStats> {
  const { rows } = await sql.query<SlotRow>({
    name: "quiz.stats.slots",
    text: `SELECT a.id AS "attemptId", COALESCE(a.score, 0)::float8 AS score, a."maxScore"::float8 AS "maxScore",
         EXTRACT(EPOCH FROM a."submittedAt" - a."startedAt")::float8 AS seconds,
         s."questionId", s.variant, COALESCE(s.score, 0)::float8 AS "slotScore",
         (s.question->>'points')::float8 AS points, s.question->>'type' AS type,
         CASE WHEN jsonb_typeof(s.question->'choices') = 'array' THEN ARRAY(
           SELECT COALESCE((c->>'orig')::int, 0) FROM jsonb_array_elements(s.question->'choices') c
           WHERE c->>'key' = s.response->>'choice'
              OR (jsonb_typeof(s.response->'choices') = 'array' AND s.response->'choices' ? (c->>'key'))) END AS chosen,
         CASE WHEN s.question->>'type' IN ('numeric', 'short') THEN s.response->>'text' END AS answer,
         CASE WHEN row_number() OVER latest = 1 THEN s.question->>'textHtml' END AS "textHtml",
         CASE WHEN row_number() OVER latest = 1 AND jsonb_typeof(s.question->'choices') = 'array' THEN ARRAY(
           SELECT e.c->>'html' FROM jsonb_array_elements(s.question->'choices') WITH ORDINALITY AS e(c, i)
           ORDER BY COALESCE((e.c->>'orig')::int, 0), e.i) END AS options
       FROM "QuizAttempt" a JOIN "QuizSlot" s ON s."attemptId" = a.id
       WHERE a."quizId" = $1 AND a.status = 'SUBMITTED'
       WINDOW latest AS (PARTITION BY s."questionId" ORDER BY a."submittedAt" DESC, a.id DESC)
       ORDER BY a."submittedAt", a.id, s.slot`,
    values: [quiz.id],
  });
  const attempts: StatAttempt[] = [];
  let last: string | null = null;
  for (const r of rows) {
    // What the statement could not extract is a question this version cannot read.
    if (r.points === null || r.type === null) throw StoredQuizError.slot(r.questionId, `${r.points === null ? "points" : "type"}: missing`, quiz.title);
    if (r.attemptId !== last) attempts.push({ score: r.score, maxScore: r.maxScore, seconds: r.seconds, slots: [] });
    last = r.attemptId;
    attempts.at(-1)!.slots.push({
      questionId: r.questionId, variant: r.variant, points: r.points, score: r.slotScore, type: r.type,
      chosen: r.chosen ?? undefined, answer: r.answer ?? undefined,
      textHtml: r.textHtml ?? undefined, options: r.textHtml === null ? undefined : r.options?.map(text),
    });
  }
  return quizStats(attempts);
}

/** The quiz-level figures only (mean, median, time, distribution), from the attempts' rows: the dashboard's chart. */
export async function readQuizSummary(sql: pg.Pool, quizId: string): Promise<QuizStats> {
  const { rows } = await sql.query<{ score: number; maxScore: number; seconds: number | null }>({
    name: "quiz.stats.summary",
    text: `SELECT COALESCE(score, 0)::float8 AS score, "maxScore"::float8 AS "maxScore", EXTRACT(EPOCH FROM "submittedAt" - "startedAt")::float8 AS seconds
       FROM "QuizAttempt" WHERE "quizId" = $1 AND status = 'SUBMITTED'`,
    values: [quizId],
  });
  return quizStats(rows.map((r) => ({ ...r, slots: [] })));
}
