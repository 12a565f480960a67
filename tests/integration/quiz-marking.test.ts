// Graders change a question's mark or comment on a submitted attempt: the score, the
// grade by the quiz's method, the passed flag, the statistics and the LMS passback follow;
// the student sees it on the review page; every change is kept. Expected figures are
// worked out by hand from the quiz below.
import pg from "pg";
import { readQuizSummary } from "../../src/quiz/quiz.stats.store.js";
import type { SlotQuestion } from "../../src/quiz/questions.js";
import { $, csrfFrom, signedIn, startTestApp, type TestApp } from "../helpers/app.js";
import { keyFields, quizFolder, type AnswerKey } from "../helpers/quiz.js";

// Wednesday 25 Nov 2026, 12:00 in Denver; the quizzes are open Monday 23rd to Friday 27th.
const NOW = new Date("2026-11-25T19:00:00Z");
let now = NOW;

// Points: one 2, two 1, three 1 (4 in all). Grade: the average of the attempts; 50% passes.
const MARKING = `title: Marking quiz
course: cnn
opens: 2026-11-23T09:00
closes: 2026-11-27T09:00
grading: average
passPercent: 50
shuffleChoices: false
review:
  afterSubmit: [score, answers, marks]
  afterClose: [score, answers, marks, correctness]
questions:
  - id: one
    type: single
    points: 2
    text: Pick A.
    choices:
      - { text: A, correct: true }
      - { text: B }
  - id: two
    type: numeric
    text: Two plus two?
    answer: 4
  - id: three
    type: truefalse
    text: The sky is green.
    answer: false
`;
// The same questions; students see nothing of a submitted attempt before the close.
const HIDDEN = MARKING.replace("title: Marking quiz", "title: Hidden quiz").replace("afterSubmit: [score, answers, marks]", "afterSubmit: []");
const KEY: AnswerKey = { one: { choice: "A" }, two: { number: 4 }, three: { value: false } };

const folder = quizFolder({ marking: MARKING, hidden: HIDDEN });
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({}, { quizDir: folder.dir, clock: () => now });
});
afterAll(async () => {
  await t.close();
  folder.remove();
});
beforeEach(async () => {
  now = NOW;
  await t.db.ltiScoreSync.deleteMany({});
  await t.db.ltiLineItem.deleteMany({});
  await t.db.ltiContext.deleteMany({});
  await t.db.reviewRequest.deleteMany({});
  await t.db.quizAttempt.deleteMany({});
  await t.db.quizGrade.deleteMany({});
});

const as = (email: string, password?: string) => signedIn(t, email, password);
type Agent = Awaited<ReturnType<typeof as>>;
const grader = () => as("grader@example.edu", "grader-demo");
const instructor = () => as("instructor@example.edu", "instructor-demo");

/** Takes and submits an attempt, each question right or wrong as `right` says (by question id). */
async function takeQuiz(agent: Agent, quiz: string, right: Record<string, boolean>) {
  const csrf = csrfFrom((await agent.get(`/courses/cnn/quizzes/${quiz}`)).text);
  const started = await agent.post(`/courses/cnn/quizzes/${quiz}/attempts`).type("form").send({ _csrf: csrf });
  expect(started.status).toBe(303);
  const url = started.headers.location as string;
  const id = url.split("/").pop()!;
  const slots = await t.db.quizSlot.findMany({ where: { attemptId: id }, orderBy: { slot: "asc" } });
  const fields = Object.assign({}, ...slots.map((s) => keyFields(KEY, s.question as unknown as SlotQuestion, s.slot, right[s.questionId]!)));
  const page = (await agent.get(url)).text;
  const done = await agent.post(url).type("form").send({ _csrf: csrfFrom(page), action: "submit", ...fields });
  expect(done.status).toBe(303);
  expect((await t.db.quizAttempt.findUniqueOrThrow({ where: { id } })).status).toBe("SUBMITTED");
  const slotOf = Object.fromEntries(slots.map((s) => [s.questionId, s.slot]));
  return { url, id, slotOf };
}

/** The fields of one question's form on the marks page, as a browser would send them. */
function formOf(html: string, slot: number): Record<string, string> {
  const page = $(html);
  const form = page(`#mark-${slot} form`);
  expect(form).toHaveLength(1);
  const fields: Record<string, string> = {};
  form.find("input, textarea").each((_i, el) => {
    const e = page(el);
    const name = e.attr("name");
    if (!name || (e.attr("type") === "checkbox" && e.attr("checked") === undefined)) return;
    fields[name] = el.tagName === "textarea" ? e.text() : (e.attr("value") ?? "");
  });
  return fields;
}

