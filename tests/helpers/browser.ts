// A real browser: Debian's Chromium driven by playwright-core (no browser download).
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { scoreAllSplits } from "../../src/grading/score.js";
import { startTestApp, type TestApp } from "./app.js";
import { fixtureHoldout } from "./grading.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * The environment without libfaketime (`npm run test:year-ahead`): Chromium's crash handler
 * fails under a faked clock, so the browser keeps the real one while the app, its database
 * and the tests run a year ahead (the browser only shows pages and sends cookies back).
 */
function realClockEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && e[0] !== "LD_PRELOAD" && !e[0].startsWith("FAKETIME")));
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    env: realClockEnv(),
    // This machine has no internet: external hosts (YouTube embeds) fail at once instead of hanging on DNS.
    args: ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Serves the test app on a free loopback port; returns its base URL and how to stop it. */
export async function listen(t: TestApp): Promise<{ base: string; close(): Promise<void> }> {
  const server = t.app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

export interface BrowserApp {
  t: TestApp;
  base: string;
  browser: Browser;
  close(): Promise<void>;
}

/** The test app served on loopback plus a browser, for a browser test file's beforeAll/afterAll. */
export async function startBrowserApp(...args: Parameters<typeof startTestApp>): Promise<BrowserApp> {
  const t = await startTestApp(...args);
  const server = await listen(t);
  const browser = await launchBrowser();
  return {
    t,
    base: server.base,
    browser,
    async close() {
      await browser.close();
      await server.close();
      await t.close();
    },
  };
}

/** Signs in through the login form and waits to leave it. */
export async function signInPage(page: import("playwright-core").Page, base: string, email: string, password: string) {
  await page.goto(`${base}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
}

/**
 * A scored submission of Alice's team (Stop Signs), with its details as scoring writes them: a
 * predictions CSV scored on a 16-image holdout, three of the images wrong — so the submission page,
 * leaderboard and charts have something to show.
 */
export async function seedScoredSubmission(t: TestApp, filename = "a-very-long-model-file-name-that-students-really-use-final-v2.keras") {
  const cs = await t.db.caseStudy.findFirstOrThrow({});
  const team = await t.db.team.findFirstOrThrow({ where: { name: "Stop Signs" } });
  const alice = await t.db.user.findUniqueOrThrow({ where: { email: "alice@example.edu" } });
  const sub = await t.db.submission.create({ data: { caseStudyId: cs.id, teamId: team.id, userId: alice.id, number: 1, filename, storedPath: "/nowhere", bytes: 1_234_567, status: "SCORED" } });
  const labels = Array.from({ length: 16 }, (_x, i) => i);
  const holdout = fixtureHoldout(labels);
  const csv = path.join(holdout.dir, "predictions.csv");
  fs.writeFileSync(csv, `predictions\n${labels.map((l, i) => (i % 5 === 1 ? (l + 7) % 43 : l)).join("\n")}\n`);
  const r = await scoreAllSplits({ model: csv, holdout: holdout.dir });
  holdout.remove();
  await t.db.submissionResult.create({ data: {
    submissionId: sub.id, holdoutVersion: cs.holdoutVersion, publicScore: r.public.macroF1, privateScore: r.private.macroF1, publicPoints: r.public.points, privatePoints: r.private.points,
    accuracy: r.all.accuracy, engine: r.all.engine, details: JSON.parse(JSON.stringify({ classNames: r.all.classNames, public: r.public, private: r.private, all: r.all })) as object,
  } });
  return { cs, sub };
}
