// The quiz statistics read from the attempts as they stand: one statement brings every
// slot of the quiz's submitted attempts, reduced in SQL to what `quizStats` needs (item
// score, points, the picked options' positions, a typed answer), a second the text and
// options of each question as its last attempt shows them, and `quizStats` computes every
// figure. Nothing is written at submit or at a grader's mark change, so a late submit, a
// changed mark or a student removed from the course shows at the next read.
import type pg from "pg";
import { quizStats, type QuizStats, type StatAttempt } from "./quiz.stats.js";
import { StoredQuizError } from "./quiz.stored.js";

interface SlotRow {
  attemptId: string;
  score: number;
  maxScore: number;
  seconds: number | null;
  /** When the attempt was submitted (epoch seconds): the order of the attempts. */
  at: number | null;
  questionId: string;
  variant: string;
  slotScore: number;
  points: number | null;
  type: string | null;
  chosen: number[] | null;
  answer: string | null;
}

// Options are plain text in the report: their markup is dropped.
const text = (html: string) => html.replace(/<[^>]+>/g, "");

/** An attempt by one of the course's students now, as the quiz page counts them: a removed student's
 *  attempts are kept (they may come back) but not counted, nor a staff member's. */
const BY_A_STUDENT = `EXISTS (SELECT 1 FROM "Quiz" q JOIN "Membership" m ON m."courseId" = q."courseId"
         WHERE q.id = a."quizId" AND m."userId" = a."userId" AND m.role = 'STUDENT')`;

/** Every figure of the report over the submitted attempts of the course's students (two statements, whatever their number). */
export async function readQuizStats(sql: pg.Pool, quiz: { id: string; title: string }): Promise<QuizStats> {
  const { rows } = await sql.query<SlotRow>({
    name: "quiz.stats.slots",
    text: `SELECT a.id AS "attemptId", COALESCE(a.score, 0)::float8 AS score, a."maxScore"::float8 AS "maxScore",
         EXTRACT(EPOCH FROM a."submittedAt" - a."startedAt")::float8 AS seconds, EXTRACT(EPOCH FROM a."submittedAt")::float8 AS at,
         s."questionId", s.variant, COALESCE(s.score, 0)::float8 AS "slotScore",
         (s.question->>'points')::float8 AS points, s.question->>'type' AS type,
         CASE WHEN jsonb_typeof(s.question->'choices') = 'array' THEN ARRAY(
           SELECT COALESCE((c->>'orig')::int, 0) FROM jsonb_array_elements(s.question->'choices') c
           WHERE c->>'key' = s.response->>'choice'
              OR (jsonb_typeof(s.response->'choices') = 'array' AND s.response->'choices' ? (c->>'key'))) END AS chosen,
         CASE WHEN s.question->>'type' IN ('numeric', 'short') THEN s.response->>'text' END AS answer
       FROM "QuizAttempt" a JOIN "QuizSlot" s ON s."attemptId" = a.id
       WHERE a."quizId" = $1 AND a.status = 'SUBMITTED' AND ${BY_A_STUDENT}`,
    values: [quiz.id],
  });
  const byId = new Map<string, StatAttempt & { id: string; at: number }>();
  for (const r of rows) {
    // What the statement could not extract is a question this version cannot read.
    if (r.points === null || r.type === null) throw StoredQuizError.slot(r.questionId, `${r.points === null ? "points" : "type"}: missing`, quiz.title);
    let a = byId.get(r.attemptId);
    if (!a) byId.set(r.attemptId, (a = { id: r.attemptId, at: r.at ?? 0, score: r.score, maxScore: r.maxScore, seconds: r.seconds, slots: [] }));
    a.slots.push({ questionId: r.questionId, variant: r.variant, points: r.points, score: r.slotScore, type: r.type, chosen: r.chosen ?? undefined, answer: r.answer ?? undefined });
  }
  // In the order they were submitted; each question's text and options from its last attempt.
  const attempts = [...byId.values()].sort((x, y) => x.at - y.at || (x.id < y.id ? -1 : 1));
  const last = new Map<string, string>();
  for (const a of attempts) for (const sl of a.slots) last.set(sl.questionId, a.id);
  if (last.size) {
    const shown = await sql.query<{ attemptId: string; questionId: string; textHtml: string | null; options: string[] | null }>({
      name: "quiz.stats.texts",
      text: `SELECT s."attemptId", s."questionId", s.question->>'textHtml' AS "textHtml",
           CASE WHEN jsonb_typeof(s.question->'choices') = 'array' THEN ARRAY(
             SELECT e.c->>'html' FROM jsonb_array_elements(s.question->'choices') WITH ORDINALITY AS e(c, i)
             ORDER BY COALESCE((e.c->>'orig')::int, 0), e.i) END AS options
         FROM unnest($1::uuid[], $2::text[]) AS l("attemptId", "questionId")
         JOIN "QuizSlot" s ON s."attemptId" = l."attemptId" AND s."questionId" = l."questionId"`,
      values: [[...last.values()], [...last.keys()]],
    });
    for (const r of shown.rows) {
      const slot = byId.get(r.attemptId)?.slots.find((sl) => sl.questionId === r.questionId);
      if (slot) Object.assign(slot, { textHtml: r.textHtml ?? "", options: r.options?.map(text) });
    }
  }
  return quizStats(attempts);
}

/** The quiz-level figures only (mean, median, time, distribution), from the attempts' rows (the course's students'): the dashboard's chart. */
export async function readQuizSummary(sql: pg.Pool, quizId: string): Promise<QuizStats> {
  const { rows } = await sql.query<{ score: number; maxScore: number; seconds: number | null }>({
    name: "quiz.stats.summary",
    text: `SELECT COALESCE(score, 0)::float8 AS score, "maxScore"::float8 AS "maxScore", EXTRACT(EPOCH FROM "submittedAt" - "startedAt")::float8 AS seconds
       FROM "QuizAttempt" a WHERE a."quizId" = $1 AND a.status = 'SUBMITTED' AND ${BY_A_STUDENT}`,
    values: [quizId],
  });
  return quizStats(rows.map((r) => ({ ...r, slots: [] })));
}