/** Opens the marks page and sends one question's form with `change` typed into it. */
async function changeMark(agent: Agent, attemptUrl: string, slot: number, change: Record<string, string>) {
  const page = await agent.get(`${attemptUrl}/marks`);
  expect(page.status).toBe(200);
  const fields = { ...formOf(page.text, slot), ...change };
  return { res: await agent.post(`${attemptUrl}/marks`).type("form").send(fields), fields };
}

const ids = async () => Object.fromEntries((await t.db.user.findMany()).map((u) => [u.email.split("@")[0]!, u.id]));
const quizId = async (slug: string) => (await t.db.quiz.findFirstOrThrow({ where: { slug } })).id;

test("a new mark changes the attempt's score, the average grade, passed, the statistics and the LMS passback", async () => {
  const { alice: aliceId } = await ids();
  const qid = await quizId("marking");
  // An LMS course with Alice in it, and a gradebook column for this quiz.
  const context = await t.db.ltiContext.create({ data: { issuer: "https://lms.example.edu", clientId: "tool", deploymentId: "d1", contextId: "ml-501", title: "ML 501", courseId: (await t.db.course.findUniqueOrThrow({ where: { slug: "cnn" } })).id, approvedAt: NOW } });
  await t.db.ltiContextMember.create({ data: { contextId: context.id, userId: aliceId!, sub: "lms-alice", seenAt: NOW } });
  const item = await t.db.ltiLineItem.create({ data: { issuer: "https://lms.example.edu", clientId: "tool", resourceLinkId: "quiz-link", lineitem: "https://lms.example.edu/lineitems/7", quizId: qid, contextId: context.id } });

  const alice = await as("alice@example.edu");
  // Attempt 1: one (2) and three (1) right → 3 / 4 = 75%. Attempt 2: all wrong → 0%.
  await takeQuiz(alice, "marking", { one: true, two: false, three: true });
  const second = await takeQuiz(alice, "marking", { one: false, two: false, three: false });
  // Average (75 + 0) / 2 = 37.5% < 50%: not passed; the LMS has 37.5 queued.
  expect(await t.db.quizGrade.findFirstOrThrow({ where: { quizId: qid, userId: aliceId! } })).toMatchObject({ percent: 37.5, passed: false, attempts: 2 });
  expect((await t.db.ltiScoreSync.findUniqueOrThrow({ where: { lineItemId_userId: { lineItemId: item.id, userId: aliceId! } } })).percent).toBe(37.5);

  // The grader gives 1.5 of 2 for question one of attempt 2 (typed with a decimal comma).
  const gus = await grader();
  const { res } = await changeMark(gus, second.url, second.slotOf.one!, { mark: "1,5", reason: "Your working shows the right idea.", comment: "See the slide on kernels." });
  expect(res.status).toBe(303);
  expect(res.headers.location).toBe(`${second.url}/marks#mark-${second.slotOf.one}`);

  // Attempt 2: 1.5 / 4 = 37.5%; grade (75 + 37.5) / 2 = 56.25% ≥ 50%: passed.
  const attempt = await t.db.quizAttempt.findUniqueOrThrow({ where: { id: second.id } });
  expect(attempt.score).toBe(1.5);
  expect(await t.db.quizGrade.findFirstOrThrow({ where: { quizId: qid, userId: aliceId! } })).toMatchObject({ percent: 56.25, passed: true, attempts: 2 });
  expect(await t.db.ltiScoreSync.findUniqueOrThrow({ where: { lineItemId_userId: { lineItemId: item.id, userId: aliceId! } } })).toMatchObject({ percent: 56.25, sentAt: null, changedAt: NOW });

  // The instructor's report: facility of question one (1 + 0.75) / 2 = 87.5%; mean score 56.25%.
  const report = $((await (await instructor()).get("/courses/cnn/quizzes/marking/statistics")).text);
  expect(report("#stat-one h2").text()).toContain("facility 87.5%");
  expect(report("dl.facts").text()).toContain("mean 56.3%, median 56.3%");
});

