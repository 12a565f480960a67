// A student takes the Friday quiz in a real browser: every question type through
// the page, autosave as they go, a reload in the middle, submit, review. The order of
// saves when the browser's clock is hours off, or two windows are open. The navigator,
// flags, ordering by keyboard and by drag and drop, matching at phone width, and one
// time zone on the page.
import type { BrowserContext, Locator, Page } from "playwright-core";
import path from "node:path";
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
  if (q.type === "ordering") {
    // As a keyboard user would: each item, first to last, moved up to its place.
    const target = Object.entries(fields).sort((a, b) => Number(a[1]) - Number(b[1])).map(([name]) => name.split(".")[1]!);
    for (const [place, key] of target.entries()) {
      const at = (await box.locator("li[data-key]").evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.key))).indexOf(key);
      for (let i = at; i > place; i--) await box.locator(`li[data-key="${key}"] button[data-move="up"]`).click();
    }
    return;
  }
  for (const [name, value] of Object.entries(fields)) {
    if (q.type === "single" || q.type === "truefalse" || q.type === "matching") await box.locator(`input[name="${name}"][value="${value as string}"]`).check();
    else if (q.type === "multiple") for (const v of value as string[]) await box.locator(`input[name="${name}"][value="${v}"]`).check();
    else await box.locator(`input[name="${name}"]`).fill(value as string);
  }
}

/** Submit all and finish, the dialog accepted. */
async function finish(page: Page) {
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Submit all and finish" }).click();
}

test("a student takes the quiz: answers autosave, survive a reload, and the submitted attempt scores 100%", async () => {
  const context = await b.browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await signInPage(page, b.base, "chloe@example.edu", DEMO_PASSWORDS.student);

  await page.getByRole("link", { name: /Friday preparation quiz/ }).first().click();
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
  if (process.env.SCREENSHOTS === "1") {
    // For the README: the navigator with half the questions answered (SCREENSHOTS=1 only).
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.resolve(import.meta.dirname, "../../docs/screenshots/quiz-navigator.png") });
  }
  await page.reload();
  for (const s of half) {
    const q = s.question as unknown as SlotQuestion;
    if (q.type === "numeric" || q.type === "short") {
      await expect(page.locator(`input[name="s${s.slot}"]`).inputValue()).resolves.toBe(Object.values(keyFields(CNN_FRIDAY_KEY, q, s.slot))[0]);
    }
  }
  for (const s of slots.slice(7)) await fill(page, s.question as unknown as SlotQuestion, s.slot);
  await page.locator("[data-save-status]").filter({ hasText: "All answers saved" }).waitFor();

  await finish(page);
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
  // The summary lists the same, from the navigator.
  await page.getByRole("button", { name: "Summary before submitting" }).click();
  await page.waitForURL(/\?page=summary$/);
  await expect(page.locator("[data-summary-unanswered] li").count()).resolves.toBe(14);
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
  // The message is on the page before its deferred scripts have run: typing before then is not autosaved (the form still posts it).
  await page.waitForLoadState("load");
  expect(await stored()).toEqual({ text: "3" });
  // Autosave on the page after the post.
  await input.fill("4");
  await storedAs("4");
  await page.reload();
  await expect(input.inputValue()).resolves.toBe("4");
  await input.fill("5");
  await storedAs("5");
  await finish(page);
  await page.locator(".flash-success").filter({ hasText: "Your attempt was submitted." }).waitFor();
  expect(await stored()).toEqual({ text: "5" });
  expect((await b.t.db.quizAttempt.findUniqueOrThrow({ where: { id: attempt.id } })).status).toBe("SUBMITTED");
  await context.close();
});

