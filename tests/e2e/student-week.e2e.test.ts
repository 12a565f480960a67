// The student's week in a real browser, at a laptop's and a phone's width: no serious or critical
// axe violation, no sideways scrolling; and on the module page a tick moves "Next:" on without a
// reload. With SCREENSHOTS=1 it saves docs/screenshots/student-week.png (1366 px) for the README.
import type { Page } from "playwright-core";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { signInPage, startBrowserApp, type BrowserApp } from "../helpers/browser.js";
import { demoRows } from "../helpers/demo.js";

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const SCREENSHOT = fileURLToPath(new URL("../../docs/screenshots/student-week.png", import.meta.url));

let b: BrowserApp;
beforeAll(async () => {
  b = await startBrowserApp();
  // A week under way: a graded attempt, two scored submissions of Alice's team, an answered review request.
  const { t } = b;
  const { alice, grader, quiz, cs, team } = await demoRows(t);
  const now = new Date("2031-03-12T17:00:00Z");
  const attempt = await t.db.quizAttempt.create({ data: { quizId: quiz.id, userId: alice.id, number: 1, status: "SUBMITTED", seed: "s", contentHash: "h", startedAt: new Date(now.getTime() - 3600_000), submittedAt: new Date(now.getTime() - 1800_000), score: 11, maxScore: 14 } });
  await t.db.quizGrade.create({ data: { quizId: quiz.id, userId: alice.id, percent: (11 / 14) * 100, passed: false, attempts: 1 } });
  for (const [number, publicScore, publicPoints] of [[1, 0.838, 40], [2, 0.856, 55]] as const) {
    await t.db.submission.create({
      data: {
        caseStudyId: cs.id, teamId: team.id, userId: alice.id, number, filename: `traffic-signs-v${number}.keras`, storedPath: "/nowhere", bytes: 1, status: "SCORED",
        results: { create: { holdoutVersion: "v1", publicScore, privateScore: 0.5, publicPoints, privatePoints: 1, accuracy: 0.9, engine: "test", details: {} } },
      },
    });
  }
  await t.db.reviewRequest.create({
    data: { courseId: quiz.courseId, attemptId: attempt.id, askedById: alice.id, message: "Question 3 accepted 5 but I typed 5.0, which is the same number.", createdAt: new Date(now.getTime() - 86_400_000), resolvedAt: new Date(now.getTime() - 3600_000), resolvedById: grader.id, response: "5.0 is within the tolerance, so your answer was marked right; the grade stands." },
  });
});
afterAll(() => b?.close());

async function problems(page: Page): Promise<string[]> {
  const out: string[] = [];
  const extra = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (extra > 0) out.push(`${extra} px wider than the screen`);
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const run = (globalThis as unknown as { axe: { run(o: object): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run;
    const r = await run({ resultTypes: ["violations"] });
    return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  });
  return [...out, ...violations];
}

test("the week page and the course page's to-do list pass axe and fit a laptop and a phone", async () => {
  for (const viewport of [{ width: 1366, height: 900 }, { width: 390, height: 844 }]) {
    const context = await b.browser.newContext({ viewport, deviceScaleFactor: 1, isMobile: viewport.width < 600, hasTouch: viewport.width < 600 });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await signInPage(page, b.base, "alice@example.edu", DEMO_PASSWORDS.student);
    // From the course page, through the navigation, as a student finds it.
    await page.goto(`${b.base}/courses/cnn`);
    expect([viewport.width, "course", ...(await problems(page))]).toEqual([viewport.width, "course"]);
    await page.getByRole("navigation", { name: "Course" }).getByRole("link", { name: "My week" }).click();
    await page.waitForURL(/\/courses\/cnn\/week$/);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("My week");
    await expect(page.locator(".week-answer").textContent()).resolves.toContain("5.0 is within the tolerance");
    // 11 of the demo quiz's 14 points: 78.57…% reads "79%".
    await expect(page.locator(".week-grade").textContent()).resolves.toMatch(/11 \/ 14 points\s+\(79%\)/);
    expect([viewport.width, "week", ...(await problems(page))]).toEqual([viewport.width, "week"]);
    if (viewport.width === 1366 && process.env.SCREENSHOTS === "1") {
      fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    }
    // The staff view of the same week.
    await context.close();
  }
  const context = await b.browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await signInPage(page, b.base, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const alice = await b.t.db.user.findFirstOrThrow({ where: { email: "alice@example.edu" } });
  await page.goto(`${b.base}/courses/cnn/students/${alice.id}`);
  expect(["staff view", ...(await problems(page))]).toEqual(["staff view"]);
  await context.close();
});

test("ticking the item that 'Next:' names moves it on to the following item, without a reload", async () => {
  const context = await b.browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  await signInPage(page, b.base, "alice@example.edu", DEMO_PASSWORDS.student);
  await page.goto(`${b.base}/courses/cnn/modules/cnn`);
  const next = page.locator(".next-due");
  await expect(next.textContent()).resolves.toContain("What a convolution does");
  await page.evaluate(() => { (window as unknown as { marker: number }).marker = 1; });
  await page.getByRole("button", { name: "Mark as done: What a convolution does" }).click();
  await page.getByRole("button", { name: "Done: What a convolution does. Mark as not done" }).waitFor();
  await page.waitForFunction(() => document.querySelector(".next-due")?.textContent?.includes("Layers of a CNN"));
  expect((await next.textContent())?.replace(/\s+/g, " ").trim()).toBe("Next: Layers of a CNN (Theory)");
  // The same page (no reload), and the link points at the new item.
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
  await expect(next.locator("a").getAttribute("href")).resolves.toMatch(/^\/courses\/cnn\/modules\/cnn\/readings\/overview#/);
  // Unticking brings it back.
  await page.getByRole("button", { name: "Done: What a convolution does. Mark as not done" }).click();
  await page.waitForFunction(() => document.querySelector(".next-due")?.textContent?.includes("What a convolution does"));
  await context.close();
});