test("the student sees the new mark, the reason and the comment; staff see the history; putting the automatic mark back is a new change", async () => {
  const alice = await as("alice@example.edu");
  const first = await takeQuiz(alice, "marking", { one: false, two: true, three: true });
  // Alice asks for a review first: the change is linked to her open request.
  const review = $((await alice.get(first.url)).text);
  await alice.post(`${first.url}/review-request`).type("form").send({ _csrf: csrfFrom(review.html()), message: "I think my answer to question 1 deserves some credit." });
  const request = await t.db.reviewRequest.findFirstOrThrow({ where: { attemptId: first.id } });

  const gus = await grader();
  const one = first.slotOf.one!;
  expect((await changeMark(gus, first.url, one, { mark: "1", reason: "Half credit: the reasoning is right.", comment: "Read the weight-sharing section again." })).res.status).toBe(303);

  // Alice: question 1 now 1 of 2, "changed by a grader" with the reason, and the comment; the score 3 / 4.
  const page = $((await alice.get(first.url)).text);
  const q1 = page("section.question").first();
  expect(q1.find("h2").text()).toContain("1 of 2");
  expect(q1.text()).toContain("Mark changed by a grader");
  expect(q1.text()).toContain("Reason: Half credit: the reasoning is right.");
  expect(q1.text()).toContain("Read the weight-sharing section again.");
  expect(page.text()).not.toContain("Gus Grader");
  expect(page("dl.facts").text()).toContain("3 / 4");
  // Her answers are hers to her; to the staff reading the same attempt, the student's.
  expect(page(".q-answer").first().text()).toMatch(/^Your answer: /);
  const staffView = $((await gus.get(first.url)).text);
  expect(staffView(".q-answer").map((_i, el) => staffView(el).text().split(":")[0]).get()).toEqual(["Student's answer", "Student's answer", "Student's answer"]);

  // Put the automatic mark back: a second row; the score is 2 / 4 again; the comment stays.
  const restored = await changeMark(gus, first.url, one, { restore: "1", reason: "Checked with the instructor: the automatic mark stands." });
  expect(restored.fields.comment).toBe("Read the weight-sharing section again.");
  expect(restored.res.status).toBe(303);
  expect((await t.db.quizAttempt.findUniqueOrThrow({ where: { id: first.id } })).score).toBe(2);
  const rows = await t.db.quizMarkChange.findMany({ where: { attemptId: first.id }, orderBy: { number: "asc" } });
  expect(rows.map((r) => [r.number, r.oldMark, r.newMark, r.automatic, r.reason, r.reviewRequestId])).toEqual([
    [1, 0, 1, false, "Half credit: the reasoning is right.", request.id],
    [2, 1, 0, true, "Checked with the instructor: the automatic mark stands.", request.id],
  ]);
  const after = $((await alice.get(first.url)).text)("section.question").first();
  expect(after.find("h2").text()).toContain("0 of 2");
  expect(after.text()).not.toContain("Mark changed by a grader");
  expect(after.text()).toContain("Read the weight-sharing section again.");

  // Staff: the history, newest first, with who, the marks, the reasons and the review request.
  const marks = $((await gus.get(`${first.url}/marks`)).text);
  const cells = marks(`#mark-${one} table.mark-history tbody tr`).map((_i, tr) => [marks(tr).find("td").map((_j, td) => marks(td).text().replace(/\s+/g, " ").trim()).get()]).get() as string[][];
  expect(cells).toHaveLength(2);
  expect(cells[0]!.slice(1)).toEqual(["Gus Grader", "1 → 0 (automatic mark back)", "Checked with the instructor: the automatic mark stands. (during a review request)", "unchanged"]);
  expect(cells[1]!.slice(1)).toEqual(["Gus Grader", "0 → 1", "Half credit: the reasoning is right. (during a review request)", "Read the weight-sharing section again."]);
  // The staff's review page has the tools at the top and says who changed what.
  const staffReview = $((await gus.get(first.url)).text);
  expect(staffReview(".staff-tools a").attr("href")).toBe(`${first.url}/marks`);
  expect(staffReview(".staff-tools").text()).toContain("2 changes so far");
});

