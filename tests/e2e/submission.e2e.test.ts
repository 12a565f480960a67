// A team member uploads a model in the browser and watches it get scored.
import path from "node:path";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { signInPage, startBrowserApp, type BrowserApp } from "../helpers/browser.js";
import { copyContent } from "../helpers/content.js";
import { expected, fixtureHoldout, MODELS } from "../helpers/grading.js";

const holdout = fixtureHoldout(expected("seq-basic").argmax, { repeat: 4 });
const content = copyContent();
content.write("cnn/case-study.yaml", `title: "Case study: traffic signs"\nbrief: case-study\ndeadline: 2026-12-04T23:59\ndata: { holdoutDir: ${JSON.stringify(holdout.dir)} }\n`);
let b: BrowserApp;
beforeAll(async () => {
  b = await startBrowserApp({}, { contentDir: content.dir, clock: () => new Date("2026-12-01T19:00:00Z"), queue: { worker: true } });
});
afterAll(async () => {
  await b?.close();
  holdout.remove();
  content.remove();
});

/** Ben, in a new browser context, uploads seq-basic.keras from the case study page; left on the submission's page. */
async function uploadAsBen(app: BrowserApp) {
  const context = await app.browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await signInPage(page, app.base, "ben@example.edu", DEMO_PASSWORDS.student);
  await page.getByRole("link", { name: "Case study: traffic signs" }).first().click();
  await page.locator("#model-file").setInputFiles(path.join(MODELS, "seq-basic.keras"));
  await page.getByRole("button", { name: "Upload and score" }).click();
  await page.waitForURL(/\/submissions\/[0-9a-f-]{36}$/);
  return { context, page };
}

test("upload a Keras model with progress, watch it queue, run and score without reloading", async () => {
  const { context, page } = await uploadAsBen(b);
  // The page updates itself: queued/running, then the result.
  await page.locator(".score-card").waitFor();
  expect(await page.locator("[data-status]").textContent()).toBe("Scored");
  expect(await page.locator(".score-card").textContent()).toContain("1.0000");
  expect(await page.locator("svg.confusion g.mark-rect path").count()).toBeGreaterThan(10);
  expect(await page.locator("svg.bars g.mark-rect path").count()).toBe(16);
  await page.getByRole("link", { name: "Case study: traffic signs" }).first().click();
  expect(await page.locator("tbody tr").first().textContent()).toContain("seq-basic.keras");
  await context.close();
});

test("a refused upload: the page is shown again with the refusal in the team's list and its count, the message beside the form", async () => {
  const context = await b.browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  await signInPage(page, b.base, "dev@example.edu", DEMO_PASSWORDS.student);
  await page.goto(`${b.base}/courses/cnn/case-studies/cnn`);
  await expect(page.locator("#failure-budget").textContent()).resolves.toContain("Failed or refused: 0 of 10 today.");
  // Text saved under a Keras name: not a model file.
  await page.locator("#model-file").setInputFiles({ name: "notes.keras", mimeType: "application/octet-stream", buffer: Buffer.from("these are my notes, not a model\n") });
  await page.getByRole("button", { name: "Upload and score" }).click();
  const status = page.locator("[data-upload-status]");
  await status.filter({ hasText: "This counts as 1 of the 10 failed or refused uploads your team may have today." }).waitFor();
  await expect(page.locator("#failure-budget").textContent()).resolves.toContain("Failed or refused: 1 of 10 today.");
  await expect(page.locator("tbody tr").first().textContent()).resolves.toContain("notes.keras");
  await expect(status.getAttribute("class")).resolves.toContain("error-text");
  // Read out: an alert, with the keyboard focus on it.
  await expect(status.getAttribute("role")).resolves.toBe("alert");
  await expect(page.evaluate(() => document.activeElement?.hasAttribute("data-upload-status"))).resolves.toBe(true);
  // Shown once: the page opened again says nothing.
  await page.reload();
  await expect(status.textContent()).resolves.toBe("");
  await context.close();
});

describe("no grader running", () => {
  let q: BrowserApp;
  beforeAll(async () => {
    q = await startBrowserApp({}, { contentDir: content.dir, clock: () => new Date("2026-12-01T19:00:00Z"), queue: {} });
  });
  afterAll(async () => {
    await q?.close();
  });

  test("signed out while the page follows a queued submission: it says so, and follows it again once signed in", async () => {
    const { context, page } = await uploadAsBen(q);
    const live = page.locator("[data-live]");
    await live.filter({ hasText: "Waiting for a grader to start." }).waitFor();
    // Signed out in another tab of this browser.
    const other = await context.newPage();
    await other.goto(`${q.base}/courses/cnn`);
    await other.getByRole("button", { name: "Sign out" }).click();
    await other.waitForURL(/\/login/);
    await live.filter({ hasText: "You are signed out, so this page cannot follow the scoring." }).waitFor();
    expect(await page.locator("[data-status]").textContent()).toBe("Queued");
    // Signing in again leads to a page, not to the status the signed-out page asked for meanwhile.
    await signInPage(other, q.base, "ben@example.edu", DEMO_PASSWORDS.student);
    expect(new URL(other.url()).pathname).not.toMatch(/\/status$/);
    await other.getByRole("heading", { level: 1 }).waitFor();
    await live.filter({ hasText: "Waiting for a grader to start." }).waitFor();
    await context.close();
  });
});
