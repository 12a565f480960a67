// Staff preview a quiz as a student sees it, any variant of a question, with nothing stored:
// the rows of attempts, slots, grades, statistics and LMS scores are counted before and after.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { $, QUIZ_DIR, signedIn, startTestApp, type TestApp } from "../helpers/app.js";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({}, { clock: () => new Date("2026-12-01T19:00:00Z") });
});
afterAll(async () => {
  await t.close();
});

const PREVIEW = "/courses/cnn/quizzes/cnn-friday/preview";
/** The quiz file's question ids in order, read from the file itself (pools' questions in place). */
const fileIds = () => (YAML.parse(fs.readFileSync(path.join(QUIZ_DIR, "cnn-friday.yaml"), "utf8")) as { questions: ({ id: string } | { pool: string; questions: { id: string }[] })[] })
  .questions.flatMap((e) => ("pool" in e ? e.questions.map((q) => q.id) : [e.id]));
const counts = async () => [
  await t.db.quizAttempt.count(), await t.db.quizSlot.count(), await t.db.quizGrade.count(),
  await t.db.ltiScoreSync.count(),
];

test("staff see every question as a student does, pick a variant by number, and nothing is stored", async () => {
  const before = await counts();
  const instructor = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const staffPage = $((await instructor.get("/courses/cnn/quizzes/cnn-friday")).text);
  expect(staffPage(`a[href="${PREVIEW}"]`).text()).toBe("Preview as a student");
  expect(staffPage('a[href="/courses/cnn/quizzes/cnn-friday/statistics"]').text()).toBe("Quiz statistics");

  const res = await instructor.get(PREVIEW);
  expect(res.status).toBe(200);
  const page = $(res.text);
  expect(page(".preview-note").text()).toContain("Nothing here is saved");
  expect(page("section.preview-question h2 code").map((_i, c) => page(c).text()).get()).toEqual(fileIds());
  // The form fields a student gets, without anything that posts: no form but the variant pickers (GET).
  expect(page("section#q-weight-sharing input[type=radio]")).toHaveLength(4);
  expect(page("form").filter((_i, f) => (page(f).attr("method") ?? "get").toLowerCase() !== "get")).toHaveLength(page("header form").length);

  // conv-output-height, variant 7 of its combinations: the text uses the variant's parameters, and the
  // right answer is ⌊(H + 2p − k) / s⌋ + 1 computed here from them.
  const v = $((await instructor.get(`${PREVIEW}?v-conv-output-height=7`)).text);
  const q = v("section#q-conv-output-height");
  expect(q.find("select[name='v-conv-output-height'] option[selected]").text()).toBe("7");
  const key = q.find(".variant-form .muted").text().match(/\((.+)\)/)![1]!;
  const p = Object.fromEntries(key.split(",").map((kv) => kv.split("=")).map(([k, x]) => [k, Number(x)])) as Record<string, number>;
  expect(Object.keys(p).sort()).toEqual(["F", "H", "k", "p", "s"]);
  expect(q.find(".q-text").text()).toContain(`${p.F} filters of size ${p.k}×${p.k}, stride ${p.s}`);
  expect(q.find(".q-text").text()).toContain(`${p.H}×${p.H}×3 image`);
  expect(q.find(".q-right").text()).toContain(String(Math.floor((p.H! + 2 * p.p! - p.k!) / p.s!) + 1));
  const other = $((await instructor.get(`${PREVIEW}?v-conv-output-height=8`)).text)("section#q-conv-output-height .variant-form .muted").text();
  expect(other).not.toBe(q.find(".variant-form .muted").text());
  // A variant number out of range shows variant 1, not an error.
  expect($((await instructor.get(`${PREVIEW}?v-conv-output-height=99999`)).text)("section#q-conv-output-height option[selected]").text()).toBe("1");

  const grader = await signedIn(t, "grader@example.edu", DEMO_PASSWORDS.grader);
  expect((await grader.get(PREVIEW)).status).toBe(200);
  expect(await counts()).toEqual(before);
});

test("students cannot open the preview (it shows the right answers)", async () => {
  const alice = await signedIn(t, "alice@example.edu");
  const res = await alice.get(PREVIEW);
  expect(res.status).toBe(403);
  expect(res.text).not.toContain("Right answer:");
});
