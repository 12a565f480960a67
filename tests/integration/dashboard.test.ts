// The instructor dashboard, quiz statistics, grader view and roster management, on
// seeded activity whose figures are computed by hand below.
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { DashboardService } from "../../src/dashboard/dashboard.service.js";
import { $, csrfFrom, signIn, startTestApp, type TestApp, signedIn } from "../helpers/app.js";
import { copyContent } from "../helpers/content.js";
import { tempDir } from "../helpers/grading.js";
import type { CheerioAPI } from "cheerio";

const holdout = tempDir();
const content = copyContent();
content.write("cnn/case-study.yaml", `title: Test case study\ndeadline: 2026-12-04T23:59\ndata: { holdoutDir: ${JSON.stringify(holdout.dir)} }\n`);
// The module's own due dates (not the demo's), so the completion chart's days are known:
// Theory due Friday 27 Nov 9:00, Practical Monday 30 Nov 9:00 (Denver).
content.write("cnn/module.yaml", content.file("cnn/module.yaml").replace(/^theoryDue:.*$/m, "theoryDue: 2026-11-27T09:00").replace(/^practicalDue:.*$/m, "practicalDue: 2026-11-30T09:00"));
let t: TestApp;
let now = new Date("2026-12-01T19:00:00Z");
const ids: Record<string, string> = {};
let theoryItems: string[] = [];
let practicalItems: string[] = [];

beforeAll(async () => {
  t = await startTestApp({}, { contentDir: content.dir, clock: () => now });
  for (const u of await t.db.user.findMany()) ids[u.email.split("@")[0]!] = u.id;
  const items = await t.db.checklistItem.findMany({ where: { archivedAt: null } });
  theoryItems = items.filter((i) => i.section === "THEORY").map((i) => i.id);
  practicalItems = items.filter((i) => i.section === "PRACTICAL").map((i) => i.id);
  const tick = (user: string, items: string[], at: string) => t.db.checklistTick.createMany({ data: items.map((itemId) => ({ itemId, userId: ids[user]!, completedAt: new Date(at) })) });
  await tick("alice", theoryItems, "2026-11-25T20:00:00Z");
  await tick("ben", theoryItems.slice(0, 1), "2026-11-26T20:00:00Z");
  await tick("chloe", [...theoryItems, ...practicalItems], "2026-11-28T20:00:00Z");
  const quiz = await t.db.quiz.findFirstOrThrow({});
  await t.db.quizGrade.createMany({ data: [
    { quizId: quiz.id, userId: ids.alice!, percent: 95, passed: true, attempts: 2 },
    { quizId: quiz.id, userId: ids.ben!, percent: 60, passed: false, attempts: 1 },
  ] });
  const cs = await t.db.caseStudy.findFirstOrThrow({});
  const stop = await t.db.team.findFirstOrThrow({ where: { name: "Stop Signs" } });
  const sub = async (number: number, status: "SCORED" | "FAILED", pub?: number, priv?: number, privPoints?: number) => {
    const s = await t.db.submission.create({ data: { caseStudyId: cs.id, teamId: stop.id, userId: ids.alice!, number, filename: "m.keras", storedPath: "/nowhere", bytes: 1, status, createdAt: new Date(`2026-12-01T1${number}:00:00Z`), errorCode: status === "FAILED" ? "grader_error" : null, errorMessage: status === "FAILED" ? "disk full" : null } });
    if (pub !== undefined) await t.db.submissionResult.create({ data: { submissionId: s.id, holdoutVersion: cs.holdoutVersion, publicScore: pub, privateScore: priv!, publicPoints: 0, privatePoints: privPoints!, accuracy: pub, engine: "test", details: {} } });
  };
  await sub(1, "SCORED", 0.8, 0.82, 25);
  await sub(2, "SCORED", 0.9, 0.88, 75);
  await sub(3, "FAILED");
});
afterAll(async () => {
  await t.close();
  holdout.remove();
  content.remove();
});

const as = (email: string, password?: string) => signedIn(t, email, password);

const names = (html: string) => { const p = $(html); return p("table.roster tbody tr td:first-child a").map((_i, a) => p(a).text()).get(); };

test("the roster: progress, last activity, quiz and case-study figures per student", async () => {
  const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
  const res = await instructor.get("/courses/cnn/dashboard");
  expect(res.status).toBe(200);
  const page = $(res.text);
  const row = (name: string) => page("table.roster tbody tr").filter((_i, tr) => page(tr).find("td:first-child a").text() === name).find("td").map((_j, td) => page(td).text().replace(/\s+/g, " ").trim()).get();
  const T = theoryItems.length;
  const P = practicalItems.length;
  expect(row("Alice Nguyen")).toEqual([expect.stringContaining("Alice Nguyen"), "Stop Signs", `${T}/${T}`, `0/${P}`, expect.stringMatching(/Dec 1, 2026/), "95% ✓ passed (2)", "0.900 (2)"]);
  expect(row("Ben Okafor").slice(2, 7)).toEqual([`1/${T}`, `0/${P}`, expect.stringMatching(/Nov 26, 2026/), "60% ✗ not passed (1)", "0.900 (2)"]);
  expect(row("Chloé Martin").slice(2, 4)).toEqual([`${T}/${T}`, `${P}/${P}`]);
  expect(row("Felix Romero").slice(1, 7)).toEqual(["no team", `0/${T}`, `0/${P}`, "never", "—", "— (0)"]);
  expect(page("h2#roster").text()).toContain("(6)");
});

/** The dashboard's chart whose caption starts with `caption`. */
function figure(page: CheerioAPI, caption: string) {
  const fig = page("section.charts figure").filter((_i, f) => page(f).find("figcaption").text().startsWith(caption));
  expect(fig).toHaveLength(1);
  return fig;
}
type Selection = ReturnType<typeof figure>;

