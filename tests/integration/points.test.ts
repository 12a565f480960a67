// One rule for a team's case-study points (a grader's override replaces that submission's
// points before the team's best submission is chosen), seen through every place that
// shows them: the public and the private leaderboard, the team's own page, the staff
// list, grades.csv, the gradebook export and the score sent to the LMS (a fake platform).
// Scored submissions are written straight to the database (scoring is tested elsewhere);
// every expected number is worked out by hand from the case study's rule below.
import type { JSONWebKeySet } from "jose";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { LtiGradeSync } from "../../src/lti/lti.grades.js";
import { quizGradeRelease } from "../../src/quiz/quiz.service.js";
import { loadToolKey } from "../../src/lti/lti.keys.js";
import { loadLtiPlatforms } from "../../src/lti/lti.platforms.js";
import { SubmissionsService, countedSubmissions } from "../../src/casestudy/submissions.service.js";
import { $, csrfFrom, signedIn, startTestApp, type TestApp } from "../helpers/app.js";
import { copyContent } from "../helpers/content.js";
import { tempDir } from "../helpers/grading.js";
import { startFakePlatform, writePlatformsFile, type FakePlatform } from "../helpers/lti-platform.js";

// The rule: macro-F1 0.79 → 0 points, 0.91 → 50 points (not 100), linear, clamped.
// So 0.70 and 0.72 → 0 points; 0.85 → (0.85 − 0.79) / 0.12 × 50 = 25; 0.82 → 0.03 / 0.12 × 50 = 12.5.
const MAX = 50;
const BEFORE_DEADLINE = new Date("2026-12-01T19:00:00Z"); // Tuesday noon in Denver; the deadline is Friday 23:59
const AFTER_DEADLINE = new Date("2026-12-05T19:00:00Z");
let now = BEFORE_DEADLINE;
const holdout = tempDir();
const files = tempDir();
const content = copyContent();
content.write("cnn/case-study.yaml", `title: Test case study
deadline: 2026-12-04T23:59
data: { holdoutDir: ${JSON.stringify(holdout.dir)} }
points: { metric: macroF1, zeroAt: 0.79, fullAt: 0.91, max: ${MAX} }
limits: { perDay: 5, total: 10, cooldownMinutes: 0, finalSubmissions: 1, maxUploadMb: 3 }
`);
const CASE = "/courses/cnn/case-studies/cnn";
const ISS = "https://lms.example.edu";
const CLIENT = "tool-client-1";

/** The fake LMS (tests/helpers/lti-platform.ts): its token endpoint and the case study's gradebook column. */
let lms: FakePlatform;
let lmsBase = "";
let platformsFile = "";
let t: TestApp;
const ids: Record<string, string> = {};

beforeAll(async () => {
  lms = await startFakePlatform({ clientId: CLIENT, now: () => now });
  lmsBase = lms.base;
  lms.lineItems.push({ id: `${lmsBase}/lineitems/9`, label: "Test case study", scoreMaximum: MAX });
  platformsFile = writePlatformsFile(files.dir, [{
    name: "Example LMS", issuer: ISS, clientId: CLIENT, deployments: ["deploy-1"],
    authLoginUrl: "https://lms.example.edu/auth", keySetUrl: `${lmsBase}/jwks`, tokenUrl: `${lmsBase}/token`,
  }]);
  t = await startTestApp({ LTI_PLATFORMS_FILE: platformsFile }, { contentDir: content.dir, clock: () => now });
  lms.toolKeys = (await t.agent().get("/lti/jwks")).body as JSONWebKeySet;
  for (const u of await t.db.user.findMany()) ids[u.email.split("@")[0]!] = u.id;
  for (const team of await t.db.team.findMany()) ids[team.name] = team.id;
});
afterAll(async () => {
  await t.close();
  await lms.close();
  for (const x of [holdout, files, content]) x.remove();
});
beforeEach(async () => {
  now = BEFORE_DEADLINE;
  lms.results = {};
  await t.db.submission.deleteMany({});
  await t.db.ltiLineItem.deleteMany({});
});

const as = (email: string, password?: string) => signedIn(t, email, password);