test("bad input re-renders the form with what was typed and the message beside the field; nothing is saved", async () => {
  const alice = await as("alice@example.edu");
  const a = await takeQuiz(alice, "marking", { one: false, two: true, three: true });
  const gus = await grader();
  const one = a.slotOf.one!;

  const cases: [Record<string, string>, "mark" | "reason" | "form", RegExp][] = [
    [{ mark: "forty", reason: "Typed reason that must survive." }, "mark", /as a number from 0 to 2/],
    [{ mark: "5", reason: "Typed reason that must survive." }, "mark", /between 0 and 2/],
    [{ mark: "-1", reason: "Typed reason that must survive." }, "mark", /as a number from 0 to 2/],
    [{ mark: "1.5", reason: "   " }, "reason", /Say why the mark changes/],
    [{ comment: "" }, "form", /Nothing changed/],
  ];
  for (const [typed, field, message] of cases) {
    const { res } = await changeMark(gus, a.url, one, typed);
    expect(res.status).toBe(400);
    const page = $(res.text);
    const form = page(`#mark-${one} form`);
    if (typed.mark !== undefined) expect(form.find('input[name="mark"]').attr("value")).toBe(typed.mark);
    if (typed.reason !== undefined) expect(form.find('textarea[name="reason"]').text()).toBe(typed.reason);
    const error = field === "form" ? form.find(".error-text") : page(`#${form.find(`[name="${field}"]`).attr("aria-describedby")}`);
    expect(error.text()).toMatch(message);
    if (field !== "form") expect(form.find(`[name="${field}"]`).attr("aria-invalid")).toBe("true");
  }
  expect(await t.db.quizMarkChange.count()).toBe(0);
  expect((await t.db.quizAttempt.findUniqueOrThrow({ where: { id: a.id } })).score).toBe(2);
});

test("the same form sent twice makes one change", async () => {
  const alice = await as("alice@example.edu");
  const a = await takeQuiz(alice, "marking", { one: false, two: true, three: true });
  const gus = await grader();
  const page = await gus.get(`${a.url}/marks`);
  const fields = { ...formOf(page.text, a.slotOf.one!), mark: "2", reason: "Full credit after review." };
  const [r1, r2] = await Promise.all([0, 1].map(() => gus.post(`${a.url}/marks`).type("form").send(fields)));
  expect([r1!.status, r2!.status]).toEqual([303, 303]);
  expect(await t.db.quizMarkChange.count({ where: { attemptId: a.id } })).toBe(1);
  expect((await t.db.quizAttempt.findUniqueOrThrow({ where: { id: a.id } })).score).toBe(4);
  const again = await gus.post(`${a.url}/marks`).type("form").send(fields);
  expect(again.status).toBe(303);
  expect(await t.db.quizMarkChange.count({ where: { attemptId: a.id } })).toBe(1);
});

test("a comment is shown once the attempt is graded even when the review rules hide marks; the hidden mark and reason are not", async () => {
  const dev = await as("dev@example.edu");
  const a = await takeQuiz(dev, "hidden", { one: true, two: false, three: true });
  const gus = await grader();
  expect((await changeMark(gus, a.url, a.slotOf.two!, { mark: "1", reason: "SECRET-REASON", comment: "Watch the units next time." })).res.status).toBe(303);
  const page = $((await dev.get(a.url)).text);
  expect(page("#staff-comments-h").next("ul").text()).toContain("Question 2: Watch the units next time.");
  expect(page.text()).not.toContain("SECRET-REASON");
  expect(page.text()).not.toContain("Mark changed");
  // After the close the review shows marks: now the change and its reason too.
  now = new Date("2026-11-27T17:00:00Z");
  const later = $((await dev.get(a.url)).text);
  expect(later("section.question").eq(1).text()).toContain("Reason: SECRET-REASON");
});

test("students and staff of other courses cannot see or change marks", async () => {
  const alice = await as("alice@example.edu");
  const a = await takeQuiz(alice, "marking", { one: false, two: true, three: true });
  const gus = await grader();
  const fields = { ...formOf((await gus.get(`${a.url}/marks`)).text, a.slotOf.one!), mark: "2", reason: "Let me in." };

  expect((await alice.get(`${a.url}/marks`)).status).toBe(403);
  const csrf = csrfFrom((await alice.get(a.url)).text);
  expect((await alice.post(`${a.url}/marks`).type("form").send({ ...fields, _csrf: csrf })).status).toBe(403);

  // A grader of another course only.
  const other = await t.db.course.create({ data: { slug: "elsewhere", title: "Another course" } });
  const gusRow = await t.db.user.findUniqueOrThrow({ where: { email: "grader@example.edu" } });
  const olga = await t.db.user.create({ data: { email: "olga@example.edu", name: "Olga Other", passwordHash: gusRow.passwordHash } });
  await t.db.membership.create({ data: { courseId: other.id, userId: olga.id, role: "GRADER" } });
  const o = await as("olga@example.edu", "grader-demo");
  expect((await o.get(`${a.url}/marks`)).status).toBe(403);
  const oCsrf = csrfFrom((await o.get("/courses/elsewhere")).text);
  expect((await o.post(`${a.url}/marks`).type("form").send({ ...fields, _csrf: oCsrf })).status).toBe(403);
  expect((await o.get(`/courses/elsewhere/quizzes/marking/attempts/${a.id}/marks`)).status).toBe(404);
  expect(await t.db.quizMarkChange.count()).toBe(0);
  expect((await t.db.quizAttempt.findUniqueOrThrow({ where: { id: a.id } })).score).toBe(2);
});