/** The rows of a chart's data table (the <details> under it), each as its cells' texts. */
function tableOf(page: CheerioAPI, fig: Selection) {
  const table = fig.find("details.chart-data table");
  expect(table).toHaveLength(1);
  return table.find("tbody tr").map((_i, tr) => [page(tr).find("th, td").map((_j, c) => page(c).text()).get()]).get() as string[][];
}
const textsOf = (page: CheerioAPI, svg: Selection, selector: string) => svg.find(selector).map((_i, t) => page(t).text()).get() as string[];

/** What every chart must be: a labelled image that scales (viewBox, width 100%), text of 12 units or more, no style attributes (CSP). */
function expectAccessibleChart(page: CheerioAPI, svg: Selection) {
  expect(svg).toHaveLength(1);
  expect(svg.attr("role")).toBe("img");
  expect(svg.attr("width")).toBe("100%");
  expect(svg.attr("height")).toBeUndefined();
  expect(svg.attr("viewBox")).toMatch(/^0 0 \d+(\.\d+)? \d+(\.\d+)?$/);
  expect(svg.find("[style]")).toHaveLength(0);
  const sizes = svg.find("text").map((_i, t) => parseFloat(page(t).attr("font-size") ?? "0")).get() as number[];
  expect(sizes.length).toBeGreaterThan(0);
  expect(Math.min(...sizes)).toBeGreaterThanOrEqual(12);
}

test("the charts show the hand-computed figures of the seeded activity", async () => {
  const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
  const page = $((await instructor.get("/courses/cnn/dashboard")).text);

  // Completion, Saturday 21 Nov (six days before Theory is due) to Monday 30 Nov, six students:
  // Alice finished Theory on Wednesday 25th, Chloé Theory and Practical on Saturday 28th; Ben has one Theory item.
  const completionFig = figure(page, "Checklist completion over the week");
  const completion = completionFig.find("svg");
  expectAccessibleChart(page, completion);
  expect(completion.attr("aria-label")).toBe("Students, of 6, who had finished Theory and Practical by the end of each day: Theory 0, 0, 0, 0, 1, 1, 1, 2, 2, 2; Practical 0, 0, 0, 0, 0, 0, 0, 1, 1, 1.");
  expect(textsOf(page, completion, "g.role-axis-title text")).toEqual(["Day (end of)", "Students done (of 6)"]);
  expect(textsOf(page, completion, "g.role-legend-label text")).toEqual(["Theory done", "Practical done"]);
  expect(completion.find("g.mark-line path")).toHaveLength(2);
  // A percent axis, not a 0–1 share.
  expect(textsOf(page, completion, "g.role-axis-label text").filter((l) => l.endsWith("%"))).toEqual(["0%", "20%", "40%", "60%", "80%", "100%"]);
  const days = ["Sat 21", "Sun 22", "Mon 23", "Tue 24", "Wed 25", "Thu 26", "Fri 27", "Sat 28", "Sun 29", "Mon 30"];
  const sixths = (counts: number[]) => counts.map((n) => `${((n / 6) * 100).toFixed(1)}%`);
  expect(tableOf(page, completionFig)).toEqual([
    ...sixths([0, 0, 0, 0, 1, 1, 1, 2, 2, 2]).map((v, i) => ["Theory done", days[i], v]),
    ...sixths([0, 0, 0, 0, 0, 0, 0, 1, 1, 1]).map((v, i) => ["Practical done", days[i], v]),
  ]);

  // No quiz attempts yet.
  const quiz = figure(page, "Quiz scores");
  expect(quiz.find("figcaption").text()).toBe("Quiz scores (0 attempts)");
  expect(quiz.find("svg")).toHaveLength(0);
  expect(quiz.text()).toContain("No data yet.");

  // One team with scored submissions: Stop Signs, public 0.8 then 0.9 (the third failed).
  const teamsFig = figure(page, "Case study: teams' best public macro-F1");
  const teams = teamsFig.find("svg");
  expectAccessibleChart(page, teams);
  expect(teams.attr("aria-label")).toBe("Teams' best public macro-F1 in bins of 0.1: 0, 0, 0, 0, 0, 0, 0, 0, 0, 1.");
  expect(textsOf(page, teams, "g.role-axis-title text")).toEqual(["Best public macro-F1", "Teams"]);
  expect(teams.find("g.mark-rect path")).toHaveLength(10);
  expect(textsOf(page, teams, "g.mark-text.role-mark text")).toEqual(["1"]); // counts on bars, none on empty ones
  expect(tableOf(page, teamsFig)).toEqual(["0.0–0.1", "0.1–0.2", "0.2–0.3", "0.3–0.4", "0.4–0.5", "0.5–0.6", "0.6–0.7", "0.7–0.8", "0.8–0.9", "0.9–1.0"].map((l, i) => [l, i === 9 ? "1" : "0"]));

  // Its best over time: 0.8 after the 11:00 UTC submission, 0.9 after the 12:00 one (4:00 and 5:00 in Denver).
  const overFig = figure(page, "Leaderboard over time");
  const overTime = overFig.find("svg");
  expectAccessibleChart(page, overTime);
  expect(overTime.attr("aria-label")).toBe("Best public macro-F1 of the top 1 teams over time: Stop Signs 0.900.");
  expect(textsOf(page, overTime, "g.role-axis-title text")).toEqual(["Time (America/Denver)", "Best public macro-F1"]);
  expect(textsOf(page, overTime, "g.role-legend-label text")).toEqual(["Stop Signs"]);
  const times = textsOf(page, overTime, "g.role-axis-label text").filter((l) => /^[A-Z][a-z]{2} \d\d:\d\d$/.test(l));
  expect(times[0]).toBe("Tue 04:00");
  expect(times.at(-1)).toBe("Tue 05:00");
  expect(tableOf(page, overFig)).toEqual([["Stop Signs", "Tue 1 Dec 04:00", "0.800"], ["Stop Signs", "Tue 1 Dec 05:00", "0.900"]]);
});
test("mid-week the completion chart has figures for the days begun so far only; the axis still shows the whole week", async () => {
  const before = now;
  now = new Date("2026-11-26T19:00:00Z"); // Thursday 26 Nov, noon in Denver
  try {
    const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
    const page = $((await instructor.get("/courses/cnn/dashboard")).text);
    const fig = figure(page, "Checklist completion over the week");
    const svg = fig.find("svg");
    // Alice finished Theory on Wednesday 25th; nothing is known of Friday to Monday yet.
    expect(svg.attr("aria-label")).toBe("Students, of 6, who had finished Theory and Practical by the end of each day so far (to Thu 26): Theory 0, 0, 0, 0, 1, 1; Practical 0, 0, 0, 0, 0, 0.");
    const days = ["Sat 21", "Sun 22", "Mon 23", "Tue 24", "Wed 25", "Thu 26"];
    expect(tableOf(page, fig).map(([series, day]) => `${series} ${day}`)).toEqual([...days.map((d) => `Theory done ${d}`), ...days.map((d) => `Practical done ${d}`)]);
    expect(textsOf(page, svg, "g.role-axis-label text").filter((l) => /^[A-Z][a-z]{2} \d+$/.test(l))).toContain("Mon 30");
    // Before the week's first day: that day only, with what is done already (nothing, on Friday 20th).
    now = new Date("2026-11-20T19:00:00Z");
    const early = $((await instructor.get("/courses/cnn/dashboard")).text);
    const earlyFig = figure(early, "Checklist completion over the week");
    expect(earlyFig.find("svg").attr("aria-label")).toBe("Students, of 6, who had finished Theory and Practical by the end of each day so far (the week begins Sat 21): Theory 0; Practical 0.");
    expect(tableOf(early, earlyFig)).toEqual([["Theory done", "Sat 21", "0.0%"], ["Practical done", "Sat 21", "0.0%"]]);
  } finally {
    now = before;
  }
});


