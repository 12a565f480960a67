// What a quiz file may say (quizzes/<slug>.yaml), checked by zod at sync and by
// `npm run content:check`. Times are local to the course's time zone.
import { z } from "zod";
import { courseDateTime, isAbsoluteCourseDate } from "../platform/course-dates.js";

const localDateTime = courseDateTime();

const text = (what: string) => z.string({ message: `${what} is required` }).trim().min(1, `${what} must not be empty`);
const feedback = z.string().optional();
const id = z
  .string({ message: "id is required (letters, digits, dashes), so scores survive edits" })
  .regex(/^[a-z0-9][a-z0-9-]*$/, "id must be lowercase letters, digits and dashes");

/** A parameter of a variant question: a range of integers or a list of values. */
export const Param = z.union([
  z.object({ from: z.number(), to: z.number(), step: z.number().positive("step must be positive").default(1) }).strict()
    .refine((p) => p.to >= p.from, "to must not be below from"),
  z.object({ choose: z.array(z.number()).min(1, "choose needs at least one value") }).strict(),
], { message: "a parameter is either {from, to, step} or {choose: [values]}" });
export type Param = z.infer<typeof Param>;

const expression = z.string().trim().min(1, "an expression must not be empty");

const common = {
  id,
  points: z.number().positive("points must be positive").default(1),
  text: text("text"),
  explanation: z.string().optional().describe("general feedback, shown when the review allows"),
  params: z.record(z.string().regex(/^[A-Za-z]\w*$/, "a parameter name is a letter then letters/digits"), Param).optional(),
  let: z.record(z.string().regex(/^[A-Za-z]\w*$/, "a computed value's name is a letter then letters/digits"), expression).optional(),
  where: expression.optional().describe("only parameter combinations for which this is true are drawn"),
};

const Choice = z.object({ text: text("a choice's text"), correct: z.boolean().default(false), feedback }).strict();

// The right choice(s) are marked either on the choices (correct: true) or by
// `answer:` naming the choice text(s); the loader checks and turns the latter into flags.
const answerByText = z.union([z.string(), z.array(z.string())]).optional().describe("the text of the right choice(s), instead of correct: true");

const Single = z.object({
  ...common,
  type: z.literal("single"),
  choices: z.array(Choice).min(2, "a choice question needs at least two choices"),
  answer: answerByText,
  shuffle: z.boolean().optional(),
}).strict();

const Multiple = z.object({
  ...common,
  type: z.literal("multiple"),
  choices: z.array(Choice).min(2, "a choice question needs at least two choices"),
  answer: answerByText,
  scoring: z.enum(["partial", "allOrNothing"]).default("partial"),
  shuffle: z.boolean().optional(),
}).strict();

const TrueFalse = z.object({
  ...common,
  type: z.literal("truefalse"),
  answer: z.boolean({ message: "answer must be true or false" }),
  feedbackTrue: feedback,
  feedbackFalse: feedback,
}).strict();

const Numeric = z.object({
  ...common,
  type: z.literal("numeric"),
  answer: z.union([z.number(), expression], { message: "answer must be a number or an expression" }),
  tolerance: z.union([
    z.object({ absolute: z.number().nonnegative() }).strict(),
    z.object({ relative: z.number().nonnegative().max(1, "relative tolerance is a fraction, e.g. 0.01 for 1%") }).strict(),
  ]).default({ absolute: 0 }),
  unit: z.string().optional(),
}).strict();

const Short = z.object({
  ...common,
  type: z.literal("short"),
  accepted: z.array(text("an accepted answer")).default([]),
  pattern: z.string().optional().describe("a regular expression matched against the whole normalised answer"),
  caseSensitive: z.boolean().default(false),
  ignoreSpaces: z.boolean().default(false),
}).strict()
  .refine((q) => q.accepted.length > 0 || q.pattern, { message: "a short-text question needs accepted answers or a pattern", path: ["accepted"] });

const Matching = z.object({
  ...common,
  type: z.literal("matching"),
  pairs: z.array(z.object({ left: text("left"), right: text("right") }).strict()).min(2, "matching needs at least two pairs"),
  distractors: z.array(text("a distractor")).default([]),
}).strict();

