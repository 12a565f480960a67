// The quiz's JSON columns are read through their zod schemas (src/quiz/quiz.stored.ts): a
// definition or an attempt's question stored in a form this version cannot read is a
// clear error naming the quiz (or the question) and saying what to do, not a crash deep
// inside a page; the demo quiz's stored definition parses back to itself.
import { isDeepStrictEqual } from "node:util";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { QuizDefinition, readQuizDefinition } from "../../src/quiz/quiz.stored.js";
import { $, csrfFrom, signedIn, startTestApp, type TestApp } from "../helpers/app.js";

let t: TestApp;
beforeAll(async () => {
  // Wednesday 25 Nov 2026: the demo quiz is open.
  t = await startTestApp({}, { clock: () => new Date("2026-11-25T19:00:00Z") });
});
afterAll(async () => {
  await t.close();
});

const TITLE = "Friday preparation quiz: convolutional networks";
const QUIZ = "/courses/cnn/quizzes/cnn-friday";
const errorText = (html: string) => $(html)("main").text().replace(/\s+/g, " ");

/** Starts an attempt at the demo quiz; its page, id and the slot of the question "weight-sharing". */
async function startAttempt(agent: Awaited<ReturnType<typeof signedIn>>) {
  const started = await agent.post(`${QUIZ}/attempts`).type("form").send({ _csrf: csrfFrom((await agent.get(QUIZ)).text) });
  expect(started.status).toBe(303);
  const url = started.headers.location as string;
  const attemptId = url.split("/").pop()!;
  const slot = await t.db.quizSlot.findFirstOrThrow({ where: { attemptId, questionId: "weight-sharing" } });
  return { url, attemptId, slot };
}

test("the demo quiz's stored definition reads back as it was written", async () => {
  const quiz = await t.db.quiz.findFirstOrThrow({ where: { slug: "cnn-friday" } });
  const parsed = QuizDefinition.v1.parse(quiz.definition);
  expect(isDeepStrictEqual(JSON.parse(JSON.stringify(parsed)), quiz.definition)).toBe(true);
  // Read once per row version: the same row read again gives the very same object.
  expect(readQuizDefinition(quiz)).toBe(readQuizDefinition({ ...quiz, definition: structuredClone(quiz.definition) }));
});

test("a stored definition this version cannot read: the quiz page says which quiz and to sync the content again", async () => {
  const quiz = await t.db.quiz.findFirstOrThrow({ where: { slug: "cnn-friday" } });
  const good = quiz.definition as Record<string, unknown>;
  await t.db.quiz.update({ where: { id: quiz.id }, data: { definition: { ...good, grading: "best", questions: "all of them" } } });
  try {
    const instructor = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
    const res = await instructor.get(QUIZ);
    expect(res.status).toBe(500);
    const text = errorText(res.text);
    expect(text).toContain(`The quiz "${TITLE}" is stored in a form this version cannot read`);
    expect(text).toContain("grading: grading must be highest, latest, average or first");
    expect(text).toContain("sync the course content again");
  } finally {
    await t.db.quiz.update({ where: { id: quiz.id }, data: { definition: good as object } });
  }
  // Written back, the page works again (the version changed with the row).
  const instructor = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  expect((await instructor.get(QUIZ)).status).toBe(200);
});