test("filters, search, sorting and paging", async () => {
  const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
  const get = async (qs: string) => names((await instructor.get(`/courses/cnn/dashboard?${qs}`)).text);
  expect(await get("filter=theory")).toEqual(["Ben Okafor", "Dev Patel", "Emma Schultz", "Felix Romero"]);
  expect(await get("filter=quiz")).toEqual(["Ben Okafor", "Chloé Martin", "Dev Patel", "Emma Schultz", "Felix Romero"]);
  expect(await get("filter=submission")).toEqual(["Dev Patel", "Emma Schultz", "Felix Romero"]);
  expect(await get("filter=submission&filter=theory")).toEqual(["Dev Patel", "Emma Schultz", "Felix Romero"]);
  expect(await get("filter=team")).toEqual(["Felix Romero"]);
  expect(await get("q=yield")).toEqual(["Dev Patel", "Emma Schultz"]);
  expect(await get("q=%25")).toEqual([]); // a literal %, not a wildcard
  expect((await get("sort=quiz&dir=desc")).slice(0, 2)).toEqual(["Alice Nguyen", "Ben Okafor"]);
  expect((await get("sort=theory&dir=desc")).slice(0, 3)).toEqual(["Alice Nguyen", "Chloé Martin", "Ben Okafor"]);
  expect((await get("sort=practical&dir=desc"))[0]).toBe("Chloé Martin");
  expect((await get("sort=case")).slice(-3)).toEqual(["Alice Nguyen", "Ben Okafor", "Chloé Martin"]);
  expect(await get("sort=activity")).toHaveLength(6);
  expect(await get("sort=bogus")).toHaveLength(6);
  const svc = new DashboardService({ db: t.db });
  const course = await t.db.course.findFirstOrThrow({});
  const focus = { quizId: (await t.db.quiz.findFirstOrThrow({})).id, caseStudyId: (await t.db.caseStudy.findFirstOrThrow({})).id };
  const p1 = await svc.roster(course.id, focus, { perPage: 4, page: 1 });
  const p2 = await svc.roster(course.id, focus, { perPage: 4, page: 2 });
  expect([p1.total, p1.rows.length, p2.rows.length]).toEqual([6, 4, 2]);
  expect(new Set([...p1.rows, ...p2.rows].map((r) => r.id)).size).toBe(6);
});

test("the gradebook CSV: readings %, quiz grade, case-study points (private, of the best final or best public)", async () => {
  const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
  const raw = (await instructor.get("/courses/cnn/dashboard/gradebook.csv")).text;
  // A UTF-8 byte-order mark first, so Excel reads the file as UTF-8 (names with accents).
  expect(raw.charCodeAt(0)).toBe(0xfeff);
  const csv = raw.slice(1).trim().split("\n");
  expect(csv[0]).toBe("email,name,team,theory_percent,practical_percent,readings_percent,quiz_percent,quiz_passed,quiz_attempts,case_study_points,case_study_submissions");
  const T = theoryItems.length;
  const P = practicalItems.length;
  const readings = Math.round((T / (T + P)) * 100);
  expect(csv).toContain(`"alice@example.edu","Alice Nguyen","Stop Signs","100","0","${readings}","95","yes","2","75","2"`);
  expect(csv).toContain(`"felix@example.edu","Felix Romero","","0","0","0","","","0","","0"`);
  expect(csv).toHaveLength(7);
  // A name or team that would start a spreadsheet formula is exported as text.
  await t.db.user.update({ where: { email: "felix@example.edu" }, data: { name: "=HYPERLINK(\"http://evil.example\",\"Felix\")" } });
  await t.db.team.updateMany({ where: { name: "Stop Signs" }, data: { name: "@SUM(1+1)" } });
  try {
    const hostile = (await instructor.get("/courses/cnn/dashboard/gradebook.csv")).text;
    expect(hostile).toContain(`"felix@example.edu","'=HYPERLINK(""http://evil.example"",""Felix"")",""`);
    expect(hostile).toContain(`"alice@example.edu","Alice Nguyen","'@SUM(1+1)"`);
  } finally {
    await t.db.user.update({ where: { email: "felix@example.edu" }, data: { name: "Felix Romero" } });
    await t.db.team.updateMany({ where: { name: "@SUM(1+1)" }, data: { name: "Stop Signs" } });
  }
});

