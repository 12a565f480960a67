// An instructor opens the dashboard in a browser: the roster, a filter, and the charts render;
// on a phone the charts fit the screen with text of 12 px or more, and axe finds nothing serious.
// SCREENSHOTS=1 saves the charts to docs/screenshots/dashboard-charts.png (linked from the README).
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { signInPage, startBrowserApp, type BrowserApp } from "../helpers/browser.js";

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
let b: BrowserApp;
beforeAll(async () => {
  b = await startBrowserApp({}, { clock: () => new Date("2026-11-26T19:00:00Z") });
  const alice = await b.t.db.user.findUniqueOrThrow({ where: { email: "alice@example.edu" } });
  const items = await b.t.db.checklistItem.findMany({ where: { section: "THEORY", archivedAt: null } });
  await b.t.db.checklistTick.createMany({ data: items.map((i) => ({ itemId: i.id, userId: alice.id, completedAt: new Date("2026-11-25T18:00:00Z") })) });
  // Data for every chart: four submitted quiz attempts, and two teams' scored submissions.
  const quiz = await b.t.db.quiz.findFirstOrThrow({});
  const students = await b.t.db.user.findMany({ where: { email: { in: ["alice@example.edu", "ben@example.edu", "chloe@example.edu", "dev@example.edu"] } } });
  for (const [i, u] of students.entries()) {
    await b.t.db.quizAttempt.create({ data: { quizId: quiz.id, userId: u.id, number: 1, status: "SUBMITTED", seed: "e2e", contentHash: "h", startedAt: new Date("2026-11-26T10:00:00Z"), submittedAt: new Date("2026-11-26T10:20:00Z"), score: 4 + 3 * i, maxScore: 16 } });
  }
  const cs = await b.t.db.caseStudy.findFirstOrThrow({});
  const teams = await b.t.db.team.findMany({ orderBy: { name: "asc" }, take: 2 });
  for (const [k, team] of teams.entries()) {
    for (let n = 1; n <= 3; n++) {
      const s = await b.t.db.submission.create({ data: { caseStudyId: cs.id, teamId: team.id, userId: students[k]!.id, number: n, filename: "m.keras", storedPath: "/nowhere", bytes: 1, status: "SCORED", createdAt: new Date(`2026-11-26T1${n + 2 * k}:00:00Z`) } });
      const score = 0.6 + 0.1 * n - 0.05 * k;
      await b.t.db.submissionResult.create({ data: { submissionId: s.id, holdoutVersion: cs.holdoutVersion, publicScore: score, privateScore: score, publicPoints: 0, privatePoints: 0, accuracy: score, engine: "test", details: {} } });
    }
  }
});
afterAll(async () => {
  await b?.close();
});

test("the dashboard opens, filters, and its completion chart renders", async () => {
  const context = await b.browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await signInPage(page, b.base, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  await page.getByRole("link", { name: "Dashboard" }).first().click();
  await page.waitForURL(/\/dashboard$/);
  const chart = page.getByRole("img", { name: /finished Theory and Practical by the end of each day/ });
  await chart.waitFor();
  const box = await chart.boundingBox();
  expect(box!.width).toBeGreaterThan(300);
  expect(await chart.locator("g.mark-line path").count()).toBe(2);
  expect(await page.locator("table.roster tbody tr").count()).toBe(6);
  await page.getByLabel("Theory not done").check();
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForURL(/filter=theory/);
  expect(await page.locator("table.roster tbody tr").count()).toBe(5);
  expect(await page.locator("table.roster").textContent()).not.toContain("Alice Nguyen");
  await context.close();
});

test("on a 390 px phone the charts fit, their text is 12 px or more, and axe finds no serious or critical violation", async () => {
  const context = await b.browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  // A style the CSP blocked would show as a console error.
  const blocked: string[] = [];
  page.on("console", (m) => { if (m.type() === "error" && /Content Security Policy/i.test(m.text())) blocked.push(m.text()); });
  await signInPage(page, b.base, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  await page.goto(`${b.base}/courses/cnn/dashboard`);
  await page.locator("svg.chart").first().waitFor();
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  // Every chart as wide as it is drawn or narrower, within the screen, and every text in it at 12 px or more as shown.
  const charts = await page.$$eval("svg.chart", (svgs) => svgs.map((svg) => {
    const box = svg.getBoundingClientRect();
    const scale = box.width / (svg as SVGSVGElement).viewBox.baseVal.width;
    const sizes = [...svg.querySelectorAll("text")].map((t) => parseFloat(t.getAttribute("font-size") ?? "0") * scale);
    return { left: box.left, right: box.right, smallest: Math.min(...sizes), label: svg.getAttribute("aria-label") ?? "" };
  }));
  expect(charts.length).toBe(4); // completion, quiz scores, teams' scores, leaderboard over time
  for (const c of charts) {
    expect([c.label, c.left >= 0 && c.right <= 390]).toEqual([c.label, true]);
    expect([c.label, c.smallest >= 12]).toEqual([c.label, true]);
  }
  // The data table opens from the keyboard.
  await page.locator("details.chart-data summary").first().focus();
  await page.keyboard.press("Enter");
  expect(await page.locator("details.chart-data").first().getAttribute("open")).not.toBeNull();
  await page.keyboard.press("Enter");
  // axe runs in the page through the debugging protocol, which the page's Content-Security-Policy does not govern.
  await page.evaluate(AXE);
  const serious = await page.evaluate(async () => {
    const run = (globalThis as unknown as { axe: { run(o: object): Promise<{ violations: { id: string; impact: string; nodes: { html: string }[] }[] }> } }).axe.run;
    return (await run({ resultTypes: ["violations"] })).violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} at ${v.nodes.slice(0, 2).map((n) => n.html.slice(0, 200)).join(" | ")}`);
  });
  expect(serious).toEqual([]);
  expect(blocked).toEqual([]);
  if (process.env.SCREENSHOTS === "1") {
    const file = path.join(process.cwd(), "docs/screenshots/dashboard-charts.png");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.locator("section.charts").screenshot({ path: file });
  }
  await context.close();
});
