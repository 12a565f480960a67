// Graders' and instructors' changes to one question's mark or comment on a submitted
// attempt. Every change is a new QuizMarkChange row (who, when, old and new mark, reason,
// comment) and nothing is ever updated or deleted: the newest row of a slot holds its
// mark and comment; clearing an override is a row that puts the automatic mark back.
// A change of mark writes the slot's score, the attempt's score and the student's quiz grade
// (queued for the LMS gradebook) in the same transaction, so the review page, grades,
// dashboards and passback all agree with it; the item statistics read the scores as they stand.
import type { Clock } from "../platform/clock.js";
import type { GradeEvents } from "../platform/grade-events.js";
import { AttemptStatus, type Db } from "../platform/db/prisma.js";
import { Conflict } from "../platform/errors.js";
import { grade, isAnswered, type GradeState, type SlotQuestion } from "./questions.js";
import { regradeStudent, type AttemptRow } from "./quiz.service.js";
import { readSlotQuestion, readSlotResponse } from "./quiz.stored.js";
import { formatNumber } from "./variants.js";

/** What a staff member typed into one question's form (strings as posted). */
export interface MarkForm {
  slot: number;
  /** The form's one-time key (a second post of the same form changes nothing). */
  formKey: string;
  mark: string;
  reason: string;
  comment: string;
  /** Put the automatic mark back. */
  restore: boolean;
}

export type MarkField = "mark" | "reason" | "comment" | "form";
export type MarkErrors = Partial<Record<MarkField, string>>;
export type MarkOutcome = { ok: true; repeated: boolean; markChanged: boolean; mark: number } | { ok: false; errors: MarkErrors };

export interface MarkHistoryRow {
  number: number;
  at: Date;
  by: string;
  oldMark: number;
  newMark: number;
  markChanged: boolean;
  automatic: boolean;
  reason: string | null;
  comment: string | null;
  commentChanged: boolean;
  reviewRequestId: string | null;
}

/** One question's marks as they stand, with every change (newest first). */
export interface SlotMarks {
  slot: number;
  question: SlotQuestion;
  response: unknown;
  points: number;
  /** The mark the grading gives the answer. */
  automatic: number;
  /** The mark in effect (the slot's score). */
  mark: number;
  /** A grader's mark is in effect (not the automatic one). */
  overridden: boolean;
  /** The change that set the mark in effect, when overridden. */
  markChange: MarkHistoryRow | null;
  comment: string | null;
  /** The change that set the comment in effect. */
  commentChange: MarkHistoryRow | null;
  history: MarkHistoryRow[];
}

/** Marks are typed with up to two decimals, "." or "," before them. */
const MARK = /^\d+(?:[.,]\d{1,2})?$/;
export const REASON_MAX = 1000;
export const COMMENT_MAX = 2000;
const round2 = (v: number) => Math.round(v * 100) / 100;
const same = (a: number, b: number) => Math.abs(a - b) < 1e-9;

/** The state a graded answer shows for a mark a person gave. */
function stateFor(mark: number, points: number, response: unknown): GradeState {
  const f = points ? mark / points : 0;
  if (f >= 1 - 1e-9) return "correct";
  if (f > 1e-9) return "partial";
  return isAnswered(readSlotResponse(response, null)) ? "wrong" : "unanswered";
}

/** The automatic mark of a slot: what grading gives its answer. */
export function automaticMark(q: SlotQuestion, response: unknown): number {
  return grade(q, readSlotResponse(response, q.id)).fraction * q.points;
}

type ChangeRow = { number: number; createdAt: Date; by: { name: string }; oldMark: number; newMark: number; automatic: boolean; reason: string | null; comment: string | null; reviewRequestId: string | null };

/** A slot's changes (oldest first) read into history rows, newest first, and what is in effect. */
export function slotMarks(slot: { slot: number; question: unknown; response: unknown; score: number | null }, changes: ChangeRow[]): SlotMarks {
  const q = readSlotQuestion(slot.question);
  let comment: string | null = null;
  let markChange: MarkHistoryRow | null = null;
  let commentChange: MarkHistoryRow | null = null;
  const rows: MarkHistoryRow[] = [];
  for (const c of changes) {
    const row: MarkHistoryRow = {
      number: c.number, at: c.createdAt, by: c.by.name, oldMark: c.oldMark, newMark: c.newMark, automatic: c.automatic,
      markChanged: c.reason !== null, reason: c.reason, comment: c.comment, commentChanged: c.comment !== comment, reviewRequestId: c.reviewRequestId,
    };
    if (row.markChanged) markChange = c.automatic ? null : row;
    if (row.commentChanged) commentChange = c.comment === null ? null : row;
    comment = c.comment;
    rows.push(row);
  }
  const automatic = automaticMark(q, slot.response);
  return {
    slot: slot.slot, question: q, response: slot.response, points: q.points, automatic,
    mark: slot.score ?? automatic, overridden: markChange !== null, markChange, comment, commentChange, history: rows.reverse(),
  };
}

/** Reads a typed mark: a number from 0 to the question's points, up to two decimals. */
export function readMark(text: string, points: number): { mark: number } | { error: string } {
  const t = text.trim();
  if (!MARK.test(t)) return { error: `Enter the mark as a number from 0 to ${formatNumber(points)}, such as 1 or 0.5 (up to two decimals).` };
  const mark = Number(t.replace(",", "."));
  if (mark > points + 1e-9) return { error: `The mark must be between 0 and ${formatNumber(points)}, this question's points.` };
  return { mark };
}