test("two windows of one attempt: the answer given last wins, though the other window saved since this one loaded", async () => {
  const context = await b.browser.newContext();
  const first = await context.newPage();
  first.setDefaultTimeout(10_000);
  const { attempt, url, field, stored, storedAs } = await startAttempt(first, "felix@example.edu");
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
  // The first window also answers a question the second never touched.
  const tf = await b.t.db.quizSlot.findFirstOrThrow({ where: { attemptId: attempt.id, question: { path: ["type"], equals: "truefalse" } } });
  const tfStored = async () => (await b.t.db.quizSlot.findUniqueOrThrow({ where: { attemptId_slot: { attemptId: attempt.id, slot: tf.slot } } })).response;
  await first.locator(`input[name="s${tf.slot}"][value="true"]`).check();
  await until(tfStored, (r) => JSON.stringify(r) === JSON.stringify({ value: true }), 10_000, "the first window's true/false answer to be saved");
  // The second window, still showing 3 there and nothing on the true/false question, posts its form
  // (Save answers; Submit posts the same): it changed neither, so neither is written over.
  await second.getByRole("button", { name: "Save answers" }).click();
  await second.locator(".flash-success").filter({ hasText: "Your answers are saved" }).waitFor();
  expect(await stored()).toEqual({ text: "4" });
  expect(await tfStored()).toEqual({ value: true });
  await expect(second.locator(field).inputValue()).resolves.toBe("4");
  await expect(second.locator(`input[name="s${tf.slot}"][value="true"]`).isChecked()).resolves.toBe(true);
  // What it does change it writes: the answer given last.
  await saveWithButton(second, second.locator(field), stored, "5");
  await context.close();
});

/** The ordering question's items as shown, first to last: [key, label]. */
const shownOrder = (page: Page, slot: number) =>
  page.locator(`#q-${slot} li[data-key]`).evaluateAll((lis) => lis.map((li) => [(li as HTMLElement).dataset.key!, (li as HTMLElement).dataset.label!] as const));

test("ordering by keyboard (focus kept, the move announced) and by drag and drop; the navigator's count and flags follow", async () => {
  const context = await b.browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const { attempt } = await startAttempt(page, "alice@example.edu");
  const slots = await b.t.db.quizSlot.findMany({ where: { attemptId: attempt.id }, orderBy: { slot: "asc" } });
  const ordering = slots.find((s) => s.questionId === "cnn-order")!;
  const stored = async () => (await b.t.db.quizSlot.findUniqueOrThrow({ where: { attemptId_slot: { attemptId: attempt.id, slot: ordering.slot } } })).response;
  const live = page.locator(`#q-${ordering.slot} [data-order-status]`);
  const count = page.locator("[data-answered-number]");
  await expect(count.textContent()).resolves.toBe("0");

  // Keyboard: the first item moved down twice with Enter on its own Move down button.
  const start = await shownOrder(page, ordering.slot);
  const [firstKey, firstLabel] = start[0]!;
  const down = page.getByRole("button", { name: `Move '${firstLabel}' down`, exact: true });
  await down.focus();
  await page.keyboard.press("Enter");
  await expect(live.textContent()).resolves.toBe(`Moved '${firstLabel}' to position 2 of 5`);
  await page.keyboard.press("Enter");
  await expect(live.textContent()).resolves.toBe(`Moved '${firstLabel}' to position 3 of 5`);
  await expect(page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).resolves.toBe(`Move '${firstLabel}' down`);
  // Shown and saved: the second and third items moved up one place each.
  const afterKeys = [start[1]![0], start[2]![0], firstKey, start[3]![0], start[4]![0]];
  await expect(shownOrder(page, ordering.slot).then((o) => o.map(([k]) => k))).resolves.toEqual(afterKeys);
  const positions = (keys: string[]) => ({ positions: Object.fromEntries(keys.map((k, i) => [k, i + 1])) });
  await until(stored, (r) => JSON.stringify(sortKeys(r)) === JSON.stringify(sortKeys(positions(afterKeys))), 10_000, "the keyboard order saved");
  await expect(count.textContent()).resolves.toBe("1");
  const navButton = page.locator(`[data-nav-slot="${ordering.slot}"]`);
  await expect(navButton.locator("[data-nav-status]").textContent()).resolves.toBe("answered");

  // Drag and drop: the last item dropped on the top half of the first.
  const lastKey = afterKeys[4]!;
  const lastLabel = start[4]![1];
  await page.locator(`#q-${ordering.slot} li[data-key="${lastKey}"]`).dragTo(page.locator(`#q-${ordering.slot} li[data-key="${afterKeys[0]}"]`), { targetPosition: { x: 40, y: 3 } });
  await expect(live.textContent()).resolves.toBe(`Moved '${lastLabel}' to position 1 of 5`);
  const dropped = [lastKey, ...afterKeys.slice(0, 4)];
  await expect(shownOrder(page, ordering.slot).then((o) => o.map(([k]) => k))).resolves.toEqual(dropped);
  await until(stored, (r) => JSON.stringify(sortKeys(r)) === JSON.stringify(sortKeys(positions(dropped))), 10_000, "the dragged order saved");

  // Another answer and a flag: the count, the navigator and the flag button follow without a reload.
  const tf = slots.find((s) => (s.question as unknown as SlotQuestion).type === "truefalse")!;
  await page.locator(`#q-${tf.slot} input[value="true"]`).check();
  await expect(count.textContent()).resolves.toBe("2");
  const flag = page.locator(`#q-${tf.slot} button[data-flag]`);
  await flag.click();
  await page.locator(`#q-${tf.slot} button[data-flag][aria-pressed="true"]`).waitFor();
  await expect(page.locator(`[data-nav-slot="${tf.slot}"] [data-nav-status]`).textContent()).resolves.toBe("answered, flagged for review");
  await until(async () => (await b.t.db.quizSlot.findUniqueOrThrow({ where: { attemptId_slot: { attemptId: attempt.id, slot: tf.slot } } })).flagged, (f) => f, 10_000, "the flag saved");
  // After a reload the order, the count and the flag are the server's.
  await page.reload();
  await expect(shownOrder(page, ordering.slot).then((o) => o.map(([k]) => k))).resolves.toEqual(dropped);
  await expect(count.textContent()).resolves.toBe("2");
  await expect(page.locator(`#q-${tf.slot} button[data-flag]`).getAttribute("aria-pressed")).resolves.toBe("true");
  await context.close();
});

