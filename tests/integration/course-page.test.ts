// The course and module pages say when the quiz closes in words, in the course's time zone, and say
// "closed on" once it has (not "closes Nov 27" for a quiz long closed).
import pg from "pg";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { $, signedIn, startTestApp, TEST_NOW, type TestApp } from "../helpers/app.js";

let t: TestApp;
let now = TEST_NOW;
beforeAll(async () => {
  t = await startTestApp({}, { clock: () => now });
});
afterAll(() => t.close());

test("the quiz's closing time reads in words on the course and module pages, before and after it closes", async () => {
  const alice = await signedIn(t, "alice@example.edu", DEMO_PASSWORDS.student);
  // The demo course starts at TEST_NOW, Wed 12 Mar 2031 11:00 in Denver (MDT); its quiz closes
  // "start, +1 day, friday 09:00": Fri 14 Mar 09:00 MDT, two calendar days on.
  const quizLine = async (path: string) => $((await alice.get(path)).text)("a[href='/courses/cnn/quizzes/cnn-friday']").closest("li").text().replace(/\s+/g, " ");
  expect(await quizLine("/courses/cnn")).toContain("closes in 2 days, Fri 14 Mar 09:00 MDT");
  expect(await quizLine("/courses/cnn/modules/cnn")).toContain("closes in 2 days, Fri 14 Mar 09:00 MDT");
  // The case study's deadline in the same words and zone: a week after the start, at 23:59 (Wed 19 Mar).
  const caseLine = $((await alice.get("/courses/cnn")).text)("a[href='/courses/cnn/case-studies/cnn']").closest("li").text().replace(/\s+/g, " ");
  expect(caseLine).toContain("due in 7 days, Wed 19 Mar 23:59 MDT");
  now = new Date("2031-03-15T18:00:00Z"); // Saturday
  expect(await quizLine("/courses/cnn")).toContain("closed on Fri 14 Mar 09:00 MDT");
  expect(await quizLine("/courses/cnn/modules/cnn")).toContain("closed on Fri 14 Mar 09:00 MDT");
  now = TEST_NOW;
});

test("without LMS platforms set up, an instructor's course page has no 'LMS connections' link (it would lead nowhere)", async () => {
  const prof = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const page = $((await prof.get("/courses/cnn")).text);
  expect(page("h1").text()).toBe("Convolutional Neural Networks");
  expect(page("a[href='/lti/courses/cnn']")).toHaveLength(0);
});

/** Statements sent to PostgreSQL (by every pool: the app's, Prisma's) while `run` runs. */
async function statementsDuring(run: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { name?: string; text?: string };
    sent.push(typeof q === "string" ? q : (q.name ?? q.text ?? "?"));
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    await run();
  } finally {
    pg.Client.prototype.query = query;
  }
  return sent;
}

test("a student's course, module and reading pages send one statement, the session's, and show their own tick, grade and team from it — not another student's", async () => {
  const course = await t.db.course.findUniqueOrThrow({ where: { slug: "cnn" } });
  const quiz = await t.db.quiz.findFirstOrThrow({ where: { courseId: course.id, slug: "cnn-friday" } });
  const item = await t.db.checklistItem.findFirstOrThrow({ where: { module: { courseId: course.id, slug: "cnn" }, reading: { slug: "overview" } } });
  const alice = await t.db.user.findUniqueOrThrow({ where: { email: "alice@example.edu" } });
  await t.db.checklistTick.create({ data: { itemId: item.id, userId: alice.id, completedAt: TEST_NOW } });
  await t.db.quizGrade.create({ data: { quizId: quiz.id, userId: alice.id, percent: 90, passed: true, attempts: 1 } });
  try {
    const pages = ["/courses/cnn", "/courses/cnn/modules/cnn", "/courses/cnn/modules/cnn/readings/overview"];
    const seen = async (email: string) => {
      const who = await signedIn(t, email, DEMO_PASSWORDS.student);
      for (const p of pages) expect((await who.get(p)).status).toBe(200); // content cached after a sync: fill it first
      const html: string[] = [];
      for (const p of pages) {
        const sent = await statementsDuring(async () => html.push((await who.get(p)).text));
        expect([p, sent]).toEqual([p, [expect.stringMatching(/^session\.getWithUser:/)]]);
      }
      const [coursePage, modulePage, readingPage] = html.map((h) => $(h));
      return {
        passed: coursePage!(`a[href='/courses/cnn/quizzes/cnn-friday']`).parent().find(".badge").text(),
        team: coursePage!(".team-card strong").text(),
        ticked: [modulePage!, readingPage!].map((page) => page(`.checklist-item[data-item='${item.id}']`).hasClass("is-done")),
      };
    };
    expect(await seen("alice@example.edu")).toEqual({ passed: "passed", team: "Stop Signs", ticked: [true, true] });
    const ben = await t.db.user.findUniqueOrThrow({ where: { email: "ben@example.edu" } });
    const bensTeam = await t.db.teamMember.findFirst({ where: { userId: ben.id, courseId: course.id }, include: { team: true } });
    expect(await seen("ben@example.edu")).toEqual({ passed: "", team: bensTeam?.team.name ?? "", ticked: [false, false] });
  } finally {
    await t.db.checklistTick.deleteMany({ where: { itemId: item.id, userId: alice.id } });
    await t.db.quizGrade.deleteMany({ where: { quizId: quiz.id, userId: alice.id } });
  }
});