export class QuizMarkingService {
  constructor(private readonly deps: { db: Db; clock: Clock; grades: GradeEvents }) {}

  /** Every slot of an attempt with its marks and changes, in slot order. */
  async marks(attempt: AttemptRow): Promise<SlotMarks[]> {
    const slots = await this.deps.db.quizSlot.findMany({
      where: { attemptId: attempt.id }, orderBy: { slot: "asc" },
      include: { marks: { orderBy: { number: "asc" }, include: { by: { select: { name: true } } } } },
    });
    return slots.map((s) => slotMarks(s, s.marks));
  }

  /** The student's open review request about the attempt, if any. */
  openRequest(attempt: AttemptRow) {
    return this.deps.db.reviewRequest.findFirst({ where: { attemptId: attempt.id, resolvedAt: null }, include: { askedBy: { select: { name: true } } } });
  }

  /**
   * Records one change of a question's mark and/or comment by a staff member (loaded and
   * authorised by the caller). Bad input comes back as errors per field, nothing written.
   * The attempt's row is locked, so changes of one attempt take turns and a second post
   * of the same form (same key) finds the first one's row.
   */
  async change(attempt: AttemptRow, actor: { id: string }, form: MarkForm): Promise<MarkOutcome> {
    const now = this.deps.clock();
    return this.deps.db.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ status: AttemptStatus }[]>`SELECT status FROM "QuizAttempt" WHERE id = ${attempt.id}::uuid FOR UPDATE`;
      if (locked[0]?.status !== AttemptStatus.SUBMITTED) throw new Conflict("Marks can be changed once the attempt is submitted. Open the attempt again when the student has submitted it.");
      const repeated = await tx.quizMarkChange.findUnique({ where: { formKey: form.formKey } });
      if (repeated) {
        if (repeated.attemptId !== attempt.id || repeated.slot !== form.slot) throw new Conflict("This form was already used for another question. Reload the page and try again.");
        return { ok: true, repeated: true, markChanged: repeated.reason !== null, mark: repeated.newMark };
      }
      const slots = await tx.quizSlot.findMany({ where: { attemptId: attempt.id }, orderBy: { slot: "asc" } });
      const slot = slots.find((s) => s.slot === form.slot);
      if (!slot) throw new Conflict("That question is not part of this attempt. Reload the page and try again.");
      const changes = await tx.quizMarkChange.findMany({ where: { attemptId: attempt.id, slot: slot.slot }, orderBy: { number: "asc" }, include: { by: { select: { name: true } } } });
      const cur = slotMarks(slot, changes);

      const errors: MarkErrors = {};
      let newMark = cur.mark;
      if (form.restore) {
        if (!cur.overridden) errors.form = `This question already has its automatic mark (${formatNumber(round2(cur.automatic))}). Enter a new mark instead, or only a comment.`;
        newMark = cur.automatic;
      } else if (form.mark.trim() !== "") {
        const read = readMark(form.mark, cur.points);
        if ("error" in read) errors.mark = read.error;
        // The form shows the mark rounded to two decimals: posted back as it was, it is no change.
        else if (!same(read.mark, round2(cur.mark))) newMark = read.mark;
      }
      const reason = form.reason.trim();
      const comment = form.comment.trim() || null;
      const markChanged = form.restore || !same(newMark, cur.mark);
      if (markChanged && !errors.mark && !reason) errors.reason = "Say why the mark changes: the student sees this reason next to the new mark.";
      if (reason.length > REASON_MAX) errors.reason = `Keep the reason under ${REASON_MAX.toLocaleString("en")} characters.`;
      if (comment && comment.length > COMMENT_MAX) errors.comment = `Keep the comment under ${COMMENT_MAX.toLocaleString("en")} characters.`;
      if (!markChanged && comment === cur.comment && !errors.mark && !errors.form) {
        errors.form = "Nothing changed: enter a different mark (with a reason), or write or edit the comment.";
      }
      if (Object.keys(errors).length) return { ok: false, errors };

      const open = await tx.reviewRequest.findFirst({ where: { attemptId: attempt.id, resolvedAt: null }, select: { id: true } });
      await tx.quizMarkChange.create({
        data: {
          attemptId: attempt.id, slot: slot.slot, number: (changes.at(-1)?.number ?? 0) + 1, byId: actor.id, createdAt: now,
          oldMark: cur.mark, newMark, automatic: form.restore, reason: markChanged ? reason : null, comment, reviewRequestId: open?.id ?? null, formKey: form.formKey,
        },
      });
      if (!markChanged) return { ok: true, repeated: false, markChanged: false, mark: newMark };

      const state = form.restore ? grade(cur.question, readSlotResponse(slot.response, cur.question.id)).state : stateFor(newMark, cur.points, slot.response);
      await tx.quizSlot.update({ where: { attemptId_slot: { attemptId: attempt.id, slot: slot.slot } }, data: { score: newMark, state } });
      const after = slots.map((s) => (s.slot === slot.slot ? { ...s, score: newMark, state } : s));
      const score = after.reduce((sum, s) => sum + (s.score ?? 0), 0);
      await tx.quizAttempt.update({ where: { id: attempt.id }, data: { score } });
      await regradeStudent(tx, this.deps.grades, attempt.quizId, attempt.userId, now);
      return { ok: true, repeated: false, markChanged: true, mark: newMark };
    });
  }
}