test("the gradebook CSV has every student of a course larger than a dashboard page (520 students: 520 rows)", async () => {
  const big = await t.db.course.create({ data: { slug: "big-course", title: "A large course" } });
  const emails = Array.from({ length: 520 }, (_, i) => `big-${String(i).padStart(3, "0")}@example.edu`);
  try {
    await t.db.user.createMany({ data: emails.map((email, i) => ({ email, name: `Student ${String(i).padStart(3, "0")}` })) });
    const made = await t.db.user.findMany({ where: { email: { in: emails } }, select: { id: true } });
    await t.db.membership.createMany({ data: [...made.map((u) => ({ userId: u.id, courseId: big.id, role: "STUDENT" as const })), { userId: ids.instructor!, courseId: big.id, role: "INSTRUCTOR" }] });
    const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
    const csv = (await instructor.get("/courses/big-course/dashboard/gradebook.csv")).text.trim().split("\n");
    expect(csv).toHaveLength(1 + 520);
    expect(new Set(csv.slice(1).map((line) => line.split(",")[0]))).toEqual(new Set(emails.map((e) => `"${e}"`)));
  } finally {
    await t.db.course.delete({ where: { id: big.id } });
    await t.db.user.deleteMany({ where: { email: { in: emails } } });
  }
});

test("a filter named like an Object.prototype key (?filter=constructor) is ignored, not a server error", async () => {
  const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
  const all = await instructor.get("/courses/cnn/dashboard");
  for (const f of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
    const res = await instructor.get(`/courses/cnn/dashboard?filter=${f}&filter=team`);
    expect([f, res.status]).toEqual([f, 200]);
    expect(names(res.text)).toEqual(["Felix Romero"]); // only the real filter applies: students without a team
  }
  expect(names(all.text)).toContain("Felix Romero");
});

test("students and graders cannot open instructor pages; graders have the grading view", async () => {
  const alice = await as("alice@example.edu");
  const grader = await as("grader@example.edu", DEMO_PASSWORDS.grader);
  for (const url of ["/dashboard", "/dashboard/gradebook.csv", "/quizzes/cnn-friday/statistics", "/people/import"]) {
    expect([url, (await alice.get(`/courses/cnn${url}`)).status]).toEqual([url, 403]);
    expect([url, (await grader.get(`/courses/cnn${url}`)).status]).toEqual([url, 403]);
  }
  expect((await alice.get("/courses/cnn/grading")).status).toBe(403);
  const g = $((await grader.get("/courses/cnn/grading")).text);
  expect(g("#failed-h").parent().text()).toContain("Stop Signs #3");
  expect(g("#failed-h").parent().text()).toContain("disk full");
  // Alice's own page: her checklist with times, no other student's.
  const mine = await alice.get(`/courses/cnn/students/${ids.alice}`);
  expect($(mine.text)("section").first().text()).toContain("Theory: " + theoryItems.length + " of " + theoryItems.length);
  expect((await alice.get(`/courses/cnn/students/${ids.ben}`)).status).toBe(403);
});