/** A scored submission as the worker would leave it (points hand-computed from the rule above). */
async function scored(team: string, number: number, s: { pub: number; priv: number; pubPoints: number; privPoints: number; final?: boolean }) {
  const cs = await t.db.caseStudy.findFirstOrThrow({});
  const sub = await t.db.submission.create({
    data: { caseStudyId: cs.id, teamId: ids[team]!, userId: team === "Stop Signs" ? ids.alice! : ids.dev!, number, filename: `m${number}.keras`, storedPath: "/nowhere", bytes: 1, status: "SCORED", final: s.final ?? false, createdAt: new Date(`2026-12-01T1${number}:00:00Z`) },
  });
  // Partial details (only the public half): these tests read points and standings, which come from the
  // result's own columns; a submission page would show its "stored by an older version" note instead.
  const details = { classNames: [], public: { accuracy: s.pub, macroF1: s.pub, n: 16, perClass: [], mostConfused: [], misclassified: [], confusion: [], model: null, preprocessing: null, imagesPerSecond: null } };
  await t.db.submissionResult.create({ data: { submissionId: sub.id, holdoutVersion: cs.holdoutVersion, publicScore: s.pub, privateScore: s.priv, publicPoints: s.pubPoints, privatePoints: s.privPoints, accuracy: s.pub, engine: "test", details } });
  return sub.id;
}

type Agent = Awaited<ReturnType<typeof as>>;

/** Sets points through the submission page's form: the preview first; `save` posts what the preview shows. */
async function override(grader: Agent, subId: string, points: string, reason: string) {
  const url = `${CASE}/submissions/${subId}/override`;
  const preview = await grader.post(url).type("form").send({ _csrf: csrfFrom((await grader.get(`${CASE}/submissions/${subId}`)).text), points, reason });
  const page = $(preview.text);
  const fields = Object.fromEntries(page("#override-preview form input").map((_i, e) => [[page(e).attr("name"), page(e).val()]]).get() as [string, string][]);
  return { preview, save: () => grader.post(url).type("form").send(fields) };
}

/** A leaderboard's rows as [team, points] in rank order. */
async function board(agent: Agent) {
  const page = $((await agent.get(`${CASE}/leaderboard`)).text);
  return page("tbody tr").map((_i, tr) => [[page(tr).find("td").eq(1).text().replace(" (you)", "").trim(), page(tr).find("td").eq(3).text().replace(/\s+/g, " ").trim()]]).get() as [string, string][];
}

/** A CSV export as one object per line, keyed by the header. */
function csv(text: string) {
  const [head, ...lines] = text.trim().split("\n").map((l) => l.split(",").map((v) => v.replace(/^"|"$/g, "")));
  return lines.map((l) => Object.fromEntries(head!.map((h, i) => [h, l[i]!])));
}

/** The team's own page: the team's points line and, per submission number, its points and whether it counts. */
async function teamPage(agent: Agent) {
  const page = $((await agent.get(CASE)).text);
  const rows = page("table tbody tr").map((_i, tr) => {
    const td = page(tr).find("td").map((_j, c) => page(c).text().replace(/\s+/g, " ").trim()).get();
    return [[td[0], { points: td[5], counts: td.at(-1)!.includes("counts") }]];
  }).get() as [string, { points: string; counts: boolean }][];
  return { line: page("#team-points").text().replace(/\s+/g, " ").trim(), rows: Object.fromEntries(rows) };
}

