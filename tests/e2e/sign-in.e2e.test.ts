import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { startBrowserApp, type BrowserApp } from "../helpers/browser.js";

let b: BrowserApp;
beforeAll(async () => {
  b = await startBrowserApp();
});
afterAll(() => b?.close());

test("a student signs in with a typo, then correctly, sees the course, and signs out", async () => {
  const page = await b.browser.newPage();
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(`${b.base}/courses/cnn`);
  await page.waitForURL(/\/login$/);

  await page.getByLabel("Email").fill("alice@example.edu");
  await page.getByLabel("Password").fill("wrong");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").textContent()).resolves.toContain("do not match an account");
  expect(await page.getByLabel("Email").inputValue()).toBe("alice@example.edu");

  await page.getByLabel("Password").fill(DEMO_PASSWORDS.student);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/courses\/cnn$/);
  expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Convolutional Neural Networks");
  expect(await page.getByRole("status").textContent()).toContain("Signed in as Alice Nguyen");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login\?signedOut=1$/);
  await page.goto(`${b.base}/courses/cnn`);
  await page.waitForURL(/\/login$/);
  // No CSP violations, script errors or missing assets; the one 401 is the wrong password's answer.
  expect(errors).toEqual(["Failed to load resource: the server responded with a status of 401 (Unauthorized)"]);
});

test("the sign-in page fits a phone screen without sideways scrolling", async () => {
  const page = await b.browser.newPage({ viewport: { width: 360, height: 740 } });
  await page.goto(`${b.base}/login`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBe(0);
});