test("quiz statistics from the database match hand-computed values", async () => {
  const quiz = await t.db.quiz.findFirstOrThrow({});
  const q = (id: string, extra = {}) => ({ id, type: "single", points: 1, variant: "", textHtml: `<p>${id}</p>`, ...extra });
  const choice = { choices: [{ key: "c0", orig: 0, html: "Right", correct: true }, { key: "c1", orig: 1, html: "Tempting" }] };
  // q1 right for the two strongest attempts; q2 right for 1st and 3rd; q3 like q1 (see the unit test).
  const grid = [[1, 1, 1], [1, 0, 1], [0, 1, 0], [0, 0, 0]];
  for (const [n, row] of grid.entries()) {
    await t.db.quizAttempt.create({
      data: {
        quizId: quiz.id, userId: [ids.alice, ids.ben, ids.chloe, ids.dev][n]!, number: 1, status: "SUBMITTED", seed: "s", contentHash: "h",
        startedAt: new Date("2026-11-26T10:00:00Z"), submittedAt: new Date(`2026-11-26T10:${String(10 * (n + 1)).padStart(2, "0")}:00Z`),
        score: row.reduce((a, b) => a + b, 0), maxScore: 3,
        slots: { create: row.map((sc, i) => ({ slot: i, questionId: `q${i + 1}`, variant: "", question: q(`q${i + 1}`, i === 0 ? choice : {}), response: i === 0 ? { choice: sc ? "c0" : "c1" } : {}, score: sc, state: sc ? "correct" : "wrong" })) },
      },
    });
  }
  const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
  const page = $((await instructor.get("/courses/cnn/quizzes/cnn-friday/statistics")).text);
  // q1–q3 are not questions of the quiz file: listed by id, after the quiz's own.
  const row = (id: string) => page("tbody tr").filter((_i, tr) => page(tr).find("th a").text() === `${id} (no longer in the quiz)`).find("td").map((_j, td) => page(td).text().trim()).get();
  expect(row("q1")).toEqual(["single", "4", "50.0", "57.7", "70.7", "100.0"]);
  expect(row("q2").slice(2, 5)).toEqual(["50.0", "57.7", "0.0"]);
  expect(page("dl.facts").text()).toContain("mean 50.0%, median 50.0%");
  expect(page("dl.facts").text()).toContain("25.0 minutes on average");
  expect(page("#stat-q1 table").text()).toMatch(/Right\s*not known\s*2 \(50%\)\s*Tempting\s*not known\s*2 \(50%\)/); // q1 is not in the quiz file: its right answer is not known
  // The dashboard's quiz chart: attempts at 100%, 66.7%, 33.3% and 0% in 10% bins (100% in the last).
  const dashboard = $((await instructor.get("/courses/cnn/dashboard")).text);
  const chart = figure(dashboard, "Quiz scores");
  expect(chart.find("figcaption").text()).toBe("Quiz scores (4 attempts, mean 50.0%, median 50.0%, 25.0 min on average)");
  expectAccessibleChart(dashboard, chart.find("svg"));
  expect(chart.find("svg").attr("aria-label")).toBe("Quiz attempt scores in 10-point bins: 1, 0, 0, 1, 0, 0, 1, 0, 0, 1.");
  expect(textsOf(dashboard, chart.find("svg"), "g.role-axis-title text")).toEqual(["Score (%)", "Attempts"]);
  expect(textsOf(dashboard, chart.find("svg"), "g.mark-text.role-mark text")).toEqual(["1", "1", "1", "1"]);
  const one = new Set([0, 3, 6, 9]);
  expect(tableOf(dashboard, chart)).toEqual(["0–10", "10–20", "20–30", "30–40", "40–50", "50–60", "60–70", "70–80", "80–90", "90–100"].map((l, i) => [l, one.has(i) ? "1" : "0"]));
  await t.db.quizAttempt.deleteMany({ where: { seed: "s" } });
});

test("roster import: a preview with per-row errors changes nothing; a clean one applies, with one-time password links", async () => {
  const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
  const form = await instructor.get("/courses/cnn/people/import");
  const bad = await instructor.post("/courses/cnn/people/import").type("form").send({ _csrf: csrfFrom(form.text), csv: "email,name,role,team\nnot-an-email,X,student,\nzoe@example.edu,Zoe,wizard,\nzoe@example.edu,Zoe Again,student,New Team\n" });
  const preview = $(bad.text);
  expect(preview("[role=alert]").first().text()).toContain("3 problems: fix the rows below");
  const errs = preview("tbody tr").map((_i, tr) => preview(tr).text().replace(/\s+/g, " ").trim()).get();
  expect(errs[0]).toContain('"not-an-email" is not an email address.');
  expect(errs[1]).toContain('Role "wizard" is not student, instructor or grader.');
  expect(errs[2]).toContain("The same email is on line 3.");
  expect(await t.db.user.count({ where: { email: "zoe@example.edu" } })).toBe(0);
  const csv = "email,name,role,team\nzoe@example.edu,Zoe Park,student,New Team\nfelix@example.edu,Felix Romero,student,Yield Ahead\n";
  const ok = $((await instructor.post("/courses/cnn/people/import").type("form").send({ _csrf: csrfFrom(form.text), csv })).text);
  expect(ok("tbody").text()).toContain("new account, join as student, team New Team");
  expect(ok("tbody").text()).toContain("team Yield Ahead");
  const applied = $((await instructor.post("/courses/cnn/people/import").type("form").send({ _csrf: csrfFrom(form.text), csv, apply: "1", checked: String(ok("input[name=checked]").val()) })).text);
  expect(applied("[role=status]").text()).toContain("1 account created, 1 updated");
  const link = new URL(applied("table.password-links tbody code").first().text()).pathname;
  const zoe = t.agent();
  const setPage = await zoe.get(link);
  expect((await zoe.post(link).type("form").send({ _csrf: csrfFrom(setPage.text), password: "zoe's password", confirm: "zoe's password" })).status).toBe(303);
  expect((await signIn(zoe, "zoe@example.edu", "zoe's password")).status).toBe(303);
  expect((await t.db.teamMember.findFirstOrThrow({ where: { user: { email: "felix@example.edu" } }, include: { team: true } })).team.name).toBe("Yield Ahead");
});

test("roster import: a NUL character, in a CSV file or in text pasted into the multipart form, is refused with what to do; nothing changes", async () => {
  const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
  const form = await instructor.get("/courses/cnn/people/import");
  const before = await t.db.user.count();
  // Text pasted into the form, sent as the form sends it (multipart: the form has a file field).
  const pasted = await instructor.post("/courses/cnn/people/import").field("_csrf", csrfFrom(form.text)).field("csv", "email,name,role,team\nnul@example.edu,Nu\u0000l,student,\n").field("apply", "1");
  expect(pasted.status).toBe(400);
  expect(pasted.text).toContain("What was sent has a character that cannot be in a form (NUL). Enter it again.");
  // A file that is not CSV text (a spreadsheet's bytes hold NULs).
  const file = await instructor.post("/courses/cnn/people/import").field("_csrf", csrfFrom(form.text)).field("apply", "1")
    .attach("file", Buffer.from("email,name,role,team\nnul@example.edu,Nu\u0000l,student,\n"), { filename: "people.csv", contentType: "text/csv" });
  expect(file.status).toBe(400);
  expect(file.text).toContain("The file is not CSV text: it holds NUL characters (a spreadsheet file, perhaps). Save it as CSV (UTF-8) and choose it again.");
  expect(await t.db.user.count()).toBe(before);
  expect(await t.db.user.count({ where: { email: "nul@example.edu" } })).toBe(0);
});