test("at 390 px matching shows every answer in full, nothing is wider than the screen, and every time on the page is in the course's zone (the browser's is Tokyo)", async () => {
  const context = await b.browser.newContext({ viewport: { width: 390, height: 844 }, timezoneId: "Asia/Tokyo" });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await b.t.db.quizAttempt.deleteMany({ where: { user: { email: "alice@example.edu" } } });
  const { attempt } = await startAttempt(page, "alice@example.edu");
  const matching = await b.t.db.quizSlot.findFirstOrThrow({ where: { attemptId: attempt.id, questionId: "layer-roles" } });
  const labels = page.locator(`#q-${matching.slot} .match-row label`);
  // Four prompts, each offering the four answers and the distractor.
  await expect(labels.count()).resolves.toBe(20);
  const clipped = await labels.evaluateAll((els) => els.filter((el) => el.scrollWidth > el.clientWidth || (el.lastElementChild as HTMLElement).scrollWidth > (el.lastElementChild as HTMLElement).clientWidth).map((el) => el.textContent));
  expect(clipped).toEqual([]);
  await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(390);

  await fill(page, matching.question as unknown as SlotQuestion, matching.slot);
  const status = page.locator("[data-save-status]");
  await status.filter({ hasText: "All answers saved" }).waitFor();
  // The server's clock says Wednesday 12:00 in Denver; the attempt ends 30 minutes later.
  await expect(status.textContent()).resolves.toBe("All answers saved at 12:00:00 PM MST.");
  await expect(page.locator("[data-timer]").textContent()).resolves.toContain("(ends Nov 25, 2026, 12:30 PM MST)");
  const zones = (await page.locator("main").innerText()).match(/\b(?:[A-Z]{2,4}T|UTC|GMT[+-]?\d*)\b/g) ?? [];
  expect(new Set(zones)).toEqual(new Set(["MST"]));
  await context.close();
});