test("a student's course, week, module and reading pages read as many statements with one module and quiz as with three of each", async () => {
  const alice = await signedIn(t, "alice@example.edu", DEMO_PASSWORDS.student);
  const pages = ["/courses/cnn", "/courses/cnn/week", "/courses/cnn/modules/cnn", "/courses/cnn/modules/cnn/readings/overview"];
  const count = async () => {
    for (const p of pages) expect((await alice.get(p)).status).toBe(200); // content cached after a sync: fill it first
    const counts: number[] = [];
    for (const p of pages) counts.push((await statementsDuring(() => alice.get(p))).length);
    return counts;
  };
  const before = await count();
  // Two more modules, each with a reading and a checklist item the student has ticked, and two more quizzes.
  const course = await t.db.course.findUniqueOrThrow({ where: { slug: "cnn" } });
  const quiz = await t.db.quiz.findFirstOrThrow({ where: { courseId: course.id } });
  const user = await t.db.user.findUniqueOrThrow({ where: { email: "alice@example.edu" } });
  for (const n of [2, 3]) {
    const m = await t.db.module.create({ data: { courseId: course.id, slug: `extra-${n}`, title: `Extra ${n}`, position: n, timeZone: "America/Denver", urlRoot: "/", theoryDueAt: new Date("2031-03-20T16:00:00Z") } });
    const r = await t.db.reading.create({ data: { moduleId: m.id, slug: "r", title: "R", sourcePath: `extra-${n}/r.md`, position: 0, contentHash: "x", html: "<p>r</p>", tocHtml: "", minutesMin: 5, minutesMax: 10 } });
    const item = await t.db.checklistItem.create({ data: { moduleId: m.id, readingId: r.id, key: "theory:a", section: "THEORY", title: "A", anchor: "a", position: 0 } });
    await t.db.checklistTick.create({ data: { itemId: item.id, userId: user.id, completedAt: TEST_NOW } });
    await t.db.quiz.create({ data: { courseId: course.id, moduleId: m.id, slug: `extra-quiz-${n}`, title: `Extra quiz ${n}`, sourcePath: `extra-${n}.yaml`, contentHash: "x", definition: quiz.definition ?? {}, closesAt: new Date("2031-03-21T16:00:00Z") } });
  }
  await t.db.$executeRaw`UPDATE "ContentVersion" SET version = version + 1 WHERE id = 1`;
  try {
    const after = await count();
    expect((await alice.get("/courses/cnn")).text).toContain("Extra quiz 3"); // the new rows are on the page
    const week = (await alice.get("/courses/cnn/week")).text;
    expect(week).toContain("Extra quiz 3");
    expect(week).toContain("Extra 3");
    expect(after).toEqual(before);
  } finally {
    await t.db.quiz.deleteMany({ where: { slug: { startsWith: "extra-quiz-" } } });
    await t.db.module.deleteMany({ where: { slug: { startsWith: "extra-" } } });
    await t.db.$executeRaw`UPDATE "ContentVersion" SET version = version + 1 WHERE id = 1`;
  }
});

test("a student's own later close (an exception) is what their course page (to-do list and quiz list) and module page say, for them only", async () => {
  const quiz = await t.db.quiz.findFirstOrThrow({ where: { slug: "cnn-friday" } });
  const alice = await t.db.user.findUniqueOrThrow({ where: { email: "alice@example.edu" } });
  const prof = await t.db.user.findUniqueOrThrow({ where: { email: "instructor@example.edu" } });
  // Sat 15 Mar 18:00 MDT, where the quiz closes for everyone on Fri 14 Mar 09:00 MDT.
  await t.db.quizOverride.create({ data: { quizId: quiz.id, userId: alice.id, closesAt: new Date("2031-03-16T00:00:00Z"), extraAttempts: 1, setById: prof.id } });
  const link = "a[href^='/courses/cnn/quizzes/cnn-friday']";
  const lines = async (email: string) => {
    const me = await signedIn(t, email, DEMO_PASSWORDS.student);
    const course = $((await me.get("/courses/cnn")).text);
    const module = $((await me.get("/courses/cnn/modules/cnn")).text);
    const words = (el: ReturnType<typeof course>) => el.text().replace(/\s+/g, " ");
    return {
      todo: words(course("#todo-h").parent().find(".todo-item").filter((_i, li) => course(li).find(link).length > 0)),
      // The course page's and the module page's list of quizzes, outside the to-do list.
      list: words(course(link).not(course("#todo-h").parent().find(link)).first().closest("li")),
      module: words(module(link).first().closest("li")),
    };
  };
  try {
    const a = await lines("alice@example.edu");
    for (const line of [a.todo, a.list, a.module]) expect(line).toContain("closes in 3 days, Sat 15 Mar 18:00 MDT");
    const b = await lines("ben@example.edu");
    for (const line of [b.todo, b.list, b.module]) expect(line).toContain("closes in 2 days, Fri 14 Mar 09:00 MDT");
    now = new Date("2031-03-14T18:00:00Z"); // Fri 12:00 MDT: closed for Ben, still open for Alice
    const a2 = await lines("alice@example.edu");
    for (const line of [a2.todo, a2.list, a2.module]) expect(line).toContain("closes tomorrow, Sat 15 Mar 18:00 MDT");
    const b2 = await lines("ben@example.edu");
    expect(b2.todo).toBe(""); // closed for him: nothing left to do
    for (const line of [b2.list, b2.module]) expect(line).toContain("closed on Fri 14 Mar 09:00 MDT");
  } finally {
    now = TEST_NOW;
    await t.db.quizOverride.deleteMany({ where: { quizId: quiz.id } });
  }
});