test("an import corrects the name of an account this course alone has; one other courses share keeps its name, and the preview says so", async () => {
  const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
  const form = csrfFrom((await instructor.get("/courses/cnn/people/import")).text);
  const name = async (email: string) => (await t.db.user.findUniqueOrThrow({ where: { email } })).name;
  const [chloeBefore, emmaBefore] = [await name("chloe@example.edu"), await name("emma@example.edu")];
  // Emma is in another course too.
  const other = await t.db.course.create({ data: { slug: "other-course", title: "Another course" } });
  await t.db.membership.create({ data: { userId: ids.emma!, courseId: other.id, role: "STUDENT" } });
  try {
    const csv = "email,name,role,team\nchloe@example.edu,Chloé Martin-Dubois,,\nemma@example.edu,Emma Schulz,,\n";
    const checked = $((await instructor.post("/courses/cnn/people/import").type("form").send({ _csrf: form, csv })).text);
    const actions = checked("tbody tr").map((_i, tr) => checked(tr).find("td").last().text()).get();
    expect(actions).toEqual([`name ${chloeBefore} → Chloé Martin-Dubois`, `name kept as ${emmaBefore} (the account is in other courses too)`]);
    const applied = $((await instructor.post("/courses/cnn/people/import").type("form").send({ _csrf: form, csv, apply: "1", checked: String(checked("input[name=checked]").val()) })).text);
    expect(applied("[role=status]").text()).toContain("0 accounts created, 1 updated");
    expect([await name("chloe@example.edu"), await name("emma@example.edu")]).toEqual(["Chloé Martin-Dubois", emmaBefore]);
    // An account in no course (removed from its last one) is not this course's to rename: it joins, named as it is.
    await t.db.user.create({ data: { email: "yara-nocourse@example.edu", name: "Zoë Żółć" } });
    const zoe = "email,name,role,team\nyara-nocourse@example.edu,Zoe Z,student,\n";
    const zoeChecked = $((await instructor.post("/courses/cnn/people/import").type("form").send({ _csrf: form, csv: zoe })).text);
    expect(zoeChecked("tbody tr td").last().text()).toBe("join as student, name kept as Zoë Żółć (an existing account)");
    await instructor.post("/courses/cnn/people/import").type("form").send({ _csrf: form, csv: zoe, apply: "1", checked: String(zoeChecked("input[name=checked]").val()) });
    expect(await name("yara-nocourse@example.edu")).toBe("Zoë Żółć");
    // Add (no preview) renames no one: Chloé added to a team with her name typed short keeps her name.
    expect((await instructor.post("/courses/cnn/people/add").type("form").send({ _csrf: form, email: "chloe@example.edu", name: "Chloé", role: "student", team: "Stop Signs" })).status).toBe(303);
    expect(await name("chloe@example.edu")).toBe("Chloé Martin-Dubois");
  } finally {
    await t.db.user.update({ where: { email: "chloe@example.edu" }, data: { name: chloeBefore } });
    await t.db.user.deleteMany({ where: { email: "yara-nocourse@example.edu" } });
    await t.db.course.delete({ where: { id: other.id } });
  }
});

test("adding or importing people keeps the role rules of the People list: nobody changes their own role, the course keeps an instructor, Add changes no one's role, a row without a role keeps it", async () => {
  const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
  const csrf = csrfFrom((await instructor.get("/courses/cnn/people")).text);
  const roles = async () => Object.fromEntries((await t.db.membership.findMany({ where: { user: { email: { in: ["instructor@example.edu", "grader@example.edu"] } } }, include: { user: true } })).map((m) => [m.user.email, m.role]));
  const before = { "instructor@example.edu": "INSTRUCTOR", "grader@example.edu": "GRADER" };
  expect(await roles()).toEqual(before);
  // Add, with its role left at Student, for the instructor herself and for the grader: refused, nothing changes.
  for (const [email, as_] of [["instructor@example.edu", "instructor"], ["grader@example.edu", "grader"]]) {
    const res = await instructor.post("/courses/cnn/people/add").type("form").send({ _csrf: csrf, email, name: "Someone", role: "student", team: "" });
    expect(res.status).toBe(400);
    expect($(res.text)("#add-error").text()).toContain(`${email} is already in this course as ${as_}. To change their role, use Role in the list above.`);
  }
  expect(await roles()).toEqual(before);
  // An import that would make her a student: that row is refused. A row without a role keeps hers.
  const form = csrfFrom((await instructor.get("/courses/cnn/people/import")).text);
  const own = $((await instructor.post("/courses/cnn/people/import").type("form").send({ _csrf: form, csv: "email,name,role,team\ninstructor@example.edu,Irene Instructor,student,\n" })).text);
  expect(own("tbody tr").text()).toContain("This is you: you cannot change your own role; ask another instructor.");
  const kept = $((await instructor.post("/courses/cnn/people/import").type("form").send({ _csrf: form, csv: "email,name,role,team\ninstructor@example.edu,Irene Instructor,,\ngrader@example.edu,Gus Grader,,\n" })).text);
  expect(kept("tbody tr").map((_i, tr) => kept(tr).find("td").eq(3).text() + ": " + kept(tr).find("td").last().text()).get()).toEqual(["Instructor: no change", "Grader: no change"]);
  // The administrator (an instructor here without being one) may not import the course's only instructor away.
  const admin = await as("admin@example.edu", DEMO_PASSWORDS.admin);
  const adminForm = csrfFrom((await admin.get("/courses/cnn/people/import")).text);
  const away = $((await admin.post("/courses/cnn/people/import").type("form").send({ _csrf: adminForm, csv: "email,name,role,team\ninstructor@example.edu,Irene Instructor,grader,\n", apply: "1" })).text);
  expect(away("tbody tr").text()).toContain("This would leave the course without an instructor: keep one, or add another instructor first.");
  // With another instructor in the same file it is allowed (not applied here).
  const swap = $((await admin.post("/courses/cnn/people/import").type("form").send({ _csrf: adminForm, csv: "email,name,role,team\ninstructor@example.edu,Irene Instructor,grader,\ngrader@example.edu,Gus Grader,instructor,\n" })).text);
  expect(swap("[role=alert]")).toHaveLength(0);
  expect(swap("tbody").text()).toContain("role instructor → grader");
  expect(await roles()).toEqual(before);
});