/** A new browser for `email`, whose attempts so far are deleted, with an attempt started (the page's clock faked from the server's time when `clock`). */
async function newAttempt(email: string, { clock = false } = {}) {
  const context = await b.browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await b.t.db.quizAttempt.deleteMany({ where: { user: { email } } });
  if (clock) await page.clock.install({ time: SERVER_NOW });
  const started = await startAttempt(page, email);
  // The page's deferred scripts have run (its timer counts, typing is autosaved) before the test goes on.
  await page.waitForLoadState("load");
  return { context, page, ...started };
}

/** Signs the browser of `context` out from another tab of it (left on the sign-in page, returned). */
async function signOutElsewhere(context: BrowserContext) {
  const other = await context.newPage();
  await other.goto(`${b.base}/courses/cnn`);
  await other.getByRole("button", { name: "Sign out" }).click();
  await other.waitForURL(/\/login/);
  return other;
}

test("a question the navigator goes to lands below the sticky time bar, at phone and desktop width; a double click on Submit asks once", async () => {
  const { context, page, attempt } = await newAttempt("alice@example.edu");
  const slots = await b.t.db.quizSlot.findMany({ where: { attemptId: attempt.id }, orderBy: { slot: "asc" } });
  for (const width of [375, 1280]) {
    await page.setViewportSize({ width, height: 700 });
    for (const s of [slots[9]!, slots[3]!]) {
      await page.locator(`[data-nav-slot="${s.slot}"]`).click();
      // Where the question's heading is against the bar's bottom, once the scroll is done.
      await page.waitForFunction((slot) => {
        const legend = document.querySelector(`#q-${slot} legend`)!.getBoundingClientRect();
        return legend.top >= 0 && legend.top < window.innerHeight;
      }, s.slot);
      const [legendTop, barBottom] = await page.evaluate((slot) => [
        document.querySelector(`#q-${slot} legend`)!.getBoundingClientRect().top,
        document.querySelector(".attempt-bar")!.getBoundingClientRect().bottom,
      ], s.slot);
      expect([width, s.slot, legendTop >= barBottom]).toEqual([width, s.slot, true]);
    }
  }
  let dialogs = 0;
  page.on("dialog", (d) => { dialogs++; void d.accept(); });
  await page.getByRole("button", { name: "Submit all and finish" }).dblclick();
  await page.locator("dl.facts").filter({ hasText: "Submitted" }).waitFor();
  expect(dialogs).toBe(1);
  expect(await b.t.db.quizAttempt.count({ where: { userId: attempt.userId } })).toBe(1);
  await context.close();
});

test("reloaded right after typing: the page shows what was typed, not the answer saved before, and saves it; not over another window's newer answer", async () => {
  const { context, page, attempt, url, field, stored, storedAs } = await newAttempt("emma@example.edu");
  const input = page.locator(field);
  await input.fill("12");
  await storedAs("12");
  // Typed, and the page reloaded before its autosave (0.7 s after the last key) was sent.
  await input.fill("123");
  await page.reload();
  await page.waitForLoadState("load");
  await expect(input.inputValue()).resolves.toBe("123");
  await storedAs("123");
  // Kept once: after the server's answer changed (here in the database), a reload shows that.
  await b.t.db.quizSlot.updateMany({ where: { attemptId: attempt.id, response: { equals: { text: "123" } } }, data: { response: { text: "9" }, rev: { increment: 1000 } } });
  await page.reload();
  await expect(input.inputValue()).resolves.toBe("9");

  // Left with an answer still waiting, and another window answered since: coming back shows the other window's answer.
  await input.fill("45");
  await storedAs("45");
  await input.fill("456");
  await page.goto(`${b.base}/courses/cnn/quizzes/cnn-friday`);
  await storedAs("456"); // the save sent as the page was left
  const other = await context.newPage();
  await other.goto(url);
  await other.locator(field).fill("77");
  await storedAs("77");
  await other.close();
  await page.goto(url);
  await page.waitForLoadState("load");
  await expect(input.inputValue()).resolves.toBe("77");
  await page.waitForTimeout(1000); // nothing is sent over it
  expect(await stored()).toEqual({ text: "77" });
  await context.close();
});

