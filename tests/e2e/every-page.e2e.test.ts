// Every page each role can reach, at a laptop's and a phone's width: no serious or critical
// accessibility violation (axe-core, the engine behind Lighthouse's and Deque's checks) and
// no sideways scrolling (the document is no wider than the screen). The pages are found by
// following the links a person would follow from the course page, so a new page is checked
// as soon as anything links to it.
import type { Browser, Page } from "playwright-core";
import fs from "node:fs";
import { createRequire } from "node:module";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { seedScoredSubmission, signInPage, startBrowserApp, type BrowserApp } from "../helpers/browser.js";

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const WIDTHS = [{ width: 1366, height: 900 }, { width: 390, height: 844 }];
/** Pages per role at most (the demo course has fewer; a runaway link pattern stops here). */
const MAX_PAGES = 60;
/** Pages of one shape (the same path but for ids) checked per role: one person's page stands for all. */
const PER_SHAPE = 2;
const shapeOf = (url: string) => {
  const u = new URL(url, "http://x");
  const path = u.pathname.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ":id").replace(/\/\d+(?=\/|$)/g, "/:n");
  return `${path}?${[...new Set(u.searchParams.keys())].sort().join("&")}`;
};

let b: BrowserApp;
beforeAll(async () => {
  b = await startBrowserApp();
  // A scored submission, so the submission page, leaderboard and charts have data.
  await seedScoredSubmission(b.t, "traffic-signs-final-v2.keras");
});
afterAll(() => b?.close());

/** Links to follow: this site's pages, not downloads, sign-out, LTI endpoints or anchors. */
function worthVisiting(href: string, base: string): string | null {
  let u: URL;
  try {
    u = new URL(href, base);
  } catch {
    return null;
  }
  if (u.origin !== new URL(base).origin) return null;
  if (/\.(csv|zip|keras|h5|onnx|json|png|svg|js|css)$/i.test(u.pathname) || /\/(files|download|assets|lti)\b/.test(u.pathname) || u.pathname === "/logout") return null;
  u.hash = "";
  return u.pathname + u.search;
}

interface Finding { page: string; width: number; problem: string }

async function checkPage(page: Page, url: string, width: number, findings: Finding[]): Promise<string[]> {
  const res = await page.goto(url);
  const status = res?.status() ?? 0;
  if (status >= 400) findings.push({ page: url, width, problem: `HTTP ${status}` });
  const extra = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (extra > 0) findings.push({ page: url, width, problem: `${extra} px wider than the screen` });
  // axe runs in the page through the debugging protocol, which the page's Content-Security-Policy does not govern.
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const run = (globalThis as unknown as { axe: { run(o: object): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run;
    const r = await run({ resultTypes: ["violations"] });
    return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  });
  for (const v of violations) findings.push({ page: url, width, problem: v });
  return page.$$eval("a[href]", (as) => as.map((a) => a.getAttribute("href") ?? ""));
}

/** Visits every page reachable from the start pages by links, at each width. */
async function crawl(browser: Browser, email: string, password: string, start: string[], before?: (page: Page) => Promise<void>): Promise<{ visited: string[]; findings: Finding[] }> {
  const findings: Finding[] = [];
  const visited: string[] = [];
  for (const viewport of WIDTHS) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1, isMobile: viewport.width < 600, hasTouch: viewport.width < 600 });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await signInPage(page, b.base, email, password);
    if (before && viewport === WIDTHS[0]) await before(page);
    const queue = [...start];
    const seen = new Set(queue);
    const shapes = new Map<string, number>();
    while (queue.length && seen.size <= MAX_PAGES) {
      const url = queue.shift()!;
      const links = await checkPage(page, `${b.base}${url}`, viewport.width, findings);
      if (viewport === WIDTHS[0]) visited.push(url);
      for (const href of links) {
        const next = worthVisiting(href, b.base);
        if (next && !seen.has(next)) {
          seen.add(next);
          const shape = shapeOf(next);
          if ((shapes.get(shape) ?? 0) >= PER_SHAPE) continue;
          shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
          queue.push(next);
        }
      }
    }
    await context.close();
  }
  return { visited, findings };
}

/** Findings, one line each (the first elements axe names are enough to find the fault). */
const show = (f: Finding[]) => f.map((x) => `${x.page.replace(b.base, "")} at ${x.width} px: ${x.problem.slice(0, 200)}`);

test("a student's pages: readings, quiz and attempt, case study and submission, week, account", async () => {
  const { visited, findings } = await crawl(b.browser, "alice@example.edu", DEMO_PASSWORDS.student, ["/courses/cnn", "/account"], async (page) => {
    // An attempt in progress, so the quiz page links to it.
    await page.goto(`${b.base}/courses/cnn/quizzes/cnn-friday`);
    await page.getByRole("button", { name: /^(Start|Continue)/ }).first().click();
    await page.waitForURL(/\/attempts\//);
  });
  expect(visited).toEqual(expect.arrayContaining(["/courses/cnn", "/courses/cnn/modules/cnn", "/courses/cnn/quizzes/cnn-friday"]));
  expect(visited.some((u) => /\/attempts\//.test(u))).toBe(true);
  expect(visited.some((u) => /\/case-studies\/[^/]+\/submissions\//.test(u))).toBe(true);
  expect(visited.some((u) => /\/readings\//.test(u))).toBe(true);
  expect(show(findings)).toEqual([]);
  console.log(`every-page: student ${visited.length} pages at ${WIDTHS.length} widths:\n${visited.join("\n")}`);
});

test("an instructor's pages: dashboard, people, statistics, content status, gradebook, case study", async () => {
  const { visited, findings } = await crawl(b.browser, "instructor@example.edu", DEMO_PASSWORDS.instructor, ["/courses/cnn", "/account"]);
  expect(visited).toEqual(expect.arrayContaining(["/courses/cnn/dashboard", "/courses/cnn/people"]));
  expect(visited.length).toBeGreaterThan(10);
  expect(show(findings)).toEqual([]);
  console.log(`every-page: instructor ${visited.length} pages at ${WIDTHS.length} widths:\n${visited.join("\n")}`);
});

test("a grader's and an administrator's pages", async () => {
  const grader = await crawl(b.browser, "grader@example.edu", DEMO_PASSWORDS.grader, ["/courses/cnn"]);
  expect(grader.visited.some((u) => /grading/.test(u))).toBe(true);
  const admin = await crawl(b.browser, "admin@example.edu", DEMO_PASSWORDS.admin, ["/", "/admin/courses"]);
  expect(admin.visited).toContain("/admin/courses");
  expect(show([...grader.findings, ...admin.findings])).toEqual([]);
  console.log(`every-page: grader ${grader.visited.length} pages, administrator ${admin.visited.length} pages, at ${WIDTHS.length} widths`);
});
