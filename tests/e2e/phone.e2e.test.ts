// On a 390 px phone no page scrolls sideways (wide tables scroll inside their own frame), and code in
// readings reads at body size, can be copied, and can be scrolled from the keyboard.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { seedScoredSubmission, signInPage, startBrowserApp, type BrowserApp } from "../helpers/browser.js";

let b: BrowserApp;
beforeAll(async () => {
  b = await startBrowserApp();
});
afterAll(() => b?.close());

async function phone(browser: Browser, email: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await signInPage(page, b.base, email, password);
  return { context, page };
}

/** How far the page itself scrolls sideways (0 when it fits the screen). */
const sideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

test("a student's pages fit a phone: course, quiz, attempt, readings, case study and a scored submission", async () => {
  // A scored submission for Alice's team, so the score card is shown.
  const { cs, sub } = await seedScoredSubmission(b.t);

  const { context, page } = await phone(b.browser, "alice@example.edu", DEMO_PASSWORDS.student);
  const pages = ["/courses/cnn", "/courses/cnn/modules/cnn", "/courses/cnn/modules/cnn/readings/keras-cnn", "/courses/cnn/quizzes/cnn-friday", `/courses/cnn/case-studies/${cs.slug}`, `/courses/cnn/case-studies/${cs.slug}/submissions/${sub.id}`];
  const wide: string[] = [];
  for (const p of pages) {
    const res = await page.goto(`${b.base}${p}`);
    expect(`${p}: ${res?.status()}`).toBe(`${p}: 200`);
    const extra = await sideways(page);
    if (extra > 0) wide.push(`${p}: ${extra} px too wide`);
  }
  // The attempt page, with every question type on it.
  await page.goto(`${b.base}/courses/cnn/quizzes/cnn-friday`);
  await page.getByRole("button", { name: /^(Start|Continue)/ }).first().click();
  await page.waitForURL(/\/attempts\//);
  if ((await sideways(page)) > 0) wide.push(`attempt: ${await sideways(page)} px too wide`);
  // The quiz page again, now with her attempt in its table.
  await page.goto(`${b.base}/courses/cnn/quizzes/cnn-friday`);
  if ((await sideways(page)) > 0) wide.push(`quiz with an attempt: ${await sideways(page)} px too wide`);
  expect(wide).toEqual([]);
  await context.close();
});

test("staff pages fit a phone: people, exceptions, dashboard", async () => {
  const { context, page } = await phone(b.browser, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const wide: string[] = [];
  for (const p of ["/courses/cnn/people", "/courses/cnn/quizzes/cnn-friday/overrides", "/courses/cnn/dashboard"]) {
    const res = await page.goto(`${b.base}${p}`);
    expect(`${p}: ${res?.status()}`).toBe(`${p}: 200`);
    const extra = await sideways(page);
    if (extra > 0) wide.push(`${p}: ${extra} px too wide`);
  }
  expect(wide).toEqual([]);
  await context.close();
});

test("code in a reading is at body size with one frame, has a copy button, and scrolls from the keyboard", async () => {
  const context = await b.browser.newContext({ viewport: { width: 1366, height: 900 }, permissions: ["clipboard-read", "clipboard-write"] });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await signInPage(page, b.base, "alice@example.edu", DEMO_PASSWORDS.student);
  await page.goto(`${b.base}/courses/cnn/modules/cnn/readings/keras-cnn`);
  const pre = page.locator(".reading-body pre.code").first();
  const sizes = await pre.evaluate((el) => {
    const code = el.querySelector("code")!;
    const body = el.closest(".reading-body")!.querySelector("p")!;
    const cs = getComputedStyle(code);
    return { code: parseFloat(cs.fontSize), text: parseFloat(getComputedStyle(body).fontSize), codeBorder: cs.borderTopWidth, codePadding: cs.paddingTop, codeBackground: cs.backgroundColor };
  });
  expect(sizes.text).toBe(16);
  expect(sizes.code).toBeGreaterThanOrEqual(14); // not the 13 px of the bare `monospace` quirk × .92
  expect(sizes.codePadding).toBe("0px"); // one frame: the pre's, not another inside it
  expect(sizes.codeBackground).toBe("rgba(0, 0, 0, 0)");
  // Keyboard: the block takes focus (so it can be scrolled with the arrow keys).
  expect(await pre.getAttribute("tabindex")).toBe("0");
  // Copy: the button copies the block's text and says so.
  const text = await pre.locator("code").textContent();
  await pre.locator("xpath=..").getByRole("button", { name: "Copy code" }).click();
  await page.getByText("Copied", { exact: true }).first().waitFor();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(text);
  // On a phone, every block's Copy button is in the block's visible frame, however wide its lines.
  await page.setViewportSize({ width: 375, height: 800 });
  const placed = await page.locator(".reading-body pre.code").evaluateAll((pres) => pres.map((el) => {
    const box = el.getBoundingClientRect();
    const button = (el.querySelector(".copy-code") ?? el.parentElement!.querySelector(":scope > .copy-code"))!.getBoundingClientRect();
    return { wide: el.scrollWidth > el.clientWidth, inside: button.left >= box.left && button.right <= box.right && button.top >= box.top && button.width > 30 };
  }));
  expect(placed.some((p) => p.wide)).toBe(true); // the reading has a block wider than the phone
  expect(placed.filter((p) => !p.inside)).toEqual([]);
  await context.close();
});