test("an answer changed back while its change is still being saved is saved as changed back", async () => {
  const { context, page, attempt } = await newAttempt("chloe@example.edu");
  const tf = await b.t.db.quizSlot.findFirstOrThrow({ where: { attemptId: attempt.id, question: { path: ["type"], equals: "truefalse" } } });
  const tfStored = async () => (await b.t.db.quizSlot.findUniqueOrThrow({ where: { attemptId_slot: { attemptId: attempt.id, slot: tf.slot } } })).response;
  await page.locator(`input[name="s${tf.slot}"][value="true"]`).check();
  await until(tfStored, (r) => JSON.stringify(r) === JSON.stringify({ value: true }), 10_000, "True saved");
  await page.locator("[data-save-status]").filter({ hasText: "All answers saved" }).waitFor();
  // A slow network: each save takes 1.5 s to leave the browser.
  await page.route("**/autosave", async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  await page.locator(`input[name="s${tf.slot}"][value="false"]`).check();
  await page.locator(`input[name="s${tf.slot}"][value="true"]`).check(); // back, before False's save is answered
  await page.locator("[data-save-status]").filter({ hasText: "All answers saved" }).waitFor();
  await page.waitForTimeout(2000);
  expect(await tfStored()).toEqual({ value: true });
  await context.close();
});

test("when the timer reaches zero, an answer still being saved is saved first, then the attempt is submitted with it", async () => {
  const { context, page, attempt, field, stored } = await newAttempt("dev@example.edu", { clock: true });
  // The page counts the attempt's 30 minutes on its own clock: held 5 s before their end.
  await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1_795_000);
  // The answer's save reaches the server only when the test lets it (a slow network).
  let letThrough!: () => void;
  const gate = new Promise<void>((r) => (letThrough = r));
  let arrived!: () => void;
  const saveArrived = new Promise<void>((r) => (arrived = r));
  await page.route("**/autosave", async (route) => {
    arrived();
    await gate;
    await route.continue();
  });
  await page.locator(field).fill("7");
  await page.clock.runFor(1000); // the autosave's pause after typing: it is sent, and held
  await Promise.race([saveArrived, new Promise((_r, reject) => setTimeout(() => reject(new Error("the autosave was not sent")), 15_000))]);
  await page.clock.runFor(6000); // the timer reaches zero with the save still under way
  await page.locator("[data-save-status]").filter({ hasText: "Time is up: saving your last answers, then submitting…" }).waitFor();
  letThrough();
  await page.clock.resume();
  // The page goes on to the submitted attempt (its own address, where the form was: the URL alone does not show it).
  await page.locator("dl.facts").filter({ hasText: "Submitted" }).waitFor();
  expect(new URL(page.url()).pathname).toMatch(new RegExp(`/attempts/${attempt.id}$`));
  await until(() => b.t.db.quizAttempt.findUniqueOrThrow({ where: { id: attempt.id } }), (a) => a.status === "SUBMITTED", 10_000, "the attempt to be submitted");
  // Graded with it (the server's clock here stays at the attempt's start: "time ran out" is the integration test's).
  expect(await stored()).toEqual({ text: "7" });
  expect((await b.t.db.quizSlot.findFirstOrThrow({ where: { attemptId: attempt.id, response: { equals: { text: "7" } } } })).state).not.toBeNull();
  await context.close();
});

