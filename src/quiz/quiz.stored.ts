// The quiz's JSON columns read back through zod, by version: Quiz.definition (the quiz
// file as synced, defaults filled in) and QuizSlot.question (a question as drawn into an
// attempt, frozen there). Version 1 is what this version writes; a change of shape adds a
// version here with an upgrade from the one before. A row that does not fit is a
// StoredQuizError naming the quiz and saying what to do, not a crash deep inside a page.
import { z } from "zod";
import { HttpError } from "../platform/errors.js";
import type { Option, Response, SlotQuestion } from "./questions.js";
import { QuizFile } from "./quiz.definition.js";

type Issues = z.ZodError["issues"];
const listed = (issues: Issues) => issues.slice(0, 3).map((i) => `${i.path.join(".") || "value"}: ${i.message}`).join("; ");

/** Stored JSON of a quiz that this version cannot read (written by an older version, or by hand): a 500 whose message says what to do. */
export class StoredQuizError extends HttpError {
  constructor(message: string) {
    super(500, message, "stored_quiz_invalid");
  }

  /** The quiz row's definition does not fit: syncing the content writes it again. */
  static definition(quizTitle: string, issues: Issues) {
    return new StoredQuizError(`The quiz "${quizTitle}" is stored in a form this version cannot read (${listed(issues)}): it was stored by an older version. An instructor should sync the course content again (npm run content:check shows the quiz file's own problems); attempts and grades are kept.`);
  }

  /** A question frozen into an attempt does not fit: syncing does not rewrite attempts, so staff must be told. */
  static slot(questionId: string | null, problems: string, quizTitle?: string) {
    const where = quizTitle ? `of the quiz "${quizTitle}"` : "of this quiz attempt";
    return new StoredQuizError(`A question${questionId ? ` (${questionId})` : ""} ${where} is stored in a form this version cannot read (${problems}): it was stored by an older version. The saved answers are kept as they are; tell the course's instructor, who should report it to the platform's administrator.`);
  }
}

/** Quiz.definition as stored, by version: version 1 is the parsed quiz file (parsing it again gives it back). */
export const QuizDefinition = { v1: QuizFile } as const;

const OptionV1 = z.object({
  key: z.string(), orig: z.number().int().optional(), html: z.string(), correct: z.boolean().optional(), feedbackHtml: z.string().optional(),
}) satisfies z.ZodType<Option>;

/** QuizSlot.question as stored, by version (see `instantiate` in questions.ts). */
export const SlotQuestionStored = {
  v1: z.object({
    id: z.string(),
    type: z.enum(["single", "multiple", "truefalse", "numeric", "short", "matching", "ordering"]),
    points: z.number(),
    pool: z.string().optional(),
    variant: z.string(),
    textHtml: z.string(),
    explanationHtml: z.string().optional(),
    ruleText: z.string().optional(),
    choices: z.array(OptionV1).optional(),
    scoring: z.enum(["partial", "allOrNothing"]).optional(),
    answer: z.boolean().optional(),
    feedbackTrueHtml: z.string().optional(),
    feedbackFalseHtml: z.string().optional(),
    numeric: z.object({ answer: z.number(), absolute: z.number().optional(), relative: z.number().optional(), unit: z.string().optional() }).optional(),
    short: z.object({ accepted: z.array(z.string()), pattern: z.string().optional(), caseSensitive: z.boolean(), ignoreSpaces: z.boolean() }).optional(),
    lefts: z.array(OptionV1).optional(),
    rights: z.array(OptionV1).optional(),
    matches: z.record(z.string(), z.string()).optional(),
    order: z.array(z.string()).optional(),
    items: z.array(OptionV1).optional(),
  }) satisfies z.ZodType<SlotQuestion>,
} as const;

/** QuizSlot.response as stored, by version: what readResponse (questions.ts) made of the student's form; {} is "no answer". */
export const ResponseStored = {
  v1: z.union([
    z.strictObject({ choice: z.string() }),
    z.strictObject({ choices: z.array(z.string()) }),
    z.strictObject({ value: z.boolean() }),
    z.strictObject({ text: z.string() }),
    z.strictObject({ matches: z.record(z.string(), z.string()) }),
    z.strictObject({ positions: z.record(z.string(), z.number()) }),
    z.strictObject({}),
  ]) satisfies z.ZodType<Response>,
} as const;

// Parsed once per stored object (quiz rows are cached per content version, so the course
// page's rules of every quiz cost a lookup, not a parse), and a quiz row read afresh for
// each request (the quiz pages) finds its definition by the row's id and version: a
// definition is only ever written with its row's updatedAt (and contentHash), so the same
// id, updatedAt and contentHash are the same definition. One entry per quiz.
const definitions = new WeakMap<object, QuizFile>();
const definitionsById = new Map<string, { stamp: string; definition: QuizFile }>();
const slotQuestions = new WeakMap<object, SlotQuestion>();
const slotResponses = new WeakMap<object, Response>();

function readOnce<T>(cache: WeakMap<object, T>, json: unknown, schema: z.ZodType<T>, fail: (issues: Issues) => Error): T {
  const key = typeof json === "object" && json !== null ? json : null;
  const known = key && cache.get(key);
  if (known) return known;
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw fail(parsed.error.issues);
  if (key) cache.set(key, parsed.data);
  return parsed.data;
}

/** A quiz row's definition, checked against its schema. */
export function readQuizDefinition(quiz: { id: string; title: string; definition: unknown; updatedAt: Date; contentHash: string }): QuizFile {
  const stamp = `${quiz.updatedAt.getTime()}:${quiz.contentHash}`;
  const known = definitionsById.get(quiz.id);
  if (known?.stamp === stamp) return known.definition;
  const definition = readOnce(definitions, quiz.definition, QuizDefinition.v1, (issues) => StoredQuizError.definition(quiz.title, issues));
  definitionsById.set(quiz.id, { stamp, definition });
  return definition;
}

/** The id a stored question names, if it names one (for messages about a row that may not parse). */
export function storedQuestionId(question: unknown): string | null {
  return typeof question === "object" && question !== null && "id" in question && typeof question.id === "string" ? question.id : null;
}

/** A slot's question as drawn into an attempt, checked against its schema; `quizTitle`, when known, names the quiz in the error. */
export function readSlotQuestion(question: unknown, quizTitle?: string): SlotQuestion {
  const id = storedQuestionId(question);
  return readOnce(slotQuestions, question, SlotQuestionStored.v1, (issues) => StoredQuizError.slot(id, listed(issues), quizTitle));
}

/** A slot's saved answer (null: none saved yet), checked against its schema; `questionId` names the question in the error. */
export function readSlotResponse(response: unknown, questionId: string | null, quizTitle?: string): Response | null {
  if (response === null || response === undefined) return null;
  return readOnce(slotResponses, response, ResponseStored.v1, (issues) => StoredQuizError.slot(questionId, `the saved answer: ${listed(issues)}`, quizTitle));
}
