// A real browser: Debian's Chromium driven by playwright-core (no browser download).
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import { startTestApp, type TestApp } from "./app.js";

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
