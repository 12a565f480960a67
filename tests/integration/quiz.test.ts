// The Friday quiz over HTTP against the real database, with an injected clock.
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { createLogger } from "../../src/platform/logger.js";
import type { SlotQuestion } from "../../src/quiz/questions.js";
import { syncContent } from "../../src/content/content.sync.js";
import { GradeEvents } from "../../src/platform/grade-events.js";
import { $, csrfFrom, startTestApp, CONTENT_DIR, type TestApp, signedIn } from "../helpers/app.js";
import { CNN_FRIDAY_KEY, copyDemoQuiz, keyFields, quizFolder, type AnswerKey } from "../helpers/quiz.js";
import fs from "node:fs";
import { until } from "../helpers/wait.js";
import path from "node:path";

// Wednesday 25 Nov 2026, 12:00 in Denver (UTC−7). The test's copy of the demo quiz is open
// from Monday 23rd 9:00 to Friday 27th 9:00 Denver.
let now = new Date("2026-11-25T19:00:00Z");
const minutes = (n: number) => new Date(now.getTime() + n * 60_000);

/** A small quiz with every policy knob set from `policy` (YAML lines). */
function policyQuiz(policy: string, questions = SMALL_QUESTIONS) {
  return `title: Policy quiz
course: cnn
${policy}
questions:
${questions}`;
}
const SMALL_QUESTIONS = `  - id: one
    type: single
    text: Pick A.
    choices:
      - { text: A, correct: true, feedback: "Yes, A." }
      - { text: B, feedback: "Not B." }
    explanation: EXPLAIN-ONE
  - id: two
    type: numeric
    text: Two plus two?
    answer: 4
    tolerance: { absolute: 0.5 }
  - id: three
    type: truefalse
    text: The sky is green.
    answer: false
`;
const SMALL_KEY: AnswerKey = { one: { choice: "A" }, two: { number: 4 }, three: { value: false } };

const folder = quizFolder({});
copyDemoQuiz(folder.dir, { opens: "2026-11-23T09:00", closes: "2026-11-27T09:00" });
let t: TestApp;
const resync = () => syncContent({ db: t.db, contentDir: CONTENT_DIR, quizDir: folder.dir, logger: createLogger("silent") });

beforeAll(async () => {
  t = await startTestApp({}, { quizDir: folder.dir, clock: () => now });
});
afterAll(async () => {
  await t.close();
  folder.remove();
});
beforeEach(() => {
  now = new Date("2026-11-25T19:00:00Z");
});

const as = (email: string, password?: string) => signedIn(t, email, password);
type Agent = Awaited<ReturnType<typeof as>>;

async function token(agent: Agent, url = "/courses/cnn") {
  return csrfFrom((await agent.get(url)).text);
}

async function start(agent: Agent, quiz: string) {
  const res = await agent.post(`/courses/cnn/quizzes/${quiz}/attempts`).type("form").send({ _csrf: await token(agent) });
  return res;
}

async function startedAttempt(agent: Agent, quiz: string) {
  const res = await start(agent, quiz);
  expect(res.status).toBe(303);
  const url = res.headers.location as string;
  return { url, id: url.split("/").pop()! };
}

async function slotsOf(attemptId: string) {
  const rows = await t.db.quizSlot.findMany({ where: { attemptId }, orderBy: { slot: "asc" } });
  return rows.map((r) => ({ ...r, q: r.question as unknown as SlotQuestion }));
}

/** An autosave as the page sends it: `rev` numbers the page's saves on from its `data-rev`. */
async function autosave(agent: Agent, url: string, slot: number, fields: Record<string, unknown>, rev: number) {
  return agent.post(`${url}/autosave`).set("X-CSRF-Token", await token(agent)).set("Accept", "application/json").send({ slot, rev, fields });
}

/** Every question answered from the hand-written `key`: rightly where `right(i)` holds (slots in attempt order), else wrongly. */
async function answerAll(attemptId: string, key: AnswerKey, right: (i: number) => boolean = () => true) {
  const slots = await slotsOf(attemptId);
  const fields = Object.assign({}, ...slots.map((s, i) => keyFields(key, s.q, s.slot, right(i))));
  return { fields, slots };
}

async function submitForm(agent: Agent, url: string, fields: Record<string, unknown>, action = "submit") {
  return agent.post(url).type("form").send({ _csrf: await token(agent, url), action, ...fields });
}

async function resetAttempts() {
  await t.db.quizAttempt.deleteMany({});
  await t.db.quizGrade.deleteMany({});
  await t.db.quizOverride.deleteMany({});
}

