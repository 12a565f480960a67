// Quiz paging (questionsPerPage), and open/close dates in words, checked against hand-worked values.
import { loadQuizFile } from "../../src/quiz/quiz.files.js";
import { navigatorView, pageCount, pageOf } from "../../src/quiz/quiz.present.js";
import { whenPhrase } from "../../src/platform/time-format.js";

const QUESTION = "questions:\n  - { id: a, type: truefalse, text: T, answer: true }\n";
const load = (policy: string) => loadQuizFile(`title: T\ncourse: cnn\n${policy}\n${QUESTION}`, "quizzes/t.yaml", "t");
const messages = (policy: string) => load(policy).issues.map((i) => i.message);

test("questionsPerPage is optional (all on one page), and must be a whole number of at least 1", () => {
  expect(load("").issues).toEqual([]);
  expect(load("").quiz!.questionsPerPage).toBeUndefined();
  expect(load("questionsPerPage: 5").quiz!.questionsPerPage).toBe(5);
  expect(messages("questionsPerPage: 0").join()).toContain("questionsPerPage must be at least 1");
  expect(messages("questionsPerPage: 2.5").join()).toContain("questionsPerPage must be a whole number");
  expect(messages("questionsPerPage: five").join()).toContain("questionsPerPage must be a whole number");
});

test("pages: 14 questions, 5 a page, are pages 1–3 of 5, 5 and 4; unset is one page", () => {
  expect(pageCount(14, 5)).toBe(3);
  expect([0, 4, 5, 9, 10, 13].map((i) => pageOf(i, 5))).toEqual([1, 1, 2, 2, 3, 3]);
  expect(pageCount(14, undefined)).toBe(1);
  expect(pageOf(13, undefined)).toBe(1);
  expect(pageCount(3, 10)).toBe(1);
});

test("the navigator's states and count", () => {
  const row = (slot: number, response: unknown, flagged = false) => ({ slot, question: {}, response, checkedAt: null, score: null, state: null, flagged });
  const nav = navigatorView([row(0, { choice: "c1" }), row(1, {}, true), row(2, null), row(3, { text: "4" }, true)], 2, 2);
  expect(nav.answered).toBe(2);
  expect(nav.total).toBe(4);
  expect(nav.items.map((i) => [i.n, i.page, i.here, i.status])).toEqual([
    [1, 1, false, "answered"],
    [2, 1, false, "not answered, flagged for review"],
    [3, 2, true, "not answered"],
    [4, 2, true, "answered, flagged for review"],
  ]);
  expect(nav.unanswered.map((i) => i.n)).toEqual([2, 3]);
  expect(nav.flagged.map((i) => i.n)).toEqual([2, 4]);
});

describe("open and close in words, in the course's time zone (Denver, MST = UTC−7 in November)", () => {
  const tz = "America/Denver";
  // Wednesday 25 Nov 2026, 12:00 in Denver.
  const wed = new Date("2026-11-25T19:00:00Z");
  const friNine = new Date("2026-11-27T16:00:00Z");
  test.each([
    ["a close two calendar days ahead", "closes", friNine, wed, "closes in 2 days, Fri 27 Nov 09:00 MST"],
    ["a close the next day", "closes", friNine, new Date("2026-11-26T19:00:00Z"), "closes tomorrow, Fri 27 Nov 09:00 MST"],
    ["a close later today", "closes", friNine, new Date("2026-11-27T14:00:00Z"), "closes today at 09:00 MST"],
    ["a close within the hour", "closes", friNine, new Date("2026-11-27T15:35:00Z"), "closes in 25 minutes, at 09:00 MST"],
    ["a close just passed", "closes", friNine, friNine, "closed on Fri 27 Nov 09:00 MST"],
    ["a close long past", "closes", friNine, new Date("2026-12-30T19:00:00Z"), "closed on Fri 27 Nov 09:00 MST"],
    ["an opening in the past", "opens", new Date("2026-11-23T16:00:00Z"), wed, "opened on Mon 23 Nov 09:00 MST"],
    ["an opening next year", "opens", new Date("2027-01-04T16:00:00Z"), wed, "opens in 40 days, Mon 4 Jan 2027 09:00 MST"],
    // 23:30 Wednesday in Denver is already Thursday in UTC: still "tomorrow" in the course's zone.
    ["a close at 00:30 the next day", "closes", new Date("2026-11-26T07:30:00Z"), new Date("2026-11-26T06:15:00Z"), "closes tomorrow, Thu 26 Nov 00:30 MST"],
  ] as const)("%s", (_what, kind, at, now, expected) => {
    expect(whenPhrase(kind, at, now, tz)).toBe(expected);
  });

  test("phrases are kept per minute, so the words still change where the minute or the day does", () => {
    // The same due time asked about by many pages, seconds apart, across local midnight in Denver
    // (07:00 UTC) and across a minute boundary (the minutes left tick over).
    const at = new Date("2026-11-27T16:00:30Z"); // Fri 09:00:30 MST
    const asked: [string, string][] = [
      ["2026-11-26T06:59:50Z", "closes in 2 days, Fri 27 Nov 09:00 MST"], // Wed 23:59:50
      ["2026-11-26T07:00:10Z", "closes tomorrow, Fri 27 Nov 09:00 MST"], // Thu 00:00:10
      ["2026-11-26T06:59:55Z", "closes in 2 days, Fri 27 Nov 09:00 MST"], // back before midnight
      ["2026-11-27T15:58:20Z", "closes in 3 minutes, at 09:00 MST"], // 2 min 10 s left: 3 whole minutes
      ["2026-11-27T15:58:40Z", "closes in 2 minutes, at 09:00 MST"], // same minute, 1 min 50 s left
      ["2026-11-27T16:00:30Z", "closed on Fri 27 Nov 09:00 MST"],
      ["2026-11-27T16:00:20Z", "closes in 1 minute, at 09:00 MST"], // same minute, 10 s before
    ];
    for (const [now, expected] of asked) expect(whenPhrase("closes", at, new Date(now), tz)).toBe(expected);
  });
});
