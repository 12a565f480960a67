// The student's week page (/courses/:slug/week, and /students/:id for staff, read-only) and the
// course page's to-do list: what is done, what is due next with time left in words in the
// course's time zone, the quiz grade as points, the team's case-study points, and the answers
// to review requests at the top. Expected values are worked out by hand in the comments.
import fs from "node:fs";
import path from "node:path";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { copyDemoQuiz, quizFolder } from "../helpers/quiz.js";
import { $, CONTENT_DIR, csrfFrom, signedIn, startTestApp, TEST_NOW, type TestApp } from "../helpers/app.js";
import { syncContent } from "../../src/content/content.sync.js";
import { createLogger } from "../../src/platform/logger.js";
import { demoRows } from "../helpers/demo.js";
import pg from "pg";
import { CoursesService } from "../../src/courses/courses.service.js";
import { readParts } from "../../src/platform/sql-parts.js";

let t: TestApp;
const now = TEST_NOW; // Wed 12 Mar 2031 11:00 MDT (America/Denver), the demo course's start
beforeAll(async () => {
  t = await startTestApp({}, { clock: () => now });
});
afterAll(() => t.close());

const text = (s: string) => s.replace(/\s+/g, " ").trim();

/** The "Review answered" items of an agent's course page's to-do list: their text and link. */
async function answersOnTodo(agent: Awaited<ReturnType<typeof signedIn>>) {
  const course = $((await agent.get("/courses/cnn")).text);
  return course("#todo-h").parent().find(".todo-item")
    .filter((_i, li) => text(course(li).find(".todo-kind").text()) === "Review answered")
    .map((_i, li) => ({ text: text(course(li).text()), href: course(li).find("a").attr("href") })).get();
}