test("reported bug: an override on one of two equally scored submissions counts everywhere — leaderboards, team page, staff list, grades.csv, gradebook, LMS (on the case study's own scale)", async () => {
  // Each team has two submissions with the same scores (0 points each). Whichever of a
  // tie a rule picks, one team's override is on the other one: both must count.
  const stop1 = await scored("Stop Signs", 1, { pub: 0.7, priv: 0.72, pubPoints: 0, privPoints: 0 });
  await scored("Stop Signs", 2, { pub: 0.7, priv: 0.72, pubPoints: 0, privPoints: 0 });
  await scored("Yield Ahead", 1, { pub: 0.7, priv: 0.72, pubPoints: 0, privPoints: 0 });
  const yield2 = await scored("Yield Ahead", 2, { pub: 0.7, priv: 0.72, pubPoints: 0, privPoints: 0 });
  await t.db.pointsOverride.createMany({ data: [
    { submissionId: stop1, points: 40, reason: "Marked by hand: the model was fine", byId: ids.grader! },
    { submissionId: yield2, points: 30, reason: "Marked by hand after review", byId: ids.grader! },
  ] });
  const grader = await as("grader@example.edu", DEMO_PASSWORDS.grader);

  // Before the deadline: the public leaderboard and each team's page.
  const alice = await as("alice@example.edu");
  const dev = await as("dev@example.edu");
  expect(await board(alice)).toEqual([["Stop Signs", "40 (set by staff)"], ["Yield Ahead", "30 (set by staff)"]]);
  const stopPage = await teamPage(alice);
  expect(stopPage.line).toContain(`40 of ${MAX}`);
  expect(stopPage.line).toContain("submission #1");
  expect(stopPage.rows["1"]).toEqual({ points: "40 (set by staff)", counts: true });
  expect(stopPage.rows["2"]).toEqual({ points: "0", counts: false });
  const yieldPage = await teamPage(dev);
  expect(yieldPage.line).toContain(`30 of ${MAX}`);
  expect(yieldPage.rows["2"]).toEqual({ points: "30 (set by staff)", counts: true });
  // The staff list shows each submission's points.
  const staff = $((await grader.get(`${CASE}/submissions?team=${ids["Stop Signs"]}`)).text);
  expect(staff("tbody tr").map((_i, tr) => staff(tr).find("td").eq(7).text().replace(/\s+/g, " ").trim()).get().sort()).toEqual(["0", "40 (override)"]);

  // Nothing goes to the LMS while private scores are hidden.
  const cs = await t.db.caseStudy.findFirstOrThrow({});
  // The LMS course (connected to this course) that Alice and Dev were launched from, with its column.
  const ctx = await t.db.ltiContext.create({ data: { issuer: ISS, clientId: CLIENT, deploymentId: "1", contextId: "ctx", title: "ML 501", courseId: cs.courseId, approvedAt: now } });
  await t.db.ltiLineItem.create({ data: { issuer: ISS, clientId: CLIENT, resourceLinkId: "case-link", lineitem: `${lmsBase}/lineitems/9`, caseStudyId: cs.id, contextId: ctx.id } });
  await t.db.ltiIdentity.deleteMany({});
  await t.db.ltiIdentity.createMany({ data: [{ issuer: ISS, sub: "lms-alice", userId: ids.alice! }, { issuer: ISS, sub: "lms-dev", userId: ids.dev! }] });
  await t.db.ltiContextMember.createMany({ data: [{ contextId: ctx.id, userId: ids.alice!, sub: "lms-alice", seenAt: now }, { contextId: ctx.id, userId: ids.dev!, sub: "lms-dev", seenAt: now }] });
  const sync = new LtiGradeSync({ db: t.db, platforms: loadLtiPlatforms(platformsFile), toolKey: () => loadToolKey(t.dataDir), clock: () => now, submissions: new SubmissionsService({ db: t.db, clock: () => now, dataDir: t.dataDir }), quizzes: quizGradeRelease(t.db) });
  expect(await sync.reconcileCaseStudies()).toBe(0);

  // After the deadline: the private leaderboard (final results), the team's page, the exports, the LMS.
  now = AFTER_DEADLINE;
  expect(await board(alice)).toEqual([["Stop Signs", "40 (set by staff)"], ["Yield Ahead", "30 (set by staff)"]]);
  expect((await teamPage(alice)).line).toContain(`40 of ${MAX}`);
  expect((await teamPage(dev)).line).toContain(`30 of ${MAX}`);
  const grades = csv((await grader.get(`${CASE}/grades.csv`)).text);
  expect(grades.map((r) => [r.email, r.points, r.overridden])).toEqual(expect.arrayContaining([
    ["alice@example.edu", "40", "yes"], ["ben@example.edu", "40", "yes"], ["chloe@example.edu", "40", "yes"],
    ["dev@example.edu", "30", "yes"], ["emma@example.edu", "30", "yes"], ["felix@example.edu", "", ""],
  ]));
  const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
  const gradebook = csv((await instructor.get("/courses/cnn/dashboard/gradebook.csv")).text);
  expect(Object.fromEntries(gradebook.map((r) => [r.email, r.case_study_points]))).toEqual({
    "alice@example.edu": "40", "ben@example.edu": "40", "chloe@example.edu": "40", "dev@example.edu": "30", "emma@example.edu": "30", "felix@example.edu": "",
  });
  expect(await sync.reconcileCaseStudies()).toBe(2);
  expect(await sync.sendDue()).toEqual({ sent: 2, failed: 0 });
  expect((lms.results[`${lmsBase}/lineitems/9`] ?? []).map((s) => [s.userId, s.resultScore, s.resultMaximum]).sort()).toEqual([["lms-alice", 40, MAX], ["lms-dev", 30, MAX]]);
});

