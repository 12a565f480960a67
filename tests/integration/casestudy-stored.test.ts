// The case study's pages read what is stored, checked: a result whose details (a JSON column) do
// not fit their schema shows its scores with a note saying what happened and who can fix it,
// never a server error; and the final-choice and reveal buttons' forms are checked, so a form
// that says neither yes nor no changes nothing.
import { $, csrfFrom, signedIn, startTestApp, type TestApp } from "../helpers/app.js";
import { demoRows } from "../helpers/demo.js";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";

let t: TestApp;
let CASE: string;
beforeAll(async () => {
  t = await startTestApp();
  CASE = `/courses/cnn/case-studies/${(await demoRows(t)).cs.slug}`;
});
afterAll(() => t.close());
beforeEach(async () => {
  await t.db.submission.deleteMany({});
  await t.db.caseStudy.updateMany({ data: { revealedAt: null } });
});

/** A scored submission of Alice's team whose result stores `details` (scores and points in the row's columns). */
async function scoredWith(details: object, final = false) {
  const { alice, cs, team } = await demoRows(t);
  return t.db.submission.create({
    data: {
      caseStudyId: cs.id, teamId: team.id, userId: alice.id, number: 1, filename: "model.keras", storedPath: "/nowhere", bytes: 1, status: "SCORED", final,
      results: { create: { holdoutVersion: cs.holdoutVersion, publicScore: 0.856, privateScore: 0.84, publicPoints: 55, privatePoints: 41.67, accuracy: 0.9, engine: "test engine", seconds: 2.5, details } },
    },
  });
}

const text = (s: string) => s.replace(/\s+/g, " ").trim();

describe("a result whose stored details do not fit their schema", () => {
  // As an older version might have stored them (another shape), and as some rows are ({}).
  const stored = [
    { name: "another shape", details: { classNames: ["stop"], public: { accuracy: "90%", confusion: [[1]] } } },
    { name: "empty", details: {} },
  ];

  test.each(stored)("($name) its page shows the scores and points, and says the details cannot be shown and who can store them again", async ({ details }) => {
    const sub = await scoredWith(details);
    const alice = await signedIn(t, "alice@example.edu");
    const res = await alice.get(`${CASE}/submissions/${sub.id}`);
    expect(res.status).toBe(200);
    const page = $(res.text);
    const card = Object.fromEntries(page(".score-card dt").map((_i, dt) => [[text(page(dt).text()), text(page(dt).next("dd").text())]]).get() as [string, string][]);
    expect(card).toEqual({ "Public macro-F1": "0.8560 → 55 points", "Private score": "shown after the deadline", Engine: "test engine: 2.50 s" });
    expect(text(page("#details-problem").text())).toBe(
      "This result's details (accuracy, the model's summary, the scores per class and the images it got wrong) were stored by an older version of this site and cannot be shown. " +
      "The scores and points above are not affected. To see them, ask the course staff to rescore this submission.",
    );
    expect(page("h2").filter((_i, h) => page(h).text() === "Per class (public half)")).toHaveLength(0);

    // Staff are told what to do themselves.
    const grader = await signedIn(t, "grader@example.edu", DEMO_PASSWORDS.grader);
    const staffPage = await grader.get(`${CASE}/submissions/${sub.id}`);
    expect(staffPage.status).toBe(200);
    expect(text($(staffPage.text)("#details-problem").text())).toMatch(/To store them again, rescore this submission \(Staff tools, above\)/);

    // Its images: there are none to show (not a server error).
    expect((await alice.get(`${CASE}/submissions/${sub.id}/misclassified/0`)).status).toBe(404);
  });

  test("whose file was not kept says it cannot be rescored", async () => {
    const sub = await scoredWith({});
    await t.db.submission.update({ where: { id: sub.id }, data: { fileRemovedAt: new Date("2031-03-12T16:00:00Z") } });
    const alice = await signedIn(t, "alice@example.edu");
    const page = $((await alice.get(`${CASE}/submissions/${sub.id}`)).text);
    expect(text(page("#details-problem").text())).toMatch(/The file was not kept, so the submission cannot be rescored to store them again\.$/);
  });
});