describe("the demo quiz", () => {
  beforeEach(resetAttempts);

  test("the staff's quiz page counts the course's students: a removed student's grade is kept, not counted, not linked", async () => {
    const quiz = await t.db.quiz.findFirstOrThrow({ where: { slug: "cnn-friday" } });
    const users = Object.fromEntries((await t.db.user.findMany({ where: { email: { in: ["alice@example.edu", "ben@example.edu"] } } })).map((u) => [u.email.split("@")[0]!, u]));
    const at = new Date("2026-11-25T18:00:00Z");
    for (const [who, percent, passed] of [["alice", 95, true], ["ben", 40, false]] as const) {
      await t.db.quizAttempt.create({ data: { quizId: quiz.id, userId: users[who]!.id, number: 1, status: "SUBMITTED", seed: "s", contentHash: "h", startedAt: at, submittedAt: at, score: percent / 10, maxScore: 10 } });
      await t.db.quizGrade.create({ data: { quizId: quiz.id, userId: users[who]!.id, percent, passed, attempts: 1 } });
    }
    const membership = await t.db.membership.findFirstOrThrow({ where: { userId: users.ben!.id, course: { slug: "cnn" } } });
    await t.db.membership.delete({ where: { id: membership.id } });
    try {
      const page = $((await as("instructor@example.edu", DEMO_PASSWORDS.instructor).then((a) => a.get("/courses/cnn/quizzes/cnn-friday"))).text);
      const text = page("main").text().replace(/\s+/g, " ");
      expect(text).toContain("1 student graded, 1 passed · 1 submitted attempt · 0 in progress. Not counted: 1 grade of people no longer students in this course (kept, in case they come back).");
      expect(page("tbody tr td:first-child").map((_i, td) => page(td).text()).get()).toEqual(["Alice Nguyen"]);
    } finally {
      await t.db.membership.create({ data: { userId: membership.userId, courseId: membership.courseId, role: membership.role } });
    }
  });

  test("is listed on the course page, and its page states the rules", async () => {
    const alice = await as("alice@example.edu");
    const course = $((await alice.get("/courses/cnn")).text);
    expect(course('a[href="/courses/cnn/quizzes/cnn-friday"]').text()).toContain("Friday preparation quiz");
    const page = $((await alice.get("/courses/cnn/quizzes/cnn-friday")).text);
    const facts = page("dl.facts").text().replace(/\s+/g, " ");
    expect(facts).toContain("30 minutes");
    expect(facts).toContain("unlimited");
    expect(facts).toContain("your highest score counts; 90% to pass");
    // Wednesday noon in Denver: opened Monday 9:00, closes Friday 9:00 — in words, in the course's zone.
    expect(facts).toContain("Opensopened on Mon 23 Nov 09:00 MST");
    expect(facts).toContain("Closescloses in 2 days, Fri 27 Nov 09:00 MST");
    expect(page("form.start-form button").text()).toBe("Start the quiz");
    now = new Date("2026-11-27T17:00:00Z"); // Friday 10:00 Denver, an hour after the close
    const closed = $((await alice.get("/courses/cnn/quizzes/cnn-friday")).text)("dl.facts").text().replace(/\s+/g, " ");
    expect(closed).toContain("Closesclosed on Fri 27 Nov 09:00 MST");
    expect(closed).not.toContain("closes");
  });

  test("an attempt fixes its questions; the page never holds right answers or feedback; reloading resumes it", async () => {
    const alice = await as("alice@example.edu");
    const { url, id } = await startedAttempt(alice, "cnn-friday");
    const html = (await alice.get(url)).text;
    const page = $(html);
    expect(page("fieldset.question")).toHaveLength(14);
    // Nothing that tells the answer: no feedback, no explanation, no "correct" flags, no accepted answers.
    // (Phrases below come from the file's feedback and explanations.)
    expect(html).not.toMatch(/correct["=:]|Sharing one small kernel|Output size =|Softmax turns|A flip turns|Receptive fields add|Pooling layers are fixed/i);
    expect(page('input[value="softmax"]')).toHaveLength(0);
    expect(page('input[type="radio"][value="c0"]').length).toBeGreaterThan(0);
    // Same attempt, same order after a reload and after starting again.
    const again = await start(alice, "cnn-friday");
    expect(again.headers.location).toBe(url);
    const second = $((await alice.get(url)).text);
    expect(second("fieldset.question .q-text").map((_i, e) => $(e.children as never).text()).get()).toEqual(page("fieldset.question .q-text").map((_i, e) => $(e.children as never).text()).get());
    expect(await t.db.quizAttempt.count()).toBe(1);
    expect((await slotsOf(id)).filter((s) => s.variant !== "").length).toBeGreaterThanOrEqual(4);
  });

  test("variants and question order differ between students and attempts, and are the same for the same seed", async () => {
    const alice = await as("alice@example.edu");
    const ben = await as("ben@example.edu");
    const a = await startedAttempt(alice, "cnn-friday");
    const b = await startedAttempt(ben, "cnn-friday");
    const va = (await slotsOf(a.id)).map((s) => `${s.questionId}:${s.variant}`);
    const vb = (await slotsOf(b.id)).map((s) => `${s.questionId}:${s.variant}`);
    expect(va).not.toEqual(vb);
    expect(new Set(va.filter((v) => !v.endsWith(":")))).not.toEqual(new Set(vb.filter((v) => !v.endsWith(":"))));
    // A second attempt of the same student draws again.
    const { fields } = await answerAll(a.id, CNN_FRIDAY_KEY);
    await submitForm(alice, a.url, fields);
    const a2 = await startedAttempt(alice, "cnn-friday");
    expect(a2.id).not.toBe(a.id);
    expect((await slotsOf(a2.id)).map((s) => `${s.questionId}:${s.variant}`)).not.toEqual(va);
  });

  test("all right → 100% and passed; the review after submit shows score and correctness but not the right answers before close", async () => {
    const alice = await as("alice@example.edu");
    const { url, id } = await startedAttempt(alice, "cnn-friday");
    const { fields } = await answerAll(id, CNN_FRIDAY_KEY);
    const res = await submitForm(alice, url, fields);
    expect(res.status).toBe(303);
    const attempt = await t.db.quizAttempt.findUniqueOrThrow({ where: { id } });
    expect(attempt.status).toBe("SUBMITTED");
    expect(attempt.score).toBe(attempt.maxScore);
    const grade = await t.db.quizGrade.findFirstOrThrow({ where: { userId: attempt.userId } });
    expect(grade).toMatchObject({ percent: 100, passed: true, attempts: 1 });
    const review = $((await alice.get(url)).text);
    expect(review("dl.facts").text()).toContain("(100%)");
    expect(review(".q-state").map((_i, e) => review(e).text()).get()).toEqual(Array(14).fill("Correct"));
    expect(review(".q-right")).toHaveLength(0);
    expect(review(".q-explanation")).toHaveLength(0);
    // After the close: right answers and explanations.
    now = new Date("2026-11-27T17:00:00Z");
    const later = $((await alice.get(url)).text);
    expect(later(".q-right")).toHaveLength(14);
    expect(later(".q-explanation").length).toBeGreaterThan(10);
  });

  test("autosave keeps each answer; an older save arriving late does not overwrite a newer one", async () => {
    const alice = await as("alice@example.edu");
    const { url, id } = await startedAttempt(alice, "cnn-friday");
    const slots = await slotsOf(id);
    const numeric = slots.find((s) => s.q.type === "numeric")!;
    // A new attempt's page numbers its saves from 0.
    const page = $((await alice.get(url)).text);
    expect(page("form[data-attempt]").attr("data-rev")).toBe("0");
    expect(page('form[data-attempt] input[name="rev"]').val()).toBe("0");
    expect((await autosave(alice, url, numeric.slot, { [`s${numeric.slot}`]: "42" }, 2)).body).toMatchObject({ saved: true, rev: 2 });
    expect((await autosave(alice, url, numeric.slot, { [`s${numeric.slot}`]: "41" }, 1)).body).toMatchObject({ saved: false, reason: "stale", rev: 2 });
    const row = await t.db.quizSlot.findUniqueOrThrow({ where: { attemptId_slot: { attemptId: id, slot: numeric.slot } } });
    expect(row.response).toEqual({ text: "42" });
    // The page shows the saved answer after a reload, and numbers on from the newest save.
    const reloaded = $((await alice.get(url)).text);
    expect(reloaded(`input[name="s${numeric.slot}"]`).val()).toBe("42");
    expect(reloaded("form[data-attempt]").attr("data-rev")).toBe("2");
    // Junk for a question is dropped, not stored.
    const single = slots.find((s) => s.q.type === "single")!;
    await autosave(alice, url, single.slot, { [`s${single.slot}`]: "c99" }, 3);
    expect((await t.db.quizSlot.findUniqueOrThrow({ where: { attemptId_slot: { attemptId: id, slot: single.slot } } })).response).toEqual({});
  });

  test("saves are numbered, not timed: Save answers comes after the page's autosaves, the next page's autosaves after it, and a late save of an old page changes nothing", async () => {
    const alice = await as("alice@example.edu");
    const { url, id } = await startedAttempt(alice, "cnn-friday");
    const numeric = (await slotsOf(id)).find((s) => s.q.type === "numeric")!;
    const field = `s${numeric.slot}`;
    const stored = async () => (await t.db.quizSlot.findUniqueOrThrow({ where: { attemptId_slot: { attemptId: id, slot: numeric.slot } } })).response;
    const pageRev = async () => Number($((await alice.get(url)).text)("form[data-attempt]").attr("data-rev"));
    const post = async (body: Record<string, string>) => alice.post(url).type("form").send({ _csrf: await token(alice, url), action: "save", ...body });

    const first = await pageRev();
    expect((await autosave(alice, url, numeric.slot, { [field]: "1" }, first + 1)).body.saved).toBe(true);
    expect((await autosave(alice, url, numeric.slot, { [field]: "2" }, first + 2)).body.saved).toBe(true);
    // "3" typed and Save answers clicked before it was autosaved: the post carries the page's next number.
    expect((await post({ rev: String(first + 3), [field]: "3" })).status).toBe(303);
    expect(await stored()).toEqual({ text: "3" });
    // An autosave the old page sent before the click, arriving after the post.
    expect((await autosave(alice, url, numeric.slot, { [field]: "2" }, first + 2)).body).toMatchObject({ saved: false, reason: "stale" });
    expect(await stored()).toEqual({ text: "3" });
    // A page without JavaScript sends no number (or a broken one); its post still comes after every save.
    await post({ [field]: "4" });
    expect(await stored()).toEqual({ text: "4" });
    await post({ rev: "yesterday", [field]: "5" });
    expect(await stored()).toEqual({ text: "5" });
    // The page after the post numbers on from there, so its autosaves win over the post.
    const next = await pageRev();
    expect(next).toBeGreaterThan(first + 3);
    expect((await autosave(alice, url, numeric.slot, { [field]: "6" }, next + 1)).body).toMatchObject({ saved: true, rev: next + 1 });
    await alice.post(`${url}/submit`).type("form").send({ _csrf: await token(alice, url) });
    expect(await stored()).toEqual({ text: "6" });
  });

  test("without JavaScript, Save answers stores every question and Submit grades them", async () => {
    const alice = await as("alice@example.edu");
    const { url, id } = await startedAttempt(alice, "cnn-friday");
    const { fields, slots } = await answerAll(id, CNN_FRIDAY_KEY, (i) => i % 2 === 0);
    const saved = await submitForm(alice, url, fields, "save");
    expect(saved.status).toBe(303);
    const rows = await slotsOf(id);
    expect(rows.every((r) => r.response && Object.keys(r.response).length > 0)).toBe(true);
    // The plain form posts every field again with the submit button.
    await submitForm(alice, url, fields, "submit");
    const graded = await slotsOf(id);
    graded.forEach((r, i) => expect(r.state).toBe(i % 2 === 0 ? "correct" : "wrong"));
    expect(slots).toHaveLength(14);
    // Seven of the fourteen questions right, a point each.
    expect((await t.db.quizAttempt.findUniqueOrThrow({ where: { id } })).score).toBeCloseTo(7, 9);
  });

  test("ten submits at once (two tabs, double clicks) grade once", async () => {
    const alice = await as("alice@example.edu");
    const { url, id } = await startedAttempt(alice, "cnn-friday");
    const { fields } = await answerAll(id, CNN_FRIDAY_KEY);
    await submitForm(alice, url, fields, "save");
    const csrf = await token(alice, url);
    const results = await Promise.all(Array.from({ length: 10 }, () => alice.post(`${url}/submit`).set("Accept", "application/json").type("form").send({ _csrf: csrf })));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(await t.db.quizAttempt.count({ where: { status: "SUBMITTED" } })).toBe(1);
    const grade = await t.db.quizGrade.findFirstOrThrow({});
    expect(grade.attempts).toBe(1);
    expect(grade.percent).toBe(100);
  });

  test("five starts at once make one attempt", async () => {
    const alice = await as("alice@example.edu");
    const csrf = await token(alice);
    const results = await Promise.all(Array.from({ length: 5 }, () => alice.post("/courses/cnn/quizzes/cnn-friday/attempts").type("form").send({ _csrf: csrf })));
    expect(results.map((r) => r.status)).toEqual(Array(5).fill(303));
    expect(new Set(results.map((r) => r.headers.location)).size).toBe(1);
    expect(await t.db.quizAttempt.count()).toBe(1);
  });

  test("another student can neither read nor write an attempt; staff read it but cannot change it", async () => {
    const alice = await as("alice@example.edu");
    const { url } = await startedAttempt(alice, "cnn-friday");
    const ben = await as("ben@example.edu");
    expect((await ben.get(url)).status).toBe(403);
    const benToken = await token(ben);
    expect((await ben.post(`${url}/autosave`).set("X-CSRF-Token", benToken).set("Accept", "application/json").send({ slot: 0, rev: 1, fields: { s0: "c0" } })).status).toBe(403);
    expect((await ben.post(`${url}/submit`).type("form").send({ _csrf: benToken })).status).toBe(403);
    expect((await ben.post(url).type("form").send({ _csrf: benToken, action: "submit" })).status).toBe(403);
    expect(await t.db.quizAttempt.count({ where: { status: "SUBMITTED" } })).toBe(0);

    const grader = await as("grader@example.edu", DEMO_PASSWORDS.grader);
    const view = await grader.get(url);
    expect(view.status).toBe(200);
    expect($(view.text)("h1").text()).toContain("attempt 1");
    expect($(view.text)(".q-right")).toHaveLength(14); // staff see everything, read-only
    expect($(view.text)("form[data-attempt]")).toHaveLength(0);
    expect((await grader.post(`${url}/submit`).type("form").send({ _csrf: await token(grader) })).status).toBe(403);
    // A made-up attempt id is a 404, not an error.
    expect((await ben.get("/courses/cnn/quizzes/cnn-friday/attempts/not-a-uuid")).status).toBe(404);
  });
});

describe("policy", () => {
  beforeEach(resetAttempts);
  afterAll(async () => {
    for (const f of fs.readdirSync(folder.dir)) if (f !== "cnn-friday.yaml") fs.rmSync(path.join(folder.dir, f));
    await resync();
  });

  async function withQuiz(policy: string, questions?: string) {
    folder.write("policy", policyQuiz(policy, questions));
    const r = await resync();
    expect(r.issues).toEqual([]);
  }

  test("open and close times: before opening and after closing no attempt can start", async () => {
    await withQuiz("opens: 2026-11-26T09:00\ncloses: 2026-11-26T17:00");
    const alice = await as("alice@example.edu");
    expect($((await alice.get("/courses/cnn/quizzes/policy")).text)(".callout").text()).toContain("has not opened yet");
    expect((await start(alice, "policy")).status).toBe(403);
    now = new Date("2026-11-26T17:00:00Z"); // 10:00 Denver
    expect((await start(alice, "policy")).status).toBe(303);
    now = new Date("2026-11-27T01:00:00Z"); // 18:00 Denver, closed
    await resetAttempts();
    expect((await start(alice, "policy")).status).toBe(403);
  });

  test("time limit: saves count until the deadline plus grace; then the attempt is submitted with what was saved", async () => {
    await withQuiz("timeLimitMinutes: 10\ngraceMinutes: 1");
    const alice = await as("alice@example.edu");
    const { url, id } = await startedAttempt(alice, "policy");
    const attempt = await t.db.quizAttempt.findUniqueOrThrow({ where: { id } });
    expect(attempt.deadlineAt).toEqual(minutes(10));
    const slots = await slotsOf(id);
    const page = $((await alice.get(url)).text);
    expect(page("[data-timer]").attr("data-seconds-left")).toBe("600");
    const single = slots.find((s) => s.q.type === "single")!;
    const numeric = slots.find((s) => s.q.type === "numeric")!;
    const tf = slots.find((s) => s.q.type === "truefalse")!;
    const t0 = now;
    now = new Date(t0.getTime() + 9 * 60_000);
    expect((await autosave(alice, url, single.slot, keyFields(SMALL_KEY, single.q, single.slot), 1)).status).toBe(200);
    now = new Date(t0.getTime() + 10.5 * 60_000); // within grace
    expect((await autosave(alice, url, numeric.slot, keyFields(SMALL_KEY, numeric.q, numeric.slot), 2)).status).toBe(200);
    now = new Date(t0.getTime() + 11.5 * 60_000); // after grace
    const late = await autosave(alice, url, tf.slot, keyFields(SMALL_KEY, tf.q, tf.slot), 3);
    expect(late.status).toBe(409);
    expect(late.body.error.message).toContain("Time is up");
    // The page goes to the attempt on the 409 (quiz.js), which says why it is submitted.
    expect($((await alice.get(url)).text)(".flash").text()).toBe(late.body.error.message);
    const done = await t.db.quizAttempt.findUniqueOrThrow({ where: { id } });
    expect(done).toMatchObject({ status: "SUBMITTED", autoSubmitted: true, score: 2 });
    expect(done.submittedAt).toEqual(done.acceptUntil);
  });

  test("submitted in the grace period (the page submits when its timer reaches zero): kept as submitted when time ran out", async () => {
    await withQuiz("timeLimitMinutes: 10\ngraceMinutes: 1");
    const alice = await as("alice@example.edu");
    const { url, id } = await startedAttempt(alice, "policy");
    now = minutes(10.2);
    const res = await alice.post(`${url}/submit`).type("form").set("Accept", "application/json").send({ _csrf: await token(alice) });
    expect(res.status).toBe(200);
    expect(await t.db.quizAttempt.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "SUBMITTED", autoSubmitted: true, submittedAt: minutes(0) });
    expect($((await alice.get("/courses/cnn/quizzes/policy")).text)("tbody tr td").eq(2).text()).toContain("Submitted (time ran out)");
    // One submitted before the end is not.
    await resetAttempts();
    now = new Date("2026-11-25T19:00:00Z");
    const before = await startedAttempt(alice, "policy");
    now = minutes(9);
    await alice.post(`${before.url}/submit`).type("form").set("Accept", "application/json").send({ _csrf: await token(alice) });
    expect((await t.db.quizAttempt.findUniqueOrThrow({ where: { id: before.id } })).autoSubmitted).toBe(false);
  });

  test("a save that arrives while the attempt is being submitted waits for the submit, then is refused: never stored after its question was graded", async () => {
    await withQuiz("timeLimitMinutes: 10\ngraceMinutes: 1");
    const alice = await as("alice@example.edu");
    const { url, id } = await startedAttempt(alice, "policy");
    const numeric = (await slotsOf(id)).find((s) => s.q.type === "numeric")!;
    const csrf = await token(alice);
    // A submit under way: it holds the attempt's row (FOR UPDATE, as QuizService.submit takes it) until released.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const submitting = t.db.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT id FROM "QuizAttempt" WHERE id = ${id}::uuid FOR UPDATE`;
      locked();
      await released;
      await tx.quizAttempt.update({ where: { id }, data: { status: "SUBMITTED", submittedAt: now } });
    }, { timeout: 30_000 });
    await isLocked;
    let settled = false;
    const saving = alice.post(`${url}/autosave`).set("X-CSRF-Token", csrf).set("Accept", "application/json")
      .send({ slot: numeric.slot, rev: 1, fields: keyFields(SMALL_KEY, numeric.q, numeric.slot) })
      .then((r) => { settled = true; return r; });
    // The save either finished at once (not waiting for the submit) or waits on the attempt's row.
    await until(async () => settled || (await t.db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%QuizSlot%'`)[0]!.n > 0, (x) => x, 10_000, "the save to finish or to wait on the submit");
    release();
    await submitting;
    const res = await saving;
    expect(res.status).toBe(409);
    expect((await t.db.quizSlot.findUniqueOrThrow({ where: { attemptId_slot: { attemptId: id, slot: numeric.slot } } })).response).toBeNull();
  });

  test("an attempt nobody comes back to is submitted when its time runs out (on the next visit or sweep)", async () => {
    await withQuiz("timeLimitMinutes: 5\ngraceMinutes: 0");
    const alice = await as("alice@example.edu");
    const { url, id } = await startedAttempt(alice, "policy");
    const [first] = await slotsOf(id);
    await autosave(alice, url, first!.slot, keyFields(SMALL_KEY, first!.q, first!.slot), 1);
    now = minutes(6);
    const page = await alice.get("/courses/cnn/quizzes/policy");
    expect($(page.text)("tbody tr td").eq(2).text()).toContain("Submitted (time ran out)");
    expect((await t.db.quizAttempt.findUniqueOrThrow({ where: { id } })).score).toBe(1);
  });

  test("the quiz page says how long an attempt lasts (less than the limit when the quiz closes first) and the time left in minutes", async () => {
    await withQuiz("timeLimitMinutes: 30\ngraceMinutes: 1");
    const alice = await as("alice@example.edu");
    const text = async () => $((await alice.get("/courses/cnn/quizzes/policy")).text)("main").text().replace(/\s+/g, " ");
    expect(await text()).toContain("3 questions, 30 minutes once you start.");
    // Closing at 12:10, ten minutes from now (12:00 Denver): an attempt started now ends then.
    await withQuiz("timeLimitMinutes: 30\ngraceMinutes: 1\ncloses: 2026-11-25T12:10");
    expect(await text()).toContain("3 questions, 10 minutes once you start, not 30: the quiz closes at 12:10 MST.");
    await startedAttempt(alice, "policy");
    const t0 = now.getTime();
    now = new Date(t0 + 1.5 * 60_000); // 8.5 minutes left: "about 9"
    expect(await text()).toContain("You have an attempt in progress. About 9 minutes left.");
    now = new Date(t0 + 9 * 60_000);
    expect(await text()).toContain("About a minute left.");
    now = new Date(t0 + 9.5 * 60_000);
    expect(await text()).toContain("Less than a minute left.");
    now = new Date(t0 + 10.5 * 60_000); // past its end, within the grace minute: not submitted yet
    expect(await text()).toContain("Its time is up: open it to submit what you saved.");
  });

  test("a new pass mark or grading method in the quiz file regrades every student with a grade at the next sync", async () => {
    await withQuiz("attempts: unlimited\npassPercent: 90\ngrading: highest");
    const alice = await as("alice@example.edu");
    // Attempt 1: one of the three questions right (33.3%); attempt 2: two right (66.7%).
    for (const right of [1, 2]) {
      const a = await startedAttempt(alice, "policy");
      const { fields } = await answerAll(a.id, SMALL_KEY, (i) => i < right);
      await submitForm(alice, a.url, fields);
    }
    const grade = () => t.db.quizGrade.findFirstOrThrow({ where: { user: { email: "alice@example.edu" } } });
    expect(await grade()).toMatchObject({ percent: expect.closeTo(200 / 3, 9), passed: false, attempts: 2 });
    await withQuiz("attempts: unlimited\npassPercent: 60\ngrading: highest");
    expect(await grade()).toMatchObject({ percent: expect.closeTo(200 / 3, 9), passed: true });
    await withQuiz("attempts: unlimited\npassPercent: 60\ngrading: first");
    expect(await grade()).toMatchObject({ percent: expect.closeTo(100 / 3, 9), passed: false });
    expect($((await alice.get("/courses/cnn/quizzes/policy")).text)(".quiz-grade").text()).toContain("33.3");
    // Each grade worked out again is published (the LMS passback subscribes); a sync that changes no rule publishes none.
    const published: { userId: string; percent: number }[] = [];
    const grades = new GradeEvents().onQuizGrade(async (_tx, c) => void published.push({ userId: c.userId, percent: c.percent }));
    folder.write("policy", policyQuiz("attempts: unlimited\npassPercent: 30\ngrading: first"));
    await syncContent({ db: t.db, contentDir: CONTENT_DIR, quizDir: folder.dir, logger: createLogger("silent"), grades });
    const aliceId = (await t.db.user.findFirstOrThrow({ where: { email: "alice@example.edu" } })).id;
    expect(published).toEqual([{ userId: aliceId, percent: expect.closeTo(100 / 3, 9) }]);
    expect((await grade()).passed).toBe(true);
    await syncContent({ db: t.db, contentDir: CONTENT_DIR, quizDir: folder.dir, logger: createLogger("silent"), grades });
    expect(published).toHaveLength(1);
  });

  test("the time limit never runs past the close", async () => {
    await withQuiz("closes: 2026-11-25T12:05\ntimeLimitMinutes: 30\ngraceMinutes: 0");
    const alice = await as("alice@example.edu");
    const { id } = await startedAttempt(alice, "policy");
    expect((await t.db.quizAttempt.findUniqueOrThrow({ where: { id } })).deadlineAt).toEqual(new Date("2026-11-25T19:05:00Z"));
  });

  test("attempts allowed, and an instructor's extra attempt, extra time and later close", async () => {
    await withQuiz("attempts: 1\ntimeLimitMinutes: 10\ncloses: 2026-11-25T13:00");
    const alice = await as("alice@example.edu");
    const a1 = await startedAttempt(alice, "policy");
    await submitForm(alice, a1.url, {});
    const refused = await start(alice, "policy");
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("You have used all 1 attempt");

    const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
    const aliceId = (await t.db.user.findUniqueOrThrow({ where: { email: "alice@example.edu" } })).id;
    const form = await instructor.get("/courses/cnn/quizzes/policy/overrides");
    expect(form.status).toBe(200);
    const saved = await instructor.post("/courses/cnn/quizzes/policy/overrides").type("form")
      .send({ _csrf: csrfFrom(form.text), userId: aliceId, extraMinutes: "15", extraAttempts: "2", closes: "2026-11-25T18:00", note: "accommodation" });
    expect(saved.status).toBe(303);
    expect($((await instructor.get("/courses/cnn/quizzes/policy/overrides")).text)("tbody").text()).toContain("accommodation");
    const a2 = await startedAttempt(alice, "policy");
    expect((await t.db.quizAttempt.findUniqueOrThrow({ where: { id: a2.id } })).deadlineAt).toEqual(minutes(25));
    await submitForm(alice, a2.url, {});
    // After the quiz's own close (13:00 Denver) but before hers (18:00), she can start her last attempt; Ben cannot.
    now = new Date("2026-11-25T20:30:00Z");
    const a3 = await startedAttempt(alice, "policy");
    expect((await t.db.quizAttempt.findUniqueOrThrow({ where: { id: a3.id } })).deadlineAt).toEqual(minutes(25));
    const ben = await as("ben@example.edu");
    expect((await start(ben, "policy")).status).toBe(403);
    await submitForm(alice, a3.url, {});
    expect((await start(alice, "policy")).status).toBe(403);
    // Extra time given during an attempt applies at once (changed from the form her row's Change fills: editing her).
    await instructor.post("/courses/cnn/quizzes/policy/overrides").type("form")
      .send({ _csrf: csrfFrom(form.text), userId: aliceId, extraMinutes: "30", extraAttempts: "3", closes: "2026-11-25T18:00", editing: aliceId });
    const a4 = await startedAttempt(alice, "policy");
    expect((await t.db.quizAttempt.findUniqueOrThrow({ where: { id: a4.id } })).deadlineAt).toEqual(minutes(40));
    await instructor.post("/courses/cnn/quizzes/policy/overrides").type("form")
      .send({ _csrf: csrfFrom(form.text), userId: aliceId, extraMinutes: "50", extraAttempts: "3", closes: "2026-11-25T18:00", editing: aliceId });
    expect((await t.db.quizAttempt.findUniqueOrThrow({ where: { id: a4.id } })).deadlineAt).toEqual(minutes(60));
    // Students cannot set exceptions.
    expect((await alice.get("/courses/cnn/quizzes/policy/overrides")).status).toBe(403);
    expect((await alice.post("/courses/cnn/quizzes/policy/overrides").type("form").send({ _csrf: await token(alice), userId: aliceId, extraAttempts: "5" })).status).toBe(403);
  });

  test.each([
    ["highest", 100],
    ["latest", 100 / 3],
    ["first", 200 / 3],
    ["average", (200 / 3 + 100 + 100 / 3) / 3],
  ])("grading %s", async (method, expected) => {
    await withQuiz(`grading: ${method}\npassPercent: 60`);
    const alice = await as("alice@example.edu");
    // Attempts scoring 2/3, 3/3, 1/3.
    for (const rightCount of [2, 3, 1]) {
      const a = await startedAttempt(alice, "policy");
      const { fields } = await answerAll(a.id, SMALL_KEY, (i) => i < rightCount);
      await submitForm(alice, a.url, fields);
    }
    const grade = await t.db.quizGrade.findFirstOrThrow({});
    expect(grade.percent).toBeCloseTo(expected, 9);
    expect(grade.passed).toBe(expected >= 60);
    expect(grade.attempts).toBe(3);
  });

  test("shuffling: questions come in a different order for different students, or in file order when off", async () => {
    await withQuiz("shuffleQuestions: true\nshuffleChoices: false");
    const orders = new Set<string>();
    for (const who of ["alice", "ben", "chloe", "dev", "emma", "felix"]) {
      const a = await startedAttempt(await as(`${who}@example.edu`), "policy");
      orders.add((await slotsOf(a.id)).map((s) => s.questionId).join(","));
      // Choices keep the file's order when shuffleChoices is off.
      expect((await slotsOf(a.id)).find((s) => s.q.type === "single")!.q.choices!.map((c) => c.orig)).toEqual([0, 1]);
    }
    expect(orders.size).toBeGreaterThan(1); // six students all in one order of three: (1/6)^5
    await resetAttempts();
    await withQuiz("shuffleQuestions: false");
    const a = await startedAttempt(await as("ben@example.edu"), "policy");
    expect((await slotsOf(a.id)).map((s) => s.questionId)).toEqual(["one", "two", "three"]);
  });

  test("review rules: nothing after submit if so configured", async () => {
    await withQuiz("shuffleQuestions: true\nreview:\n  afterSubmit: []\n  afterClose: [score]\ncloses: 2026-11-26T09:00");
    const alice = await as("alice@example.edu");
    const a = await startedAttempt(alice, "policy");
    const { fields } = await answerAll(a.id, SMALL_KEY);
    await submitForm(alice, a.url, fields);
    const review = $((await alice.get(a.url)).text);
    expect(review(".callout").text()).toContain("shown after the quiz closes");
    expect(review("section.question")).toHaveLength(0);
    expect(review("dl.facts").text()).not.toContain("100%");
    const quizPage = $((await alice.get("/courses/cnn/quizzes/policy")).text);
    expect(quizPage(".quiz-grade")).toHaveLength(0);
    expect(quizPage("tbody").text()).toContain("shown later");
    now = new Date("2026-11-26T17:00:00Z");
    const after = $((await alice.get(a.url)).text);
    expect(after("dl.facts").text()).toContain("(100%)");
    expect(after("section.question")).toHaveLength(0); // only the score was allowed
  });

  test("checking during the attempt grades one question, shows the allowed feedback, and makes it final", async () => {
    await withQuiz("review:\n  during: [correctness, feedback]");
    const alice = await as("alice@example.edu");
    const a = await startedAttempt(alice, "policy");
    const slots = await slotsOf(a.id);
    const single = slots.find((s) => s.q.type === "single")!;
    const wrong = keyFields(SMALL_KEY, single.q, single.slot, false);
    const res = await submitForm(alice, a.url, wrong, `check:${single.slot}`);
    expect(res.status).toBe(303);
    const page = $((await alice.get(a.url)).text);
    const fs0 = page(`#q-${single.slot}`);
    expect(fs0.attr("disabled")).toBeDefined();
    expect(fs0.find(".q-state").text()).toBe("Incorrect");
    expect(fs0.find(".q-feedback").text()).toContain("Not B.");
    expect(fs0.text()).not.toContain("EXPLAIN-ONE"); // explanation not allowed during
    // A page from before the check (another window) reloads the attempt on the 409: the reloaded page
    // says why, once, however many of its saves were refused.
    const csrf = await token(alice);
    // One sent as the page is left (quiz.js marks it) is refused the same, and leaves no message for the next page.
    const leaving = await alice.post(`${a.url}/autosave`).set("X-CSRF-Token", csrf).set("Accept", "application/json").set("X-Page-Leaving", "1")
      .send({ slot: single.slot, rev: 9, fields: keyFields(SMALL_KEY, single.q, single.slot, true) });
    expect(leaving.status).toBe(409);
    expect($((await alice.get("/courses/cnn")).text)(".flash")).toHaveLength(0);
    const stale = (rev: number) => alice.post(`${a.url}/autosave`).set("X-CSRF-Token", csrf).set("Accept", "application/json")
      .send({ slot: single.slot, rev, fields: keyFields(SMALL_KEY, single.q, single.slot, true) });
    const retry = await stale(10);
    expect(retry.status).toBe(409);
    expect(retry.body.error.message).toBe("This question was checked, so its answer is final.");
    expect((await stale(11)).status).toBe(409);
    const reloaded = $((await alice.get(a.url)).text);
    expect(reloaded(".flash").map((_, el) => reloaded(el).text()).get()).toEqual(["This question was checked, so its answer is final."]);
    expect($((await alice.get(a.url)).text)(".flash")).toHaveLength(0);
    await submitForm(alice, a.url, {}, "submit");
    expect((await t.db.quizAttempt.findUniqueOrThrow({ where: { id: a.id } })).score).toBe(0);
  });

  test("item statistics: the report reads the attempts as they stand, submitted at once or deleted with their student", async () => {
    folder.write("stats", policyQuiz("shuffleQuestions: false"));
    expect((await resync()).issues).toEqual([]);
    const quiz = await t.db.quiz.findFirstOrThrow({ where: { slug: "stats" } });
    // Right (1) or wrong (0) per question one/two/three, four students submitting at once.
    const grid: Record<string, number[]> = { alice: [1, 1, 1], ben: [1, 0, 1], chloe: [0, 1, 0], dev: [0, 0, 0] };
    await Promise.all(Object.entries(grid).map(async ([who, row]) => {
      const agent = await as(`${who}@example.edu`);
      const a = await startedAttempt(agent, "stats");
      const fields = Object.assign({}, ...(await slotsOf(a.id)).map((s) => keyFields(SMALL_KEY, s.q, s.slot, row[["one", "two", "three"].indexOf(s.q.id)] === 1)));
      expect((await submitForm(agent, a.url, fields)).status).toBe(303);
    }));
    const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
    const page = $((await instructor.get("/courses/cnn/quizzes/stats/statistics")).text);
    // Each row is headed by the question's number in the file and its id ("1. one"), then type, attempts and the figures.
    const row = (id: string) => page("tbody tr").filter((_i, tr) => page(tr).find("th a").text().replace(/^\d+\.\s*/, "") === id).find("td").map((_j, td) => page(td).text().trim()).get();
    expect(row("one")).toEqual(["single", "4", "50.0", "57.7", "70.7", "100.0"]);
    expect(row("two").slice(2)).toEqual(["50.0", "57.7", "0.0", "0.0"]);
    expect(page("dl.facts").text()).toContain("mean 50.0%, median 50.0%");

    // Attempts gone (a student deleted): the report counts the attempts left.
    await t.db.quizAttempt.deleteMany({ where: { quizId: quiz.id, user: { email: "dev@example.edu" } } });
    const after = $((await instructor.get("/courses/cnn/quizzes/stats/statistics")).text);
    expect(after("dl.facts").text()).toContain("mean 66.7%, median 66.7%");
  });

  test("without review.during, checking is refused", async () => {
    await withQuiz("attempts: unlimited");
    const alice = await as("alice@example.edu");
    const a = await startedAttempt(alice, "policy");
    expect((await submitForm(alice, a.url, {}, "check:0")).status).toBe(403);
  });
});

describe("the attempt page: pages, navigator, flags, labels", () => {
  beforeEach(resetAttempts);
  afterAll(async () => {
    for (const f of fs.readdirSync(folder.dir)) if (f !== "cnn-friday.yaml") fs.rmSync(path.join(folder.dir, f));
    await resync();
  });

  async function pagedQuiz(perPage: number) {
    folder.write("paged", policyQuiz(`questionsPerPage: ${perPage}\nshuffleQuestions: false`));
    expect((await resync()).issues).toEqual([]);
  }
  // What a screen reader names each navigator button (its number is shown, and hidden from them).
  const navStates = (page: ReturnType<typeof $>) => page("nav[aria-labelledby] li button .visually-hidden").map((_i, b) => page(b).text().replace(/\s+/g, " ").trim()).get();

  test("a form posted from a page older than another window's saves writes only the answers that page changed: one it only carried is not wiped", async () => {
    await pagedQuiz(10);
    const alice = await as("alice@example.edu");
    const { url, id } = await startedAttempt(alice, "paged");
    const slots = await slotsOf(id);
    const field = (n: number, right = true) => keyFields(SMALL_KEY, slots[n]!.q, n, right);
    // Window B loads the attempt with nothing answered.
    const old = $((await alice.get(url)).text);
    // Window A then saves questions one and two.
    expect((await autosave(alice, url, 0, field(0), 1)).body.saved).toBe(true);
    expect((await autosave(alice, url, 1, field(1), 2)).body.saved).toBe(true);
    // B's form, as a browser without JavaScript posts it (what B shows, its fingerprints with it), with
    // question three answered there and question two changed there.
    const posted: Record<string, string> = {};
    old("form[data-attempt]").find("input[name], select[name]").each((_i, el) => {
      const e = old(el);
      const type = e.attr("type");
      if ((type === "radio" || type === "checkbox") && e.attr("checked") === undefined) return;
      posted[e.attr("name")!] = el.tagName === "select" ? (e.find("option[selected]").attr("value") ?? "") : (e.attr("value") ?? "");
    });
    expect(Object.keys(posted).filter((k) => k.startsWith("seen")).sort()).toEqual(["seen0", "seen1", "seen2"]);
    expect(posted.s1).toBe("");
    const res = await alice.post(url).type("form").send({ ...posted, ...field(2), s1: "5", action: "save" });
    expect(res.status).toBe(303);
    expect((await slotsOf(id)).map((r) => r.response)).toEqual([{ choice: field(0).s0 }, { text: "5" }, { value: false }]);
    // The page after the post shows them all, each with its new fingerprint: posted again untouched, it changes nothing.
    const now2 = $((await alice.get(url)).text);
    expect(now2('input[name="s1"]').val()).toBe("5");
    expect(now2('input[name="seen1"]').val()).not.toBe(posted.seen1);
    expect((await autosave(alice, url, 1, { s1: "6" }, 99)).body.saved).toBe(true);
    await alice.post(url).type("form").send({ _csrf: csrfFrom(now2.html()), s1: "5", seen1: now2('input[name="seen1"]').val() as string, action: "save" });
    expect((await slotsOf(id))[1]!.response).toEqual({ text: "6" });
  });

  test("questionsPerPage: each page shows its questions, and without JavaScript each page's answers are kept while moving between pages; submit from any page grades all", async () => {
    await pagedQuiz(2);
    const alice = await as("alice@example.edu");
    const { url, id } = await startedAttempt(alice, "paged");
    const slots = await slotsOf(id);
    // Questions one, two on page 1; three on page 2.
    const first = $((await alice.get(url)).text);
    expect(first("fieldset.question").map((_i, f) => first(f).attr("id")).get()).toEqual(["q-0", "q-1"]);
    expect(first("h1").text()).toContain("page 1 of 2");
    const second = $((await alice.get(`${url}?page=2`)).text);
    expect(second("fieldset.question").map((_i, f) => second(f).attr("id")).get()).toEqual(["q-2"]);
    // A page beyond the last shows the last.
    const beyond = $((await alice.get(`${url}?page=9`)).text);
    expect(beyond("fieldset.question").map((_i, f) => beyond(f).attr("id")).get()).toEqual(["q-2"]);

    // Page 1's form as a browser without JavaScript posts it: its fields, the page, the slots it showed; "Next page".
    const field = (n: number) => keyFields(SMALL_KEY, slots[n]!.q, n);
    const form1 = { ...field(0), ...field(1), page: first('input[name="page"]').val() as string, shown: first('input[name="shown"]').val() as string };
    expect(form1).toMatchObject({ page: "1", shown: "0,1" });
    expect(first('button[name="action"][value="page:2"]').text()).toBe("Next page");
    const next = await submitForm(alice, url, form1, "page:2");
    expect(next.status).toBe(303);
    expect(next.headers.location).toBe(`${url}?page=2`);
    // Page 2 posts only question three: questions one and two keep their answers.
    const back = await submitForm(alice, url, { ...field(2), page: "2", shown: second('input[name="shown"]').val() as string }, "page:1");
    expect(back.headers.location).toBe(url);
    expect((await slotsOf(id)).map((r) => r.response)).toEqual([{ choice: keyFields(SMALL_KEY, slots[0]!.q, 0).s0 }, { text: "4" }, { value: false }]);
    // Page 1 again shows the saved answers; submitting from it (only its fields) grades all three.
    const again = $((await alice.get(url)).text);
    expect(again(`input[name="s0"][value="${field(0).s0 as string}"]`).attr("checked")).toBeDefined();
    expect(again('input[name="s1"]').val()).toBe("4");
    await submitForm(alice, url, { ...field(0), ...field(1), page: "1", shown: "0,1" }, "submit");
    expect(await t.db.quizAttempt.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "SUBMITTED", score: 3 });
  });

  test("the navigator lists every question on every page with its state; flags toggle without JavaScript; the summary lists unanswered and flagged", async () => {
    await pagedQuiz(2);
    const alice = await as("alice@example.edu");
    const { url, id } = await startedAttempt(alice, "paged");
    const slots = await slotsOf(id);
    const page = $((await alice.get(url)).text);
    expect(page("nav").filter((_i, n) => page(n).find("h2").text() === "Questions")).toHaveLength(1);
    expect(navStates(page)).toEqual(["Question 1: not answered", "Question 2: not answered", "Question 3: not answered"]);
    expect(page("[data-answered-count]").text().replace(/\s+/g, " ").trim()).toBe("0 of 3 answered");

    // Answer question one and flag question two, with one post (the flag button saves the page first).
    const flag = page("#q-1 button[data-flag]");
    expect(flag.attr("aria-pressed")).toBe("false");
    const res = await submitForm(alice, url, { ...keyFields(SMALL_KEY, slots[0]!.q, 0), page: "1", shown: "0,1" }, flag.attr("value")!);
    expect(res.headers.location).toBe(`${url}#q-1`);
    for (const address of [url, `${url}?page=2`]) {
      const p = $((await alice.get(address)).text);
      expect(navStates(p)).toEqual(["Question 1: answered", "Question 2: not answered, flagged for review", "Question 3: not answered"]);
      expect(p("[data-answered-count]").text().replace(/\s+/g, " ").trim()).toBe("1 of 3 answered");
    }
    expect($((await alice.get(url)).text)("#q-1 button[data-flag]").attr("aria-pressed")).toBe("true");
    // A navigator button goes to that question's page, saving this one first.
    expect((await submitForm(alice, url, { page: "1", shown: "0,1", ...keyFields(SMALL_KEY, slots[0]!.q, 0) }, "page:2:2")).headers.location).toBe(`${url}?page=2#q-2`);

    // The summary before submitting.
    const summary = $((await alice.get(`${url}?page=summary`)).text);
    expect(summary("fieldset.question")).toHaveLength(0);
    expect(summary("[data-summary-unanswered] li").map((_i, li) => summary(li).text().trim()).get()).toEqual(["Question 2", "Question 3"]);
    expect(summary("[data-summary-flagged] li").map((_i, li) => summary(li).text().replace(/\s+/g, " ").trim()).get()).toEqual(["Question 2 (not answered)"]);
    expect(summary('button[value="submit"]').text()).toBe("Submit all and finish");
    // Saving from the summary (it shows no questions) changes no answer; unflagging clears the flag.
    await submitForm(alice, url, { page: "summary", shown: "" }, "save");
    expect((await slotsOf(id))[0]!.response).toEqual({ choice: keyFields(SMALL_KEY, slots[0]!.q, 0).s0 });
    await submitForm(alice, url, { page: "1", shown: "0,1", ...keyFields(SMALL_KEY, slots[0]!.q, 0) }, "unflag:1");
    expect((await slotsOf(id)).map((r) => r.flagged)).toEqual([false, false, false]);
    // Flags of another student's attempt cannot be set.
    const ben = await as("ben@example.edu");
    expect((await ben.post(`${url}/flag`).set("X-CSRF-Token", await token(ben)).set("Accept", "application/json").send({ slot: 0, flagged: true })).status).toBe(403);
    // The script's flag (JSON) sets it too; a submitted attempt's flags cannot change.
    expect((await alice.post(`${url}/flag`).set("X-CSRF-Token", await token(alice)).set("Accept", "application/json").send({ slot: 2, flagged: true })).body).toEqual({ slot: 2, flagged: true });
    expect((await slotsOf(id)).map((r) => r.flagged)).toEqual([false, false, true]);
    // Submit from a question page without the script's dialog, with questions left open: the summary first.
    const early = await submitForm(alice, url, { page: "1", shown: "0,1", ...keyFields(SMALL_KEY, slots[0]!.q, 0) }, "submit");
    expect(early.headers.location).toBe(`${url}?page=summary`);
    expect((await t.db.quizAttempt.findUniqueOrThrow({ where: { id } })).status).toBe("IN_PROGRESS");
    await submitForm(alice, url, { page: "summary", shown: "" }, "submit");
    expect((await t.db.quizAttempt.findUniqueOrThrow({ where: { id } })).status).toBe("SUBMITTED");
    expect((await alice.post(`${url}/flag`).set("X-CSRF-Token", await token(alice)).set("Accept", "application/json").send({ slot: 2, flagged: false })).status).toBe(409);
  });

  test("ordering selects are named by their items, matching shows each answer in full in a group named by its prompt; the autosave time is in the course's zone", async () => {
    const alice = await as("alice@example.edu");
    const { url, id } = await startedAttempt(alice, "cnn-friday");
    const slots = await slotsOf(id);
    const page = $((await alice.get(url)).text);
    const ordering = slots.find((s) => s.q.id === "cnn-order")!;
    const order = CNN_FRIDAY_KEY["cnn-order"] as { order: string[] };
    const labels = page(`#q-${ordering.slot} select`).map((_i, s) => page(s).attr("aria-label")).get();
    expect(new Set(labels)).toEqual(new Set(order.order.map((t) => `Position of '${t}'`)));
    expect(page("select[aria-label='Place of this item']")).toHaveLength(0);

    const matching = slots.find((s) => s.q.id === "layer-roles")!;
    const pairs = (CNN_FRIDAY_KEY["layer-roles"] as { pairs: Record<string, string> }).pairs;
    const groups = page(`#q-${matching.slot} fieldset.match-row`);
    expect(new Set(groups.map((_i, g) => page(g).children("legend").text().trim()).get())).toEqual(new Set(Object.keys(pairs)));
    groups.each((_i, g) => {
      const shown = page(g).find("label").map((_j, l) => page(l).text().replace(/\s+/g, " ").trim()).get();
      // Every right answer (and the distractors) in full, in every group.
      for (const right of Object.values(pairs)) expect(shown).toContain(right);
    });
    // The answers a group gives are the form's `s{n}.{left}` fields, as before.
    const fields = keyFields(CNN_FRIDAY_KEY, matching.q, matching.slot);
    for (const [name, value] of Object.entries(fields)) expect(page(`input[type="radio"][name="${name}"][value="${value as string}"]`)).toHaveLength(1);

    const saved = await autosave(alice, url, matching.slot, fields, 1);
    expect(saved.body).toMatchObject({ saved: true, savedAtText: "12:00:00 PM MST" });
  });
});
