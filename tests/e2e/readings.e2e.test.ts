import type { Page } from "playwright-core";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { syncContent } from "../../src/content/content.sync.js";
import { createLogger } from "../../src/platform/logger.js";
import { signInPage, startBrowserApp, type BrowserApp } from "../helpers/browser.js";
import { copyContent } from "../helpers/content.js";

const content = copyContent();
let b: BrowserApp;
beforeAll(async () => {
  b = await startBrowserApp({}, { contentDir: content.dir, clock: () => new Date("2026-11-25T19:00:00Z") });
});
afterAll(async () => {
  await b?.close();
  content.remove();
});

const signIn = (page: Page, email: string, password: string) => signInPage(page, b.base, email, password);

const counts = (page: Page) => page.locator("[data-progress] [data-count]").allTextContents();

test("a student reads, ticks items in place, signs out and back in, and finds the same progress", async () => {
  const context = await b.browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await signIn(page, "alice@example.edu", DEMO_PASSWORDS.student);
  await page.getByRole("link", { name: "Convolutional Neural Networks" }).last().click();
  await page.getByRole("link", { name: "Module 6 — Convolutional Neural Networks" }).first().click();
  await page.waitForURL(/\/readings\/overview$/);

  // The reading, rendered as a reader sees it.
  await expect(page.locator(".admonition.time .admonition-title").textContent()).resolves.toBe("Estimated Reading Time");
  await expect(page.locator(".admonition.note").textContent()).resolves.toContain("Everything in the Theory section");
  expect(await page.locator(".reading-body iframe").getAttribute("src")).toBe("https://www.youtube-nocookie.com/embed/KuXjwB4LzSA");
  expect(await page.locator(".reading-body math").count()).toBeGreaterThan(0);
  expect(await page.locator(".reading-body img").evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);

  // Tick two items: the page updates without a reload.
  const url = page.url();
  await page.getByRole("button", { name: "Mark as done: What a convolution does" }).click();
  await expect(page.getByRole("button", { name: "Done: What a convolution does. Mark as not done" }).waitFor()).resolves.toBeUndefined();
  await page.getByRole("button", { name: /^Mark as done: Read and run our Keras CNN tutorial/ }).click();
  await page.getByRole("button", { name: /^Done: Read and run our Keras CNN tutorial/ }).waitFor();
  expect(await counts(page)).toEqual(["1 of 3", "1 of 3"]);
  expect(page.url()).toBe(url);

  // And untick one again.
  await page.getByRole("button", { name: /^Done: Read and run our Keras CNN tutorial/ }).click();
  await page.getByRole("button", { name: /^Mark as done: Read and run our Keras CNN tutorial/ }).waitFor();
  expect(await counts(page)).toEqual(["1 of 3", "0 of 3"]);

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login/);
  await signIn(page, "alice@example.edu", DEMO_PASSWORDS.student);
  await page.goto(`${b.base}/courses/cnn/modules/cnn`);
  expect(await counts(page)).toEqual(["1 of 3", "0 of 3"]);
  await expect(page.locator(".next-due a").textContent()).resolves.toBe("Layers of a CNN");
  await context.close();
});

test("ticking from the keyboard keeps the focus on the button, so the same key unticks it; the list of readings counts the tick", async () => {
  const context = await b.browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await signIn(page, "chloe@example.edu", DEMO_PASSWORDS.student);
  await page.goto(`${b.base}/courses/cnn/modules/cnn`);
  await page.getByRole("button", { name: "Mark as done: Layers of a CNN" }).focus();
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.tagName);
  await page.keyboard.press("Space");
  await page.getByRole("button", { name: "Done: Layers of a CNN. Mark as not done" }).waitFor();
  await expect(focused()).resolves.toBe("Done: Layers of a CNN. Mark as not done");
  await page.keyboard.press("Space");
  await page.getByRole("button", { name: "Mark as done: Layers of a CNN" }).waitFor();
  await expect(focused()).resolves.toBe("Mark as done: Layers of a CNN");
  expect(await counts(page)).toEqual(["0 of 3", "0 of 3"]);
  // The list of readings counts each reading's items as they are now (overview.md: three Theory headings, three Practical bullets).
  const overview = page.locator('[data-reading-count="overview"]');
  await expect(overview.textContent()).resolves.toBe("0 of 6");
  await page.getByRole("button", { name: "Mark as done: Layers of a CNN" }).click();
  await page.getByRole("button", { name: "Done: Layers of a CNN. Mark as not done" }).waitFor();
  await expect(overview.textContent()).resolves.toBe("1 of 6");
  await context.close();
});

test("ticking works without JavaScript too", async () => {
  const context = await b.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await signIn(page, "ben@example.edu", DEMO_PASSWORDS.student);
  await page.goto(`${b.base}/courses/cnn/modules/cnn`);
  await page.getByRole("button", { name: "Mark as done: Layers of a CNN" }).click();
  await page.waitForURL(/\/modules\/cnn#layers-of-a-cnn$/);
  expect(await counts(page)).toEqual(["1 of 3", "0 of 3"]);
  await context.close();
});

test("an instructor sees a broken content file's error while the site stays up", async () => {
  content.write("cnn/keras-cnn.md", "---\ntitle: [oops\n---\nbody");
  await syncContent({ db: b.t.db, contentDir: content.dir, logger: createLogger("silent") });
  const context = await b.browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await signIn(page, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  await page.goto(`${b.base}/courses/cnn`);
  await page.getByRole("link", { name: "Content status" }).click();
  const row = page.locator("tr.content-error", { hasText: "keras-cnn.md" });
  await expect(row.textContent()).resolves.toMatch(/cnn\/keras-cnn\.md\s*2\s*Front matter is not valid YAML/);
  await page.goto(`${b.base}/courses/cnn/modules/cnn/readings/keras-cnn`);
  await expect(page.locator("h1").textContent()).resolves.toBe("A first CNN in Keras"); // the last good version
  await page.screenshot({ path: "/tmp/e2e-content-status.png" }).catch(() => {});
  await context.close();
});
