// An instructor reaches the quiz preview and the statistics from the quiz page, and picks a
// variant; at 390 and 1366 px both pages fit the screen and axe finds nothing serious.
import fs from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { signInPage, startBrowserApp, type BrowserApp } from "../helpers/browser.js";

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
let b: BrowserApp;
beforeAll(async () => {
  b = await startBrowserApp({}, { clock: () => new Date("2026-11-26T19:00:00Z") });
});
afterAll(async () => {
  await b?.close();
});

/** Horizontal overflow in px, and axe's serious or critical findings. */
async function check(page: Page) {
  const extra = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.evaluate(AXE);
  const serious = await page.evaluate(async () => {
    const run = (globalThis as unknown as { axe: { run(o: object): Promise<{ violations: { id: string; impact: string; nodes: { html: string }[] }[] }> } }).axe.run;
    return (await run({ resultTypes: ["violations"] })).violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} at ${v.nodes[0]?.html.slice(0, 160)}`);
  });
  return { extra: Math.max(0, extra), serious };
}

test.each([390, 1366])("preview and statistics from the quiz page at %i px", async (width) => {
  const context = await b.browser.newContext({ viewport: { width, height: 900 }, deviceScaleFactor: 1, isMobile: width < 600, hasTouch: width < 600 });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await signInPage(page, b.base, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  await page.goto(`${b.base}/courses/cnn/quizzes/cnn-friday`);
  await page.getByRole("link", { name: "Preview as a student" }).click();
  await page.waitForURL(/\/preview$/);
  expect(await check(page)).toEqual({ extra: 0, serious: [] });
  const q = page.locator("section#q-conv-output-height");
  await q.getByLabel("Variant").selectOption("3");
  await q.getByRole("button", { name: "Show" }).click();
  await page.waitForURL(/v-conv-output-height=3/);
  expect(await page.locator("section#q-conv-output-height select[name='v-conv-output-height']").inputValue()).toBe("3");
  await page.goto(`${b.base}/courses/cnn/quizzes/cnn-friday`);
  await page.getByRole("link", { name: "Quiz statistics" }).click();
  await page.waitForURL(/\/statistics$/);
  expect(await check(page)).toEqual({ extra: 0, serious: [] });
  await context.close();
});
