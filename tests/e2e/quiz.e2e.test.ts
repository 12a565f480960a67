// A student takes the Friday quiz in a real browser: every question type through
// the page, autosave as they go, a reload in the middle, submit, review. And the
// order of saves when the browser's clock is hours off, or two windows are open.
import type { Page } from "playwright-core";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import type { SlotQuestion } from "../../src/quiz/questions.js";
import { signInPage, startBrowserApp, type BrowserApp } from "../helpers/browser.js";
import { CNN_FRIDAY_KEY, copyDemoQuiz, keyFields, quizFolder } from "../helpers/quiz.js";
import { until } from "../helpers/wait.js";

// Wednesday 25 Nov 2026, 12:00 in Denver; the test's copy of the quiz is open Monday 9:00 to Friday 9:00.
const SERVER_NOW = new Date("2026-11-25T19:00:00Z");
const folder = quizFolder({});
copyDemoQuiz(folder.dir, { opens: "2026-11-23T09:00", closes: "2026-11-27T09:00" });
let b: BrowserApp;

beforeAll(async () => {
  b = await startBrowserApp({}, { quizDir: folder.dir, clock: () => SERVER_NOW });
});
afterAll(async () => {
  await b?.close();
  folder.remove();
});

async function fill(page: Page, q: SlotQuestion, slot: number) {
  const fields = keyFields(CNN_FRIDAY_KEY, q, slot);
  const box = page.locator(`#q-${slot}`);
  for (const [name, value] of Object.entries(fields)) {
    if (q.type === "single" || q.type === "truefalse") await box.locator(`input[name="${name}"][value="${value as string}"]`).check();
    else if (q.type === "multiple") for (const v of value as string[]) await box.locator(`input[name="${name}"][value="${v}"]`).check();
    else if (q.type === "numeric" || q.type === "short") await box.locator(`input[name="${name}"]`).fill(value as string);
    else await box.locator(`select[name="${name}"]`).selectOption(value as string);
  }
}

test("a student takes the quiz: answers autosave, survive a reload, and the submitted attempt scores 100%", async () => {
  const context = await b.browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await signInPage(page, b.base, "chloe@example.edu", DEMO_PASSWORDS.student);

  await page.getByRole("link", { name: /Friday preparation quiz/ }).click();
  await page.getByRole("button", { name: "Start the quiz" }).click();
  await page.waitForURL(/\/attempts\/[0-9a-f-]{36}$/);
  await expect(page.locator("[data-time-left]").textContent()).resolves.toMatch(/^(30:00|29:5\d)$/);

  const attempt = await b.t.db.quizAttempt.findFirstOrThrow({ where: { user: { email: "chloe@example.edu" } } });
  const slots = await b.t.db.quizSlot.findMany({ where: { attemptId: attempt.id }, orderBy: { slot: "asc" } });
  expect(slots).toHaveLength(14);

  // Answer the first half, then reload as if the laptop lid had closed.
  const half = slots.slice(0, 7);
  for (const s of half) await fill(page, s.question as unknown as SlotQuestion, s.slot);
  await page.locator("[data-save-status]").filter({ hasText: "All answers saved" }).waitFor();
  await until(() => b.t.db.quizSlot.count({ where: { attemptId: attempt.id, savedAt: { not: null } } }), (n) => n === 7, 10_000, "seven saved answers");
  await page.reload();
  for (const s of half) {
    const q = s.question as unknown as SlotQuestion;
    if (q.type === "numeric" || q.type === "short") {
      await expect(page.locator(`input[name="s${s.slot}"]`).inputValue()).resolves.toBe(Object.values(keyFields(CNN_FRIDAY_KEY, q, s.slot))[0]);
    }
  }
  for (const s of slots.slice(7)) await fill(page, s.question as unknown as SlotQuestion, s.slot);
  await page.locator("[data-save-status]").filter({ hasText: "All answers saved" }).waitFor();

  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Submit all and finish" }).click();
  await page.locator(".flash-success").filter({ hasText: "Your attempt was submitted." }).waitFor();
  await expect(page.locator("dl.facts").textContent()).resolves.toContain("(100%)");
  expect(await page.locator(".q-state").count()).toBe(14);
  expect(new Set(await page.locator(".q-state").allTextContents())).toEqual(new Set(["Correct"]));

  await page.getByRole("link", { name: "Back to the quiz" }).click();
  await expect(page.locator(".quiz-grade").textContent()).resolves.toContain("100% — passed");
  await context.close();
});