test("roster import: 'Apply' saves the text that was checked; text edited after the check is checked again, not saved", async () => {
  const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
  const form = csrfFrom((await instructor.get("/courses/cnn/people/import")).text);
  const csv = "email,name,role,team\nyuki@example.edu,Yuki Sato,student,\n";
  const checked = $((await instructor.post("/courses/cnn/people/import").type("form").send({ _csrf: form, csv })).text);
  const digest = String(checked("input[name=checked]").val());
  const edited = csv.replace("student", "instructor");
  const res = $((await instructor.post("/courses/cnn/people/import").type("form").send({ _csrf: form, csv: edited, apply: "1", checked: digest })).text);
  expect(res("[role=status]").text()).toContain("The CSV changed after it was checked, so nothing was saved.");
  expect(res("tbody").text()).toContain("join as instructor");
  expect(await t.db.user.count({ where: { email: "yuki@example.edu" } })).toBe(0);
  // Applying what this page showed: saved — posted back from its textarea, as a browser does, with CRLF line ends.
  const applied = $((await instructor.post("/courses/cnn/people/import").type("form").send({ _csrf: form, csv: edited.replace(/\n/g, "\r\n"), apply: "1", checked: String(res("input[name=checked]").val()) })).text);
  expect(applied("[role=status]").text()).toContain("1 account created");
  expect((await t.db.membership.findFirstOrThrow({ where: { user: { email: "yuki@example.edu" } } })).role).toBe("INSTRUCTOR");
  await t.db.user.delete({ where: { email: "yuki@example.edu" } });
});

test("roles and removal; the last instructor cannot be removed or demoted", async () => {
  const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
  const people = await instructor.get("/courses/cnn/people");
  const csrf = csrfFrom(people.text);
  expect((await instructor.post(`/courses/cnn/people/${ids.emma}/role`).type("form").send({ _csrf: csrf, role: "GRADER" })).status).toBe(303);
  expect((await t.db.membership.findFirstOrThrow({ where: { userId: ids.emma } })).role).toBe("GRADER");
  expect(await t.db.teamMember.count({ where: { userId: ids.emma } })).toBe(0); // staff are not in teams
  expect((await instructor.post(`/courses/cnn/people/${ids.instructor}/remove`).type("form").send({ _csrf: csrf, confirm: "1" })).status).toBe(409);
  // One's own role: no form for it on People; posted anyway, refused there, said on People, nothing changed.
  expect($(people.text)(`form[action="/courses/cnn/people/${ids.instructor}/role"]`)).toHaveLength(0);
  const own = await instructor.post(`/courses/cnn/people/${ids.instructor}/role`).type("form").send({ _csrf: csrf, role: "STUDENT" });
  expect([own.status, own.headers.location]).toEqual([303, "/courses/cnn/people"]);
  expect($((await instructor.get("/courses/cnn/people")).text)(".flash-error").text()).toBe("The role was not changed: You cannot change your own role; ask another instructor.");
  expect((await t.db.membership.findFirstOrThrow({ where: { userId: ids.instructor } })).role).toBe("INSTRUCTOR");
  // The role someone has already: nothing to do, and said so (not refused).
  expect((await instructor.post(`/courses/cnn/people/${ids.dev}/role`).type("form").send({ _csrf: csrf, role: "STUDENT" })).status).toBe(303);
  expect($((await instructor.get("/courses/cnn/people")).text)(".flash-info").text()).toBe("That is their role already; nothing changed.");
  expect(await t.db.teamMember.count({ where: { userId: ids.dev } })).toBe(1);
  expect((await instructor.post(`/courses/cnn/people/${ids.emma}/remove`).type("form").send({ _csrf: csrf, confirm: "1" })).status).toBe(303);
  expect(await t.db.membership.count({ where: { userId: ids.emma } })).toBe(0);
  // Adding one person goes through the same checks as an import.
  const added = await instructor.post("/courses/cnn/people/add").type("form").send({ _csrf: csrf, email: "Quinn@Example.edu", name: "Quinn Lee", role: "grader", team: "" });
  expect(added.status).toBe(200); // a new account: the page shows its one-time password link
  expect($(added.text)("table.password-links tbody td").first().text()).toBe("quinn@example.edu");
  expect((await t.db.membership.findFirstOrThrow({ where: { user: { email: "quinn@example.edu" } } })).role).toBe("GRADER");
  const invalid = await instructor.post("/courses/cnn/people/add").type("form").send({ _csrf: csrf, email: "nobody", name: "", role: "grader", team: "Side Team" });
  expect(invalid.status).toBe(400);
  // Refused: the People page again, with what was wrong above the form and the form as typed.
  const again = $(invalid.text);
  expect(again("#add-error").text()).toBe('Nobody was added: "nobody" is not an email address. The name is empty. Only students are placed in teams. Correct the form below; what you typed is kept.');
  const addForm = again('form[action="/courses/cnn/people/add"]');
  expect(addForm.find("input[name=email]").val()).toBe("nobody");
  // The browser opens the page at the form, however long the roster above it (autofocus scrolls to it).
  expect(again("[autofocus]").map((_i, el) => again(el).attr("name")).get()).toEqual(["email"]);
  expect($(people.text)("[autofocus]")).toHaveLength(0);
  expect(addForm.find("input[name=name]").val()).toBe("");
  expect(addForm.find("select[name=role] option[selected]").val()).toBe("grader");
  expect(addForm.find("input[name=team]").val()).toBe("Side Team");
  expect(await t.db.user.count({ where: { email: "nobody" } })).toBe(0);
  // A role that is a name on every JavaScript object is not a role.
  const odd = await instructor.post("/courses/cnn/people/add").type("form").send({ _csrf: csrf, email: "odd@example.edu", name: "Odd One", role: "constructor", team: "" });
  expect(odd.status).toBe(400);
  expect($(odd.text)("#add-error").text()).toContain('Role "constructor" is not student, instructor or grader.');
  expect(await t.db.user.count({ where: { email: "odd@example.edu" } })).toBe(0);
  // The page without a refusal shows an empty form (student chosen) and no message.
  const fresh = $((await instructor.get("/courses/cnn/people")).text);
  expect(fresh("#add-error")).toHaveLength(0);
  expect(fresh('form[action="/courses/cnn/people/add"] input[name=email]').val()).toBe("");
  expect(fresh('form[action="/courses/cnn/people/add"] select[name=role] option[selected]').val()).toBe("student");
  const grader = await as("grader@example.edu", DEMO_PASSWORDS.grader);
  expect((await grader.post(`/courses/cnn/people/${ids.dev}/remove`).type("form").send({ _csrf: csrfFrom((await grader.get("/courses/cnn/people")).text), confirm: "1" })).status).toBe(403);
});