test("a stored definition this version cannot read does not take the student's course, module and week pages down: the quiz is listed, its own page says what to do", async () => {
  const quiz = await t.db.quiz.findFirstOrThrow({ where: { slug: "cnn-friday" } });
  const good = quiz.definition as Record<string, unknown>;
  await t.db.quiz.update({ where: { id: quiz.id }, data: { definition: { ...good, passPercent: "most" } } });
  // Alice's own later close (an exception): still what her pages say, though the quiz's rules cannot be read.
  const [aliceRow, prof] = await Promise.all([t.db.user.findUniqueOrThrow({ where: { email: "alice@example.edu" } }), t.db.user.findUniqueOrThrow({ where: { email: "instructor@example.edu" } })]);
  await t.db.quizOverride.create({ data: { quizId: quiz.id, userId: aliceRow.id, closesAt: new Date("2026-12-20T17:00:00Z"), setById: prof.id } });
  try {
    const alice = await signedIn(t, "alice@example.edu", DEMO_PASSWORDS.student);
    for (const page of ["/courses/cnn", "/courses/cnn/modules/cnn", "/courses/cnn/week"]) {
      const res = await alice.get(page);
      expect(res.status).toBe(200);
      expect($(res.text)(`main a[href='${QUIZ}']`).length).toBeGreaterThan(0);
      const doc = $(res.text);
      expect(doc(`main a[href='${QUIZ}']`).closest("li, article").text()).toContain("20 Dec");
    }
    const week = $((await alice.get("/courses/cnn/week")).text);
    expect(week(".week-quiz").text()).toContain("This quiz cannot be shown right now: the course content needs syncing again");
    // Not on the to-do list: whether it is still to do depends on the rules that cannot be read.
    expect(week(`.todo-item a[href^='${QUIZ}']`)).toHaveLength(0);
    const page = await alice.get(QUIZ);
    expect(page.status).toBe(500);
    expect(errorText(page.text)).toContain(`The quiz "${TITLE}" is stored in a form this version cannot read`);
  } finally {
    await t.db.quiz.update({ where: { id: quiz.id }, data: { definition: good as object } });
    await t.db.quizOverride.deleteMany({ where: { quizId: quiz.id, userId: aliceRow.id } });
  }
  // Readable again, it is to do (open, not passed): what the to-do check above would have found.
  const alice = await signedIn(t, "alice@example.edu", DEMO_PASSWORDS.student);
  expect($((await alice.get("/courses/cnn/week")).text)(`.todo-item a[href^='${QUIZ}']`).length).toBeGreaterThan(0);
});

test("an attempt's question this version cannot read: the attempt page and the statistics say which question and quiz; nothing is lost", async () => {
  const alice = await signedIn(t, "alice@example.edu");
  const { url, attemptId, slot } = await startAttempt(alice);
  // Stored without its points, text and variant (as a much older version might have).
  await t.db.quizSlot.update({ where: { attemptId_slot: { attemptId, slot: slot.slot } }, data: { question: { id: "weight-sharing", type: "single" }, response: { choice: "c0" } } });

  const page = await alice.get(url);
  expect(page.status).toBe(500);
  const text = errorText(page.text);
  expect(text).toContain("A question (weight-sharing) of this quiz attempt is stored in a form this version cannot read (points:");
  expect(text).toContain("The saved answers are kept as they are");
  // The answer stays stored.
  expect((await t.db.quizSlot.findUniqueOrThrow({ where: { attemptId_slot: { attemptId, slot: slot.slot } } })).response).toEqual({ choice: "c0" });

  // Submitted (here by hand), the statistics name the quiz and the question.
  await t.db.quizAttempt.update({ where: { id: attemptId }, data: { status: "SUBMITTED", submittedAt: new Date("2026-11-25T19:10:00Z"), score: 0 } });
  const instructor = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const stats = await instructor.get(`${QUIZ}/statistics`);
  expect(stats.status).toBe(500);
  expect(errorText(stats.text)).toContain(`A question (weight-sharing) of the quiz "${TITLE}" is stored in a form this version cannot read (points: missing)`);
});

test("a saved answer this version cannot read: the attempt page names the question and says the answer is kept; it stays as stored", async () => {
  const ben = await signedIn(t, "ben@example.edu");
  const { url, attemptId, slot } = await startAttempt(ben);
  // A choice stored as a number, with a field no version writes.
  const odd = { choice: 2, extra: true };
  await t.db.quizSlot.update({ where: { attemptId_slot: { attemptId, slot: slot.slot } }, data: { response: odd } });
  const page = await ben.get(url);
  expect(page.status).toBe(500);
  const text = errorText(page.text);
  expect(text).toContain("A question (weight-sharing) of this quiz attempt is stored in a form this version cannot read (the saved answer:");
  expect(text).toContain("The saved answers are kept as they are");
  expect((await t.db.quizSlot.findUniqueOrThrow({ where: { attemptId_slot: { attemptId, slot: slot.slot } } })).response).toEqual(odd);
});