test("the submit dialog warns about unanswered questions, and cancelling keeps the attempt open", async () => {
  const context = await b.browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await signInPage(page, b.base, "dev@example.edu", DEMO_PASSWORDS.student);
  await page.goto(`${b.base}/courses/cnn/quizzes/cnn-friday`);
  await page.getByRole("button", { name: "Start the quiz" }).click();
  await page.waitForURL(/\/attempts\//);
  let message = "";
  page.once("dialog", (d) => {
    message = d.message();
    void d.dismiss();
  });
  await page.getByRole("button", { name: "Submit all and finish" }).click();
  await until(() => message, (m) => m.startsWith("14 questions are not answered"), 10_000, "the dialog");
  const attempt = await b.t.db.quizAttempt.findFirstOrThrow({ where: { user: { email: "dev@example.edu" } } });
  expect(attempt.status).toBe("IN_PROGRESS");
  await context.close();
});

/** Starts `email`'s attempt in `page`; returns its id and its first numeric question's slot. */
async function startAttempt(page: Page, email: string) {
  await signInPage(page, b.base, email, DEMO_PASSWORDS.student);
  await page.goto(`${b.base}/courses/cnn/quizzes/cnn-friday`);
  await page.getByRole("button", { name: "Start the quiz" }).click();
  await page.waitForURL(/\/attempts\/[0-9a-f-]{36}$/);
  const attempt = await b.t.db.quizAttempt.findFirstOrThrow({ where: { user: { email } } });
  const numeric = await b.t.db.quizSlot.findFirstOrThrow({ where: { attemptId: attempt.id, question: { path: ["type"], equals: "numeric" } } });
  const stored = async () => (await b.t.db.quizSlot.findUniqueOrThrow({ where: { attemptId_slot: { attemptId: attempt.id, slot: numeric.slot } } })).response;
  /** Waits until the server holds `text` as the answer (autosave runs in the background). */
  const storedAs = (text: string) => until(stored, (r) => JSON.stringify(r) === JSON.stringify({ text }), 10_000, `the answer "${text}" to be saved`);
  return { attempt, url: page.url(), field: `input[name="s${numeric.slot}"]`, stored, storedAs };
}

test.each([
  ["six hours ahead of", 6, "ben@example.edu"],
  ["six hours behind", -6, "emma@example.edu"],
])("with the browser's clock %s the server's, the newest answer wins at every step", async (_how, hours, email) => {
  const context = await b.browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.clock.install({ time: new Date(SERVER_NOW.getTime() + hours * 3_600_000) });
  const { attempt, field, stored, storedAs } = await startAttempt(page, email);
  const input = page.locator(field);

  await input.fill("1");
  await storedAs("1");
  await input.fill("2");
  await storedAs("2");
  // "3" typed and Save answers clicked before autosave sent it: the form post carries it.
  await input.evaluate((el: HTMLInputElement) => { el.value = "3"; });
  await page.getByRole("button", { name: "Save answers" }).click();
  await page.locator(".flash-success").filter({ hasText: "Your answers are saved" }).waitFor();
  expect(await stored()).toEqual({ text: "3" });
  // Autosave on the page after the post.
  await input.fill("4");
  await storedAs("4");
  await page.reload();
  await expect(input.inputValue()).resolves.toBe("4");
  await input.fill("5");
  await storedAs("5");
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Submit all and finish" }).click();
  await page.locator(".flash-success").filter({ hasText: "Your attempt was submitted." }).waitFor();
  expect(await stored()).toEqual({ text: "5" });
  expect((await b.t.db.quizAttempt.findUniqueOrThrow({ where: { id: attempt.id } })).status).toBe("SUBMITTED");
  await context.close();
});

test("two windows of one attempt: the answer given last wins, though the other window saved since this one loaded", async () => {
  const context = await b.browser.newContext();
  const first = await context.newPage();
  first.setDefaultTimeout(10_000);
  const { url, field, stored, storedAs } = await startAttempt(first, "felix@example.edu");
  await first.locator(field).fill("1");
  await storedAs("1");
  const second = await context.newPage();
  second.setDefaultTimeout(10_000);
  await second.goto(url);
  await second.locator(field).fill("2");
  await storedAs("2");
  await second.locator(field).fill("3");
  await storedAs("3");
  // The first window numbers its saves from where it loaded, below the second window's.
  await first.locator(field).fill("4");
  await storedAs("4");
  await first.locator("[data-save-status]").filter({ hasText: "All answers saved" }).waitFor();
  expect(await stored()).toEqual({ text: "4" });
  await context.close();
});