test("removing someone asks first, saying what will happen; only the confirmation removes; Undo puts them back with their role and team", async () => {
  const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
  const course = await t.db.course.findFirstOrThrow({ where: { slug: "cnn" } });
  const peopleHtml = (await instructor.get("/courses/cnn/people")).text;
  const people = $(peopleHtml);
  // No form removes on one click: Remove leads to a confirmation page; there is none for yourself.
  expect(people('form[action$="/remove"]')).toHaveLength(0);
  expect(people(`a[href="/courses/cnn/people/${ids.dev}/remove"]`).text()).toContain("Remove");
  expect(people(`a[href="/courses/cnn/people/${ids.instructor}/remove"]`)).toHaveLength(0);
  const self = $((await instructor.get(`/courses/cnn/people/${ids.instructor}/remove`)).text);
  expect(self(".confirm").text()).toContain("You cannot remove yourself from the course");
  expect(self(".confirm form")).toHaveLength(0);

  const page = await instructor.get(`/courses/cnn/people/${ids.dev}/remove`);
  expect(page.status).toBe(200);
  const confirm = $(page.text);
  expect(confirm("h1").text()).toBe(`Remove Dev Patel from ${course.title}?`);
  const said = confirm(".confirm").text().replace(/\s+/g, " ");
  expect(said).toContain("Dev Patel (dev@example.edu) is a student in team Yield Ahead.");
  expect(said).toContain("Their work stays in the records");
  expect(said).toContain("For 10 minutes afterwards you can undo this: they are added back as a student in team Yield Ahead.");
  expect(confirm(".confirm a.button").attr("href")).toBe("/courses/cnn/people"); // Cancel
  // A POST without the confirmation acts not: it shows the same question.
  const direct = await instructor.post(`/courses/cnn/people/${ids.dev}/remove`).type("form").send({ _csrf: csrfFrom(peopleHtml) });
  expect(direct.status).toBe(200);
  expect($(direct.text)("h1").text()).toBe(`Remove Dev Patel from ${course.title}?`);
  expect(await t.db.membership.count({ where: { userId: ids.dev, courseId: course.id } })).toBe(1);

  const form = confirm(".confirm form");
  const fields = Object.fromEntries(form.find("input").map((_i, e) => [[confirm(e).attr("name"), confirm(e).val()]]).get() as [string, string][]);
  const done = await instructor.post(form.attr("action")!).type("form").send(fields);
  expect(done.status).toBe(303);
  expect(await t.db.membership.count({ where: { userId: ids.dev, courseId: course.id } })).toBe(0);
  expect(await t.db.teamMember.count({ where: { userId: ids.dev, courseId: course.id } })).toBe(0);
  const result = await instructor.get(done.headers.location!);
  const undo = $(result.text)("form[action$='/undo']");
  expect(undo.find("button").text()).toBe("Undo: add Dev Patel back as a student in team Yield Ahead");
  // Another instructor's session has nothing to undo.
  const other = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
  expect((await other.post(undo.attr("action")!).type("form").send({ _csrf: csrfFrom((await other.get("/courses/cnn/people")).text) })).status).toBe(409);
  const back = await instructor.post(undo.attr("action")!).type("form").send({ _csrf: csrfFrom(result.text) });
  expect(back.status).toBe(303);
  expect((await t.db.membership.findFirstOrThrow({ where: { userId: ids.dev, courseId: course.id } })).role).toBe("STUDENT");
  expect((await t.db.teamMember.findFirstOrThrow({ where: { userId: ids.dev, courseId: course.id }, include: { team: true } })).team.name).toBe("Yield Ahead");
  expect($((await instructor.get("/courses/cnn/people")).text)(".flash").text()).toContain("Dev Patel is back in the course as a student in team Yield Ahead.");
  // Once only.
  expect((await instructor.post(undo.attr("action")!).type("form").send({ _csrf: csrfFrom(result.text) })).status).toBe(409);
});