test("signed out while answering: the answers stay on the page and are saved once the student signs in again in another tab", async () => {
  const { context, page, field, stored, storedAs } = await newAttempt("emma@example.edu");
  const input = page.locator(field);
  await input.fill("1");
  await storedAs("1");
  // Signed out in another tab of the same browser.
  const other = await signOutElsewhere(context);
  await input.fill("2");
  const status = page.locator("[data-save-status]");
  await status.filter({ hasText: "You are signed out, so your answers are not being saved. Sign in again in another tab" }).waitFor();
  expect(await stored()).toEqual({ text: "1" });
  // Save answers posts nothing while signed out (the post would be refused, the page lost): the page stays.
  const here = page.url();
  await page.getByRole("button", { name: "Save answers" }).click();
  await status.filter({ hasText: "You are signed out" }).waitFor();
  expect(page.url()).toBe(here);
  await expect(input.inputValue()).resolves.toBe("2");
  // Another student signs in in this browser: the page says the attempt is not theirs and saves nothing as them.
  await signInPage(other, b.base, "felix@example.edu", DEMO_PASSWORDS.student);
  await status.filter({ hasText: "You are signed in as Felix Romero in this browser, but this attempt is another account's." }).waitFor();
  expect(await stored()).toEqual({ text: "1" });
  await signOutElsewhere(context);
  // Signed in again as herself: this page takes the new session's token and saves what it kept.
  await signInPage(other, b.base, "emma@example.edu", DEMO_PASSWORDS.student);
  await storedAs("2");
  await status.filter({ hasText: "All answers saved" }).waitFor();
  // The form's own buttons post with the new session's token too.
  await saveWithButton(page, input, stored, "3");
  await context.close();
});

/** Puts `value` in the field without an input event (so autosave has not sent it), presses Save answers, and checks the form's post stored it. */
async function saveWithButton(page: Page, input: Locator, stored: () => Promise<unknown>, value: string) {
  await input.evaluate((el: HTMLInputElement, v: string) => { el.value = v; }, value);
  await page.getByRole("button", { name: "Save answers" }).click();
  await page.locator(".flash-success").filter({ hasText: "Your answers are saved" }).waitFor();
  expect(await stored()).toEqual({ text: value });
}

test("signed out, Save answers is kept back; signed in again, it saves at the next press (the double-submit guard does not count the kept-back one)", async () => {
  const { context, page, field, stored, storedAs } = await newAttempt("ben@example.edu", { clock: true });
  // The page's clock held (its timers run only when the test says): the guard's 5 s never pass on their own.
  await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 60_000);
  const input = page.locator(field);
  const other = await signOutElsewhere(context);
  await input.fill("2");
  await page.clock.runFor(1000); // the autosave is sent, and refused: signed out
  const status = page.locator("[data-save-status]");
  await status.filter({ hasText: "You are signed out" }).waitFor();
  const here = page.url();
  await page.getByRole("button", { name: "Save answers" }).click(); // kept back: the page stays
  await status.filter({ hasText: "You are signed out" }).waitFor();
  expect(page.url()).toBe(here);
  await signInPage(other, b.base, "ben@example.edu", DEMO_PASSWORDS.student);
  await page.clock.runFor(2000); // the page looks for the session again, takes it, and saves what it kept
  await storedAs("2");
  await saveWithButton(page, input, stored, "3");
  await context.close();
});

test("submitted in another window: this window's next save is refused, and the page goes on to the submitted attempt, saying why", async () => {
  const { context, page, attempt, url, field, stored, storedAs } = await newAttempt("dev@example.edu");
  await page.locator(field).fill("4");
  await storedAs("4");
  const other = await context.newPage();
  other.setDefaultTimeout(15_000);
  await other.goto(url);
  other.once("dialog", (d) => void d.accept());
  await other.getByRole("button", { name: "Submit all and finish" }).click();
  await other.locator("dl.facts").filter({ hasText: "Submitted" }).waitFor();
  // This window still shows the form: a change here is refused by the server, and the page leaves for the attempt.
  await page.locator(field).fill("5");
  await page.locator("dl.facts").filter({ hasText: "Submitted" }).waitFor();
  expect(new URL(page.url()).pathname).toMatch(new RegExp(`/attempts/${attempt.id}$`));
  await page.locator(".flash").filter({ hasText: "This attempt has already been submitted; answers can no longer change." }).waitFor();
  expect(await stored()).toEqual({ text: "4" });
  await context.close();
});