test("the final-choice button's form: 1 marks, 0 unmarks, anything else is refused (400) and changes nothing", async () => {
  const sub = await scoredWith({}, true);
  const alice = await signedIn(t, "alice@example.edu");
  const url = `${CASE}/submissions/${sub.id}`;
  const post = async (final?: string) => alice.post(`${url}/final`).type("form").send({ _csrf: csrfFrom((await alice.get(url)).text), ...(final === undefined ? {} : { final }) });
  const isFinal = async () => (await t.db.submission.findUniqueOrThrow({ where: { id: sub.id } })).final;
  for (const garbled of ["yes", "", undefined]) {
    const res = await post(garbled);
    expect([garbled, res.status]).toEqual([garbled, 400]);
    expect($(res.text)("main").text()).toContain("This form was not understood. Go back to the submission and use its button again.");
    expect(await isFinal()).toBe(true);
  }
  expect((await post("0")).status).toBe(303);
  expect(await isFinal()).toBe(false);
  expect((await post("1")).status).toBe(303);
  expect(await isFinal()).toBe(true);
});

test("the reveal button's form: 1 reveals, 0 hides, anything else is refused (400) and changes nothing", async () => {
  const instructor = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const post = async (reveal?: string) => instructor.post(`${CASE}/reveal`).type("form").send({ _csrf: csrfFrom((await instructor.get(`${CASE}/leaderboard`)).text), ...(reveal === undefined ? {} : { reveal }) });
  const revealed = async () => (await t.db.caseStudy.findFirstOrThrow({})).revealedAt !== null;
  expect((await post("1")).status).toBe(303);
  expect(await revealed()).toBe(true);
  for (const garbled of ["no", undefined]) {
    const res = await post(garbled);
    expect([garbled, res.status]).toEqual([garbled, 400]);
    expect($(res.text)("main").text()).toContain("This form was not understood. Go back to the leaderboard and use its button again.");
    expect(await revealed()).toBe(true);
  }
  expect((await post("0")).status).toBe(303);
  expect(await revealed()).toBe(false);
});

test("the images it got wrong: each says the true class, the class chosen and the model's output for it, explained once", async () => {
  // A two-class result as scoring stores it: three images wrong, with the top output of a softmax (0.439), of logits (7.25, 0) and none (a predictions CSV).
  const wrong = [
    { filename: "a.png", trueClass: 0, predicted: 1, confidence: 0.439 },
    { filename: "b.png", trueClass: 1, predicted: 0, confidence: 7.25 },
    { filename: "c.png", trueClass: 1, predicted: 0, confidence: 0 },
  ];
  const split = (name: "public" | "private" | "all", misclassified: object[]) => ({
    split: name, n: 10, accuracy: 0.7, macroF1: 0.7, macroPrecision: 0.7, macroRecall: 0.7,
    perClass: [{ classId: 0, name: "stop", precision: 0.8, recall: 0.8, f1: 0.8, support: 5, predicted: 5 }, { classId: 1, name: "yield", precision: 0.6, recall: 0.6, f1: 0.6, support: 5, predicted: 5 }],
    confusion: [[4, 1], [2, 3]], mostConfused: [{ trueClass: 1, predicted: 0, count: 2, trueName: "yield", predictedName: "stop" }],
    points: 55, rule: "r", engine: "test engine", inferenceSeconds: 1, imagesPerSecond: 10, model: null, kind: "model", preprocessing: null, misclassified,
  });
  const alice = await signedIn(t, "alice@example.edu");
  const sub = await scoredWith({ version: 1, classNames: ["stop", "yield"], public: split("public", wrong), private: split("private", []), all: split("all", []) });
  const page = $((await alice.get(`${CASE}/submissions/${sub.id}`)).text);
  const lines = (p: typeof page) => p(".thumbs li").map((_i, li) => text(p(li).find("br").replaceWith(" ").end().text())).get() as string[];
  expect(lines(page)).toEqual(["stop → yield output 0.44", "yield → stop output 7.25", "yield → stop output 0.00"]);
  expect(text(page(".thumbs").prev("p").text())).toBe("Each: the true class, then (→) the class the model chose and the model's output for it (a probability if the model ends in softmax).");

  // A predictions CSV has no outputs: none shown, none explained.
  await t.db.submission.deleteMany({});
  const csv = await scoredWith({ version: 1, classNames: ["stop", "yield"], public: split("public", wrong.map((w) => ({ ...w, confidence: null }))), private: split("private", []), all: split("all", []) });
  const csvPage = $((await alice.get(`${CASE}/submissions/${csv.id}`)).text);
  expect(lines(csvPage)).toEqual(["stop → yield", "yield → stop", "yield → stop"]);
  expect(text(csvPage(".thumbs").prev("p").text())).toBe("Each: the true class, then (→) the class the model chose.");
});