const Ordering = z.object({
  ...common,
  type: z.literal("ordering"),
  items: z.array(text("an item")).min(2, "ordering needs at least two items"),
}).strict();

export const Question = z.discriminatedUnion("type", [Single, Multiple, TrueFalse, Numeric, Short, Matching, Ordering], {
  error: (iss) => (iss.code === "invalid_union" ? "type must be one of single, multiple, truefalse, numeric, short, matching, ordering" : undefined),
});
export type Question = z.infer<typeof Question>;
export type QuestionType = Question["type"];

const Pool = z.object({
  pool: id,
  draw: z.number().int().positive("draw must be at least 1"),
  questions: z.array(Question).min(1, "a pool needs questions"),
}).strict().refine((p) => p.draw <= p.questions.length, { message: "draw is more than the pool has questions", path: ["draw"] });
export type Pool = z.infer<typeof Pool>;

// An entry with `pool:` is a pool, anything else a question; checking each against its
// own schema (rather than a union) reports the real problem, e.g. a missing field.
const Entry = z.unknown().transform((value, ctx): Pool | Question => {
  const schema = value && typeof value === "object" && "pool" in value ? Pool : Question;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...(issue as object), path: issue.path } as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

export const REVIEW_ITEMS = ["score", "answers", "marks", "correctness", "feedback", "explanation", "rightAnswer"] as const;
export type ReviewItem = (typeof REVIEW_ITEMS)[number];
const reviewList = z.array(z.enum(REVIEW_ITEMS, { message: `review items are ${REVIEW_ITEMS.join(", ")}` }));

export const QuizFile = z.object({
  title: text("title"),
  course: z.string({ message: "course is required (its slug, e.g. cnn)" }).regex(/^[a-z0-9-]+$/, "course must be a course slug"),
  module: z.string().regex(/^[a-z0-9-]+$/, "module must be a module slug").optional(),
  description: z.string().optional(),
  opens: localDateTime.optional(),
  closes: localDateTime.optional(),
  timeLimitMinutes: z.number().positive("timeLimitMinutes must be positive").optional(),
  graceMinutes: z.number().nonnegative().default(1).describe("answers saved this long after the time limit still count (slow networks)"),
  attempts: z.union([z.literal("unlimited"), z.number().int().positive("attempts must be at least 1")]).default("unlimited"),
  grading: z.enum(["highest", "latest", "average", "first"], { message: "grading must be highest, latest, average or first" }).default("highest"),
  passPercent: z.number().min(0).max(100).default(90),
  shuffleQuestions: z.boolean().default(false),
  shuffleChoices: z.boolean().default(true),
  questionsPerPage: z.number({ message: "questionsPerPage must be a whole number" }).int("questionsPerPage must be a whole number").positive("questionsPerPage must be at least 1").optional()
    .describe("questions on each page of an attempt (default: all on one page)"),
  review: z.object({
    during: reviewList.default([]).describe("shown after a question is checked during the attempt (adds a Check button; a checked answer is final)"),
    afterSubmit: reviewList.default(["score", "answers", "marks", "correctness"]),
    afterClose: reviewList.default(["score", "answers", "marks", "correctness", "feedback", "explanation", "rightAnswer"]),
  }).strict().default({ during: [], afterSubmit: ["score", "answers", "marks", "correctness"], afterClose: ["score", "answers", "marks", "correctness", "feedback", "explanation", "rightAnswer"] }),
  questions: z.array(Entry).min(1, "a quiz needs questions"),
}).strict()
  // Relative dates are compared once resolved, at sync (quiz.sync.ts).
  .refine((q) => !isAbsoluteCourseDate(q.opens) || !isAbsoluteCourseDate(q.closes) || q.opens! < q.closes!, { message: "closes must be after opens", path: ["closes"] });
export type QuizFile = z.infer<typeof QuizFile>;

export function isPool(e: QuizFile["questions"][number]): e is Pool {
  return "pool" in e;
}

export const QUIZ_FIELDS = Object.keys(QuizFile.shape);