test("an override that lowers the best submission lets the next best count; the grader sees that before saving, and nothing is saved until confirmed", async () => {
  const first = await scored("Stop Signs", 1, { pub: 0.85, priv: 0.85, pubPoints: 25, privPoints: 25 });
  await scored("Stop Signs", 2, { pub: 0.82, priv: 0.82, pubPoints: 12.5, privPoints: 12.5 });
  const grader = await as("grader@example.edu", DEMO_PASSWORDS.grader);
  const { preview, save } = await override(grader, first, "10", "Penalty: trained on the holdout");
  expect(preview.status).toBe(200);
  const shown = $(preview.text)("#override-preview").text().replace(/\s+/g, " ");
  // #1 drops to 10 points, below #2's 12.5: #2 counts instead.
  expect(shown).toContain("Team points: 25 → 12.5");
  expect(shown).toContain("counted submission #1 → #2");
  expect(await t.db.pointsOverride.count()).toBe(0);
  expect(await board(grader)).toEqual([["Stop Signs", "25"]]);
  expect((await save()).status).toBe(303);
  expect(await t.db.pointsOverride.count()).toBe(1);
  expect(await board(grader)).toEqual([["Stop Signs", "12.5"]]);

  // Points above the case study's maximum are refused with the reason.
  const tooMany = (await override(grader, first, "60", "Bonus for a great report")).preview;
  expect(tooMany.status).toBe(400);
  expect($(tooMany.text)("#override-points-error").text()).toContain(`at most ${MAX}`);

  // A preview that no longer holds (the team chose #2 as final meanwhile) is shown again, not saved.
  const stale = await override(grader, first, "", "Penalty withdrawn after the team explained");
  expect($(stale.preview.text)("#override-preview").text().replace(/\s+/g, " ")).toContain("Team points: 12.5 → 25");
  await t.db.submission.updateMany({ where: { number: 2 }, data: { final: true } });
  const refused = await stale.save();
  expect(refused.status).toBe(200);
  const again = $(refused.text)("#override-preview");
  expect(again.find("[role=alert]").text()).toContain("changed since");
  expect(again.text().replace(/\s+/g, " ")).toContain("Team points: 12.5 → 12.5");
  expect(again.text()).toContain("not one of the team's final submissions (#2)");
  expect(await t.db.pointsOverride.count()).toBe(1);
});

test("the rule: overrides before choosing; ties go to the higher score, then the earlier submission; final choices limit the private points", () => {
  const sub = (number: number, pub: number, priv: number, o: { final?: boolean; override?: number | null; status?: "SCORED" | "FAILED" } = {}) => ({
    id: `s${number}`, number, status: o.status ?? ("SCORED" as const), final: o.final ?? false,
    results: [{ publicScore: pub, privateScore: priv, publicPoints: pub * 100, privatePoints: priv * 100 }],
    overrides: o.override === undefined ? [] : [{ points: o.override }],
  });
  const counted = (subs: ReturnType<typeof sub>[]) => {
    const c = countedSubmissions(subs);
    return { public: c.public && [c.public.submission.number, c.public.points], private: c.private && [c.private.submission.number, c.private.points] };
  };
  // Equal points and scores: the earlier submission.
  expect(counted([sub(2, 0.5, 0.5), sub(1, 0.5, 0.5)])).toEqual({ public: [1, 50], private: [1, 50] });
  // Equal points (both overridden to 40): the higher score.
  expect(counted([sub(1, 0.5, 0.5, { override: 40 }), sub(2, 0.6, 0.4, { override: 40 })])).toEqual({ public: [2, 40], private: [2, 40] });
  // A cleared override (points null) gives back the scored points; a failed submission never counts.
  expect(counted([sub(1, 0.5, 0.6, { override: null }), sub(2, 0.9, 0.9, { status: "FAILED" })])).toEqual({ public: [1, 50], private: [1, 60] });
  // Without a final choice the public one's private points count; with one, the best final.
  expect(counted([sub(1, 0.8, 0.3), sub(2, 0.7, 0.9)])).toEqual({ public: [1, 80], private: [1, 30] });
  expect(counted([sub(1, 0.8, 0.3), sub(2, 0.7, 0.9, { final: true }), sub(3, 0.6, 0.5, { final: true, override: 95 })])).toEqual({ public: [3, 95], private: [3, 95] });
  expect(counted([])).toEqual({ public: null, private: null });
});
