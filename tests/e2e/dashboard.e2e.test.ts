// An instructor opens the dashboard in a browser: the roster, a filter, and the charts render.
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { signInPage, startBrowserApp, type BrowserApp } from "../helpers/browser.js";

let b: BrowserApp;
beforeAll(async () => {
  b = await startBrowserApp({}, { clock: () => new Date("2026-11-26T19:00:00Z") });
  const alice = await b.t.db.user.findUniqueOrThrow({ where: { email: "alice@example.edu" } });
  const items = await b.t.db.checklistItem.findMany({ where: { section: "THEORY", archivedAt: null } });
  await b.t.db.checklistTick.createMany({ data: items.map((i) => ({ itemId: i.id, userId: alice.id, completedAt: new Date("2026-11-25T18:00:00Z") })) });
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
  expect(await chart.locator("path").count()).toBe(2);
  expect(await page.locator("table.roster tbody tr").count()).toBe(6);
  await page.getByLabel("Theory not done").check();
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForURL(/filter=theory/);
  expect(await page.locator("table.roster tbody tr").count()).toBe(5);
  expect(await page.locator("table.roster").textContent()).not.toContain("Alice Nguyen");
  await context.close();
});