test("the statistics show a late submit, a grader's changed mark and a removed student's attempts at the next read", async () => {
  const alice = await as("alice@example.edu");
  const ben = await as("ben@example.edu");
  const statistics = async () => {
    const page = $((await (await instructor()).get("/courses/cnn/quizzes/marking/statistics")).text);
    return { facts: page("dl.facts").text().replace(/\s+/g, " "), two: page("#stat-two h2").text() };
  };
  // Alice: everything right, 4 / 4 = 100%, submitted the moment she started (0 minutes).
  await takeQuiz(alice, "marking", { one: true, two: true, three: true });
  // Ben saves question one right and the others wrong (2 / 4) and leaves the attempt open.
  const csrf = csrfFrom((await ben.get("/courses/cnn/quizzes/marking")).text);
  const url = (await ben.post("/courses/cnn/quizzes/marking/attempts").type("form").send({ _csrf: csrf })).headers.location as string;
  const benId = url.split("/").pop()!;
  const slots = await t.db.quizSlot.findMany({ where: { attemptId: benId } });
  const fields = Object.assign({}, ...slots.map((s) => keyFields(KEY, s.question as unknown as SlotQuestion, s.slot, s.questionId === "one")));
  expect((await ben.post(url).type("form").send({ _csrf: csrfFrom((await ben.get(url)).text), action: "save", ...fields })).status).toBe(303);
  expect((await statistics()).facts).toContain("1 submitted");

  // The quiz closed (Friday 09:00 in Denver, 16:00 UTC) and its minute of grace passed: Ben's
  // attempt is submitted when he opens it, as of 16:01, 45 h 1 min after he started.
  now = new Date("2026-11-27T16:05:00Z");
  await ben.get(url);
  expect(await t.db.quizAttempt.findUniqueOrThrow({ where: { id: benId } })).toMatchObject({ status: "SUBMITTED", autoSubmitted: true, score: 2 });
  // 100% and 50%: mean and median 75%; time (0 + 2701) / 2 = 1350.5 minutes; question two right once in two.
  let s = await statistics();
  expect(s.facts).toContain("2 submitted");
  expect(s.facts).toContain("mean 75.0%, median 75.0%");
  expect(s.facts).toContain("1350.5 minutes on average");
  expect(s.two).toContain("facility 50.0%");

  // A grader gives Ben question two's point: 3 / 4 = 75%, so mean and median 87.5%; question two 100%.
  const { res } = await changeMark(await grader(), url, slots.find((x) => x.questionId === "two")!.slot, { mark: "1", reason: "4.0 is 4." });
  expect(res.status).toBe(303);
  s = await statistics();
  expect(s.facts).toContain("mean 87.5%, median 87.5%");
  expect(s.two).toContain("facility 100.0%");

  // Ben is removed from the course; his attempt is kept (he may come back) but no longer counted,
  // as on the quiz page: Alice's alone, here and in the dashboard's chart.
  const courseId = (await t.db.course.findUniqueOrThrow({ where: { slug: "cnn" } })).id;
  const benUser = await t.db.user.findUniqueOrThrow({ where: { email: "ben@example.edu" } });
  await t.db.membership.delete({ where: { userId_courseId: { userId: benUser.id, courseId } } });
  s = await statistics();
  expect(s.facts).toContain("1 submitted");
  expect(s.facts).toContain("mean 100.0%, median 100.0%");
  expect(s.two).toContain("facility 100.0%");
  const quiz = $((await (await instructor()).get("/courses/cnn/quizzes/marking")).text);
  expect(quiz("main").text()).toContain("1 submitted attempt ·");
  const pool = new pg.Pool({ connectionString: t.url });
  try {
    expect(await readQuizSummary(pool, (await t.db.quiz.findFirstOrThrow({ where: { slug: "marking" } })).id)).toMatchObject({ attempts: 1, mean: 100 });
  } finally {
    await pool.end();
  }
  await t.db.membership.create({ data: { userId: benUser.id, courseId, role: "STUDENT" } });
  expect((await statistics()).facts).toContain("2 submitted");
  // A student deleted with his attempts: the same.
  await t.db.quizAttempt.deleteMany({ where: { id: benId } });
  s = await statistics();
  expect(s.facts).toContain("1 submitted");
  expect(s.facts).toContain("mean 100.0%, median 100.0%");
});
