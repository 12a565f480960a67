// Dates in content files (module.yaml, quizzes/*.yaml, case-study.yaml), always in the
// course's time zone. Two forms:
//   2026-11-27T09:00              an absolute local time: what a real course writes
//   friday 09:00                  steps counted from the course's start (Course.startsAt),
//   start, +7 days, 23:59         so a demo or a course template is current whenever it starts
// Steps run left to right, each from the point the previous one reached (the first from the
// course's start): `start` (only first), `+N days`/`-N weeks` (same clock time), `<weekday> HH:MM`
// (the first such moment strictly after the point), `HH:MM` (that time on the point's day).
import { DateTime } from "luxon";
import { z } from "zod";

const ABSOLUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;
const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;

type Step =
  | { kind: "start" }
  | { kind: "shift"; days: number }
  | { kind: "weekday"; weekday: number; hour: number; minute: number }
  | { kind: "time"; hour: number; minute: number };

function parseTime(s: string): { hour: number; minute: number } | null {
  const m = TIME.exec(s);
  return m ? { hour: Number(m[1]), minute: Number(m[2]) } : null;
}

function parseStep(raw: string, first: boolean): Step | string {
  const s = raw.trim().toLowerCase().replace(/\s+/g, " ");
  if (s === "start") return first ? { kind: "start" } : '"start" can only be the first step';
  const shift = /^([+-]) ?(\d{1,3}) ?(days?|weeks?)$/.exec(s);
  if (shift) return { kind: "shift", days: (shift[1] === "-" ? -1 : 1) * Number(shift[2]) * (shift[3]!.startsWith("week") ? 7 : 1) };
  const [word, time, ...rest] = s.split(" ");
  const weekday = WEEKDAYS.findIndex((d) => d === word || d.slice(0, 3) === word);
  if (weekday >= 0 && !rest.length) {
    const t = time ? parseTime(time) : null;
    return t ? { kind: "weekday", weekday: weekday + 1, ...t } : `"${raw.trim()}" needs a time as HH:MM, such as "${WEEKDAYS[weekday]} 09:00"`;
  }
  const t = parseTime(s);
  if (t) return { kind: "time", ...t };
  return `"${raw.trim()}" is not a step (start, +N days, +N weeks, a weekday with HH:MM, or HH:MM)`;
}

/** The steps of a date relative to the course's start, or the reason it is not one. */
function parseRelative(text: string): Step[] | string {
  const steps: Step[] = [];
  for (const [i, part] of text.split(",").entries()) {
    const step = parseStep(part, i === 0);
    if (typeof step === "string") return step;
    steps.push(step);
  }
  return steps;
}

export function isAbsoluteCourseDate(text: string | undefined): boolean {
  return !!text && ABSOLUTE.test(text);
}

/** Whether `text` is a date a content file may hold; the problem, worded for its author, when not. */
export function courseDateProblem(text: string): string | null {
  if (ABSOLUTE.test(text)) return DateTime.fromISO(text).isValid ? null : `${text} is not a real date`;
  const steps = parseRelative(text);
  return typeof steps === "string" ? steps : null;
}

/** A zod schema for a content file's date field; `example` shows the absolute form in messages. */
export function courseDateTime(example = "2026-11-27T09:00") {
  return z
    .string({ message: `must be a local date and time such as ${example}, or a time counted from the course's start such as "friday 09:00"` })
    .superRefine((text, ctx) => {
      const problem = courseDateProblem(text);
      if (problem) ctx.addIssue({ code: "custom", message: `must be a local date and time such as ${example} (no time zone; the course's zone applies) or steps from the course's start such as "friday 09:00": ${problem}` });
    });
}

export interface CourseTime {
  /** IANA time zone of the course (or module). */
  timeZone: string;
  /** The course's start: where relative dates count from. */
  startsAt: Date;
}

/** The moment a content file's date stands for, in the course's time zone. */
export function resolveCourseDate(text: string, { timeZone, startsAt }: CourseTime): Date {
  if (ABSOLUTE.test(text)) return DateTime.fromISO(text, { zone: timeZone }).toJSDate();
  const steps = parseRelative(text);
  if (typeof steps === "string") throw new Error(`not a course date: ${text} (${steps})`);
  let at = DateTime.fromJSDate(startsAt, { zone: timeZone });
  for (const step of steps) {
    if (step.kind === "shift") at = at.plus({ days: step.days });
    else if (step.kind === "time") at = at.set({ hour: step.hour, minute: step.minute, second: 0, millisecond: 0 });
    else if (step.kind === "weekday") {
      let next = at.set({ hour: step.hour, minute: step.minute, second: 0, millisecond: 0 }).plus({ days: (step.weekday - at.weekday + 7) % 7 });
      if (next <= at) next = next.plus({ days: 7 });
      at = next;
    }
  }
  return at.toJSDate();
}