test("a new week: nothing done, and what is due next in date order, with the time left in words", async () => {
  const alice = await signedIn(t, "alice@example.edu");
  const course = $((await alice.get("/courses/cnn")).text);
  // The course page links the week from the course navigation and from its to-do list.
  expect(course("nav.course-nav a").filter((_i, a) => course(a).text() === "My week").attr("href")).toBe("/courses/cnn/week");
  const page = await alice.get("/courses/cnn/week");
  expect(page.status).toBe(200);
  const $p = $(page.text);
  expect($p("h1").text()).toBe("My week");
  // The demo module has three Theory and three Practical checklist items.
  expect($p(".week-progress li").map((_i, li) => text($p(li).find("strong").first().text())).get()).toEqual(["Theory: 0 of 3", "Practical: 0 of 3"]);
  // Theory and the quiz: Friday 14 Mar 09:00 MDT, two calendar days on; Practical: Monday 17 Mar 09:00;
  // the case study: a week after the start at 23:59, Wednesday 19 Mar.
  const todo = $p(".week-next .todo-item").map((_i, li) => text($p(li).text())).get();
  expect(todo).toEqual([
    "Theory What a convolution does 0 of 3 Theory items done · due in 2 days, Fri 14 Mar 09:00 MDT",
    "Quiz Friday preparation quiz: convolutional networks not attempted yet · closes in 2 days, Fri 14 Mar 09:00 MDT",
    "Practical Read and run our Keras CNN tutorial: you will reuse its code. 0 of 3 Practical items done · due in 5 days, Mon 17 Mar 09:00 MDT",
    "Case study Case study: traffic-sign recognition no scored submission yet · due in 7 days, Wed 19 Mar 23:59 MDT",
  ]);
  expect($p(".week-next .todo-item a").first().attr("href")).toMatch(/^\/courses\/cnn\/modules\/cnn\/readings\/overview#/);
  // No enum names anywhere on the page.
  expect($p("main").text()).not.toMatch(/THEORY|PRACTICAL|SCORED|SUBMITTED/);
  // The course page's to-do list shows the same items.
  expect(course("#todo-h").parent().find(".todo-item").length).toBe(4);
  expect(text(course("#todo-h").parent().find(".todo-item").first().text())).toBe(todo[0]);
});

test("ticking an item moves the week on: x of y done, and the next item is the following one", async () => {
  const alice = await signedIn(t, "alice@example.edu");
  const module = await alice.get("/courses/cnn/modules/cnn");
  const first = $(module.text)("[data-item]").first();
  const tick = await alice.post(first.find("form").attr("action")!).set("Accept", "application/json").type("form").send({ _csrf: csrfFrom(module.text), done: "1" });
  expect(tick.status).toBe(200);
  // The module page's "Next:" line follows the tick: the second Theory item, in document order.
  expect(tick.body.next).toEqual({ title: "Layers of a CNN", href: expect.stringMatching(/^\/courses\/cnn\/modules\/cnn\/readings\/overview#/), label: "Theory", overdue: false });
  const $p = $((await alice.get("/courses/cnn/week")).text);
  expect(text($p(".week-progress li").first().find("strong").text())).toBe("Theory: 1 of 3");
  expect(text($p(".week-next .todo-item").first().text())).toBe("Theory Layers of a CNN 1 of 3 Theory items done · due in 2 days, Fri 14 Mar 09:00 MDT");
  await alice.post(first.find("form").attr("action")!).set("Accept", "application/json").type("form").send({ _csrf: csrfFrom(module.text), done: "0" });
});

test("the quiz grade reads as points and a rounded percent; the team's case-study points and best score show", async () => {
  const { alice, quiz, cs, team } = await demoRows(t);
  // One submitted attempt: 4 of the demo quiz's 14 one-point questions. 4 / 14 = 28.57…% → "29%".
  await t.db.quizAttempt.create({ data: { quizId: quiz.id, userId: alice.id, number: 1, status: "SUBMITTED", seed: "s", contentHash: "h", startedAt: new Date(now.getTime() - 3600_000), submittedAt: new Date(now.getTime() - 1800_000), score: 4, maxScore: 14 } });
  await t.db.quizGrade.create({ data: { quizId: quiz.id, userId: alice.id, percent: (4 / 14) * 100, passed: false, attempts: 1 } });
  // Two scored submissions of Alice's team: public points 40 (F1 0.8380) and 55 (F1 0.8560). Before the deadline
  // the team's points are the best public points: 55 of 100, from submission #2; the best public F1 is 0.8560.
  const sub = (number: number, publicScore: number, publicPoints: number) => t.db.submission.create({
    data: {
      caseStudyId: cs.id, teamId: team.id, userId: alice.id, number, filename: `m${number}.keras`, storedPath: "/nowhere", bytes: 1, status: "SCORED",
      results: { create: { holdoutVersion: "v1", publicScore, privateScore: 0.5, publicPoints, privatePoints: 1, accuracy: 0.9, engine: "test", details: {} } },
    },
  });
  await sub(1, 0.838, 40);
  const second = await sub(2, 0.856, 55);

  const page = await (await signedIn(t, "alice@example.edu")).get("/courses/cnn/week");
  const $p = $(page.text);
  expect(text($p(".week-quiz .week-grade").text())).toBe("Grade: 4 / 14 points (29%) — not passed yet (90% needed) · 1 attempt");
  expect(text($p(".week-quiz td").eq(1).text())).toBe("4 / 14");
  expect(text($p(".week-case .week-points").text())).toBe("Team points on the public half so far: 55 of 100, from submission #2.");
  expect($p(".week-case .week-points a").attr("href")).toBe(`/courses/cnn/case-studies/cnn/submissions/${second.id}`);
  expect(text($p(".week-case").text())).toContain("Best public macro-F1: 0.8560 · 2 submissions");
  // The quiz is still on the to-do list: not passed, and open.
  expect(text($p(".week-next").text())).toContain("Friday preparation quiz: convolutional networks not passed yet: 29%, 90% needed · closes in 2 days, Fri 14 Mar 09:00 MDT");
  expect($p("main").text()).not.toContain("28.57");
  // The "Done so far" column sums the week up: the quiz grade and the team's points.
  expect(text($p(".week-done").text())).toContain("Friday preparation quiz: convolutional networks: 4 / 14 points (29%)");
  expect(text($p(".week-done").text())).toContain("Case study: traffic-sign recognition: 55 of 100 (public half, so far)");
});

test("an answered review request is on the course page's to-do list and new at the top of the week until the student has read it; staff see the same page read-only", async () => {
  const { alice, grader, quiz } = await demoRows(t);
  const attempt = await t.db.quizAttempt.findFirstOrThrow({ where: { quizId: quiz.id, userId: alice.id } });
  await t.db.reviewRequest.create({
    data: { courseId: quiz.courseId, attemptId: attempt.id, askedById: alice.id, message: "Question 3 accepted 5 but I typed 5.0.", createdAt: new Date(now.getTime() - 86_400_000), resolvedAt: new Date(now.getTime() - 3600_000), resolvedById: grader.id, response: "5.0 is within the tolerance; the grade stands." },
  });
  const student = await signedIn(t, "alice@example.edu");
  // Not read yet: first on the course page's to-do list, linking to where it is answered.
  const course = $((await student.get("/courses/cnn")).text);
  const first = course("#todo-h").parent().find(".todo-item").first();
  expect(text(first.find(".todo-kind").text())).toBe("Review answered");
  expect(first.find("a").attr("href")).toBe(`/courses/cnn/quizzes/cnn-friday/attempts/${attempt.id}#review-h`);
  // Staff opening her attempt, and a HEAD request of hers (nothing shown), read nothing for her.
  const grading = await signedIn(t, "grader@example.edu", DEMO_PASSWORDS.grader);
  expect((await grading.get(`/courses/cnn/quizzes/cnn-friday/attempts/${attempt.id}`)).status).toBe(200);
  expect((await student.head(`/courses/cnn/quizzes/cnn-friday/attempts/${attempt.id}`)).status).toBe(200);
  expect((await student.head("/courses/cnn/week")).status).toBe(200);
  expect(await t.db.reviewAnswerRead.count()).toBe(0);
  expect((await answersOnTodo(student)).map((a) => a.href)).toEqual([`/courses/cnn/quizzes/cnn-friday/attempts/${attempt.id}#review-h`]);
  const $p = $((await student.get("/courses/cnn/week")).text);
  // The answers come before everything else in the page's content, this one marked new.
  expect($p("main section").first().attr("aria-labelledby")).toBe("answers-h");
  const answer = $p(".week-answer");
  expect(text(answer.find(".badge").text())).toBe("Answered");
  expect(text(answer.find("p").first().text())).toBe("Answered Friday preparation quiz: convolutional networks, attempt 1 New");
  // An hour before TEST_NOW, in Denver: Wed 12 Mar 10:00 MDT (the page's one time zone, as the due times).
  expect(text(answer.text())).toContain("Gus Grader answered on Wed 12 Mar 10:00 MDT");
  expect(text(answer.text())).toContain("“5.0 is within the tolerance; the grade stands.”");
  expect(answer.find("a").attr("href")).toBe(`/courses/cnn/quizzes/cnn-friday/attempts/${attempt.id}#review-h`);
  // The week page showed the answer in full: read. It leaves the to-do list and is no longer new; the week page keeps it.
  expect(await answersOnTodo(student)).toEqual([]);
  const again = $((await student.get("/courses/cnn/week")).text);
  expect(text(again(".week-answer p").first().text())).toBe("Answered Friday preparation quiz: convolutional networks, attempt 1");
  expect(text(again(".week-answer").text())).toContain("“5.0 is within the tolerance; the grade stands.”");

  // The instructor sees Alice's week, the same figures, and no forms; another student cannot.
  const instructor = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const staffView = await instructor.get(`/courses/cnn/students/${alice.id}`);
  expect(staffView.status).toBe(200);
  const $s = $(staffView.text);
  expect($s(".notice").text()).toContain("read-only");
  expect(text($s(".week-quiz .week-grade").text())).toBe(text($p(".week-quiz .week-grade").text()));
  expect(text($s(".week-case .week-points").text())).toBe(text($p(".week-case .week-points").text()));
  expect($s("main form").length).toBe(0);
  expect((await instructor.get("/courses/cnn/week")).headers.location).toBe("/courses/cnn/people");
  const ben = await signedIn(t, "ben@example.edu");
  expect((await ben.get(`/courses/cnn/students/${alice.id}`)).status).toBe(403);
  // Alice's teammate does not see her quiz's review request (it is about her attempt, not the team's submission).
  expect($((await ben.get("/courses/cnn/week")).text)(".week-answer").length).toBe(0);
});

test("opening her attempt's page, which shows the answer, reads it", async () => {
  const { alice, grader, quiz } = await demoRows(t);
  const second = await t.db.quizAttempt.create({ data: { quizId: quiz.id, userId: alice.id, number: 2, status: "SUBMITTED", seed: "s2", contentHash: "h", startedAt: new Date(now.getTime() - 7200_000), submittedAt: new Date(now.getTime() - 5400_000), score: 6, maxScore: 14 } });
  const r = await t.db.reviewRequest.create({ data: { courseId: quiz.courseId, attemptId: second.id, askedById: alice.id, message: "Question 5 again.", createdAt: new Date(now.getTime() - 5000_000), resolvedAt: new Date(now.getTime() - 60_000), resolvedById: grader.id, response: "Marked right now: see the new mark." } });
  const student = await signedIn(t, "alice@example.edu");
  expect((await answersOnTodo(student)).map((a) => a.href)).toEqual([`/courses/cnn/quizzes/cnn-friday/attempts/${second.id}#review-h`]);
  const page = await student.get(`/courses/cnn/quizzes/cnn-friday/attempts/${second.id}`);
  expect(text($(page.text)("main").text())).toContain("Marked right now: see the new mark.");
  expect(await answersOnTodo(student)).toEqual([]);
  expect(await t.db.reviewAnswerRead.findMany({ where: { reviewRequestId: r.id }, select: { userId: true } })).toEqual([{ userId: alice.id }]);
});

test("a submission's answer is on each team member's to-do list, however old, until that member has opened its page or their week page; staff reading it read nothing for them", async () => {
  const { cs, grader } = await demoRows(t);
  const ben = await t.db.user.findFirstOrThrow({ where: { email: "ben@example.edu" } });
  const chloeRow = await t.db.user.findFirstOrThrow({ where: { email: "chloe@example.edu" } });
  const sub = await t.db.submission.findFirstOrThrow({ where: { caseStudyId: cs.id, number: 2 } });
  const old = await t.db.submission.findFirstOrThrow({ where: { caseStudyId: cs.id, number: 1 } });
  const day = 86_400_000;
  // Answered an hour ago, and 30 days ago (no longer a reason to leave the list).
  await t.db.reviewRequest.create({ data: { courseId: cs.courseId, submissionId: sub.id, askedById: ben.id, message: "Submission 2 looks better than its points.", createdAt: new Date(now.getTime() - 2 * day), resolvedAt: new Date(now.getTime() - 3600_000), resolvedById: grader.id, response: "The points follow the rule; no change." } });
  await t.db.reviewRequest.create({ data: { courseId: cs.courseId, submissionId: old.id, askedById: ben.id, message: "Submission 1 was scored on the wrong holdout.", createdAt: new Date(now.getTime() - 31 * day), resolvedAt: new Date(now.getTime() - 30 * day), resolvedById: grader.id, response: "It was the right one." } });
  const readBefore = await t.db.reviewAnswerRead.count();
  const answerTexts = async (agent: Awaited<ReturnType<typeof signedIn>>) => (await answersOnTodo(agent)).map((a) => a.text);
  const about = (n: number) => `Review answered Read the staff's answer about Case study: traffic-sign recognition, submission #${n} answered by Gus Grader`;
  // Staff open both submissions' pages and Chloe's week: that reads nothing for the team.
  const instructor = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  for (const path of [`/courses/cnn/case-studies/${cs.slug}/submissions/${sub.id}`, `/courses/cnn/case-studies/${cs.slug}/submissions/${old.id}`, `/courses/cnn/students/${chloeRow.id}`]) {
    expect([path, (await instructor.get(path)).status]).toEqual([path, 200]);
  }
  expect(await t.db.reviewAnswerRead.count()).toBe(readBefore);
  const chloe = await signedIn(t, "chloe@example.edu"); // the third member of Stop Signs: she did not ask
  expect(await answerTexts(chloe)).toEqual([about(2), about(1)]);
  // While submission #1 is being rescored its page shows no answers: opening it reads nothing.
  await t.db.submission.update({ where: { id: old.id }, data: { status: "QUEUED" } });
  expect(text($((await chloe.get(`/courses/cnn/case-studies/${cs.slug}/submissions/${old.id}`)).text)("main").text())).not.toContain("It was the right one.");
  await t.db.submission.update({ where: { id: old.id }, data: { status: "SCORED" } });
  expect(await answerTexts(chloe)).toEqual([about(2), about(1)]);
  // She opens submission #2's page, which shows its answer: it leaves her list, not Ben's.
  const page = await chloe.get(`/courses/cnn/case-studies/${cs.slug}/submissions/${sub.id}`);
  expect(text($(page.text)("main").text())).toContain("The points follow the rule; no change.");
  expect(await answerTexts(chloe)).toEqual([about(1)]);
  const benAgent = await signedIn(t, "ben@example.edu");
  expect(await answerTexts(benAgent)).toEqual([about(2), about(1)]);
  // Her week page lists both answers, the newer first; only the one she has not read is new. Then both are read.
  const week = $((await chloe.get("/courses/cnn/week")).text);
  expect(week(".week-answer").map((_i, li) => text(week(li).find("p").first().text())).get()).toEqual([
    "Answered Case study: traffic-sign recognition, submission #2",
    "Answered Case study: traffic-sign recognition, submission #1 New",
  ]);
  expect(await answerTexts(chloe)).toEqual([]);
  expect(await t.db.reviewAnswerRead.count({ where: { userId: chloeRow.id } })).toBe(2);
  expect(await t.db.reviewAnswerRead.count({ where: { userId: ben.id } })).toBe(0);
  // The course page's own statement (when the session's did not bring the part) reads the same: what each has not read.
  const pool = new pg.Pool({ connectionString: t.url, max: 1 });
  try {
    const courses = new CoursesService({ db: t.db, sql: pool });
    const unread = async (userId: string) => (await readParts(pool, { home: courses.teamAndAnswersPart(cs.courseId, userId) })).home.answers.map((a) => a.submission?.number);
    expect(await unread(ben.id)).toEqual([2, 1]);
    expect(await unread(chloeRow.id)).toEqual([]);
  } finally {
    await pool.end();
  }
});

test("a quiz not passed with every attempt used leaves the to-do list (nothing left to do there); with one left it stays", async () => {
  const folder = quizFolder({});
  copyDemoQuiz(folder.dir, { opens: "2031-03-10T09:00", closes: "2031-03-14T09:00" });
  const file = path.join(folder.dir, "cnn-friday.yaml");
  fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/^attempts: unlimited$/m, "attempts: 2"));
  const app = await startTestApp({}, { quizDir: folder.dir, clock: () => now });
  try {
    const alice = await app.db.user.findFirstOrThrow({ where: { email: "alice@example.edu" } });
    const quiz = await app.db.quiz.findFirstOrThrow({});
    const attempt = (number: number) => app.db.quizAttempt.create({ data: { quizId: quiz.id, userId: alice.id, number, status: "SUBMITTED", seed: `s${number}`, contentHash: "h", startedAt: new Date(now.getTime() - 7200_000), submittedAt: new Date(now.getTime() - 3600_000), score: 4, maxScore: 14 } });
    await attempt(1);
    await app.db.quizGrade.create({ data: { quizId: quiz.id, userId: alice.id, percent: (4 / 14) * 100, passed: false, attempts: 1 } });
    const next = async () => text($((await (await signedIn(app, "alice@example.edu")).get("/courses/cnn/week")).text)(".week-next").text());
    // One of two attempts used: still to do.
    expect(await next()).toContain("Friday preparation quiz: convolutional networks not passed yet: 29%, 90% needed");
    await attempt(2);
    await app.db.quizGrade.update({ where: { quizId_userId: { quizId: quiz.id, userId: alice.id } }, data: { attempts: 2 } });
    // Both used: the quiz page would refuse a third, so the list does not send her there.
    expect(await next()).not.toContain("Friday preparation quiz");
  } finally {
    await app.close();
    folder.remove();
  }
});

test("a quiz whose review rules hide the score until it closes: no grade, score or pass on the week and course pages, nor on the to-do list; staff see it; after the close it shows", async () => {
  const folder = quizFolder({});
  copyDemoQuiz(folder.dir, { opens: "2031-03-10T09:00", closes: "2031-03-14T09:00" });
  const file = path.join(folder.dir, "cnn-friday.yaml");
  const rules = (afterClose: string) => fs.readFileSync(file, "utf8").replace(/^ {2}afterSubmit: .*$/m, "  afterSubmit: [answers]").replace(/^ {2}afterClose: .*$/m, `  afterClose: ${afterClose}`);
  fs.writeFileSync(file, rules("[score, answers]"));
  let clock = now;
  const app = await startTestApp({}, { quizDir: folder.dir, clock: () => clock });
  try {
    const quiz = await app.db.quiz.findFirstOrThrow({});
    // Alice passed (13 of 14: 92.9% ≥ 90%), Ben did not (4 of 14: 28.6%): before the close neither may know which.
    for (const [email, score, passed] of [["alice@example.edu", 13, true], ["ben@example.edu", 4, false]] as const) {
      const user = await app.db.user.findFirstOrThrow({ where: { email } });
      await app.db.quizAttempt.create({ data: { quizId: quiz.id, userId: user.id, number: 1, status: "SUBMITTED", seed: "s", contentHash: "h", startedAt: new Date(now.getTime() - 7200_000), submittedAt: new Date(now.getTime() - 3600_000), score, maxScore: 14 } });
      await app.db.quizGrade.create({ data: { quizId: quiz.id, userId: user.id, percent: (score / 14) * 100, passed, attempts: 1 } });
    }
    const alice = await signedIn(app, "alice@example.edu");
    const aliceId = (await app.db.user.findFirstOrThrow({ where: { email: "alice@example.edu" } })).id;
    for (const who of ["alice@example.edu", "ben@example.edu"]) {
      const agent = who === "alice@example.edu" ? alice : await signedIn(app, who);
      const week = $((await agent.get("/courses/cnn/week")).text);
      const quizCard = text(week(".week-quiz").text());
      expect(quizCard).toContain("Your grade is shown after the quiz closes.");
      expect(week(".week-quiz tbody td").map((_i, td) => text(week(td).text())).get()).toEqual(["Attempt 1", "not shown"]);
      expect(quizCard).not.toMatch(/\/ 14|%|passed/);
      expect(text(week(".week-done").text())).toContain("Friday preparation quiz: convolutional networks: Your grade is shown after the quiz closes.");
      // Submitted, its grade not shown: not on the to-do list, passed or not.
      expect(text(week(".week-next").text())).not.toContain("Friday preparation quiz");
      const course = $((await agent.get("/courses/cnn")).text);
      expect(text(course("main").text())).not.toMatch(/passed|\d+%/);
      expect(text(course("#todo-h").parent().text())).not.toContain("Friday preparation quiz");
    }
    // Staff looking at Alice's week see her grade.
    const instructor = await signedIn(app, "instructor@example.edu", DEMO_PASSWORDS.instructor);
    expect(text($((await instructor.get(`/courses/cnn/students/${aliceId}`)).text)(".week-quiz .week-grade").text())).toBe("Grade: 13 / 14 points (93%) — passed · 1 attempt");
    // After the close the rules show the score: Alice sees it everywhere.
    clock = new Date("2031-03-14T16:00:00Z"); // Fri 14 Mar 10:00 MDT
    const after = $((await alice.get("/courses/cnn/week")).text);
    expect(text(after(".week-quiz .week-grade").text())).toBe("Grade: 13 / 14 points (93%) — passed · 1 attempt");
    expect(text(after(".week-quiz td").eq(1).text())).toBe("13 / 14");
    expect($((await alice.get("/courses/cnn")).text)(".badge").text()).toBe("passed");
    // Rules that never show the score say so, here and on the quiz page.
    clock = now;
    fs.writeFileSync(file, rules("[answers]"));
    await syncContent({ db: app.db, contentDir: CONTENT_DIR, quizDir: folder.dir, logger: createLogger("silent") });
    const never = "The grades of this quiz are not shown to students.";
    expect(text($((await alice.get("/courses/cnn/week")).text)(".week-quiz").text())).toContain(never);
    expect(text($((await alice.get("/courses/cnn/quizzes/cnn-friday")).text)("main").text())).toContain(never);
  } finally {
    await app.close();
    folder.remove();
  }
});