test("a save the server refuses as it is says why and is not sent again; one a proxy fails says so and is retried until saved", async () => {
  const { context, page, field, stored, storedAs } = await newAttempt("felix@example.edu");
  const status = page.locator("[data-save-status]");
  const sent: number[] = [];
  page.on("request", (r) => { if (r.url().endsWith("/autosave")) sent.push(Date.now()); });
  // Longer than the server reads (past the field's maxlength, as a script could): 400, with what to do.
  await page.locator(field).evaluate((el: HTMLInputElement) => {
    el.value = "1".repeat(1001);
    el.dispatchEvent(new window.Event("input", { bubbles: true }));
  });
  await status.filter({ hasText: "The answer could not be read. Reload the page; your other answers are saved." }).waitFor();
  await page.waitForTimeout(5000); // a retry would have gone after 2 s
  expect(sent).toHaveLength(1);
  expect(await stored()).toBeNull();
  // A proxy before the server answers 503 once (its own page, not JSON): said as such, and the answer saved on the retry.
  let failed = false;
  await page.route("**/autosave", (route) => {
    if (failed) return route.continue();
    failed = true;
    return route.fulfill({ status: 503, contentType: "text/html", body: "<h1>503 Service Unavailable</h1>" });
  });
  await page.locator(field).fill("8");
  await status.filter({ hasText: "Not saved: the server had a problem (HTTP 503). Your answer stays on this page and is retried." }).waitFor();
  await storedAs("8");
  await status.filter({ hasText: "All answers saved" }).waitFor();
  await context.close();
});

/** `step`, or a failure naming it after `ms`: a Playwright clock call can wait for good (a page leaving while it runs),
 *  and Jest's own timeout would not say which step it was. */
function within<T>(what: string, step: Promise<T>, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)));
  return Promise.race([step, late]).finally(() => clearTimeout(timer));
}

test("time up while signed out: the page waits for the student to sign in again, then saves the kept answer and submits", async () => {
  const { context, page, attempt, field, stored } = await newAttempt("chloe@example.edu", { clock: true });
  await within("holding the clock 5 s before the end", page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1_795_000)); // held
  const other = await signOutElsewhere(context);
  await page.locator(field).fill("6");
  await within("running the clock 1 s (the autosave)", page.clock.runFor(1000)); // its autosave is sent, and refused: signed out
  const status = page.locator("[data-save-status]");
  await status.filter({ hasText: "You are signed out" }).waitFor();
  await within("running the clock 6 s (to zero)", page.clock.runFor(6000)); // the timer reaches zero
  await status.filter({ hasText: "Time is up, and you are signed out: sign in again in another tab now." }).waitFor();
  expect((await b.t.db.quizAttempt.findUniqueOrThrow({ where: { id: attempt.id } })).status).toBe("IN_PROGRESS");
  await signInPage(other, b.base, "chloe@example.edu", DEMO_PASSWORDS.student);
  // Time flows again: within 5 s the page looks again, takes the new session, saves, submits and leaves
  // (left to real time: a clock call pending while the page navigates away can wait for good).
  await within("resuming the clock", page.clock.resume());
  await until(() => b.t.db.quizAttempt.findUniqueOrThrow({ where: { id: attempt.id } }), (a) => a.status === "SUBMITTED", 30_000, "the attempt to be submitted");
  expect(await stored()).toEqual({ text: "6" });
  // The page goes on to the submitted attempt. It is closed only once there: Chromium can wait for good to close a
  // context whose page is mid-navigation (the attempt is submitted before the page leaves; one CI run hung here).
  await within("the page arriving at the submitted attempt", page.locator("dl.facts").filter({ hasText: "Submitted" }).waitFor());
  expect(new URL(page.url()).pathname).toMatch(new RegExp(`/attempts/${attempt.id}$`));
  await page.waitForLoadState("load");
  await within("closing the browser context", context.close());
});

/** A response with its positions in key order, to compare saved orders. */
function sortKeys(r: unknown) {
  const p = (r as { positions?: Record<string, number> } | null)?.positions ?? {};
  return Object.fromEntries(Object.entries(p).sort(([a], [b]) => a.localeCompare(b)));
}
