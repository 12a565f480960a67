// A newcomer's first hour, as the README tells it: `npm start` on a fresh data folder (the
// embedded PostgreSQL, the demo course, the case-study data generated in the background),
// then in a browser the demo student starts the Friday quiz, waits for the case-study data,
// uploads a Keras model and sees it scored. The demo's dates count from this first start,
// so this passes on any date. Only the dataset is made small (GENERATED_DATA_SCALE).
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { launchBrowser, signInPage } from "../helpers/browser.js";
import { MODELS } from "../helpers/grading.js";
import { freePort } from "../helpers/test-database.js";
import { until } from "../helpers/wait.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
/** Under `npm run test:year-ahead` the server runs a year ahead too: libfaketime's settings pass on. */
const fakedClock = () => Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && (e[0] === "LD_PRELOAD" || e[0].startsWith("FAKETIME"))));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cnn-first-run-"));
let server: ChildProcess;
let exited: Promise<number | null>;
let out = "";
let base: string;
let browser: Browser;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // `npm start` in its own process group, so the whole tree (npm, tsx, node, PostgreSQL) can be stopped.
  server = spawn("npm", ["start"], {
    cwd: ROOT,
    detached: true,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), PG_PORT: String(await freePort()), DATA_DIR: dataDir, GENERATED_DATA_SCALE: "0.02", ...fakedClock() },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  server.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  exited = new Promise((resolve) => server.on("exit", (code) => resolve(code)));
  await until(() => out, (o) => /"msg":"listening"/.test(o) || server.exitCode !== null, 240_000, "the server to listen");
  if (server.exitCode !== null) throw new Error(`npm start exited (${server.exitCode}):\n${out}`);
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (server?.pid && server.exitCode === null) {
    process.kill(-server.pid, "SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise((r) => (timer = setTimeout(() => r("timeout"), 30_000)))]);
    clearTimeout(timer);
    if (code === "timeout") process.kill(-server.pid, "SIGKILL");
  }
  server?.stdout?.destroy();
  server?.stderr?.destroy();
  fs.rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

test("fresh data folder, npm start: the demo student takes the quiz, waits for the data, uploads a Keras model and sees it scored", async () => {
  expect(out).toContain("Demo sign-ins (role, email, password):");
  expect(out).toContain("alice@example.edu");
  expect(out).toContain("embedded PostgreSQL ready");
  // The server keeps the test's time (a year ahead under test:year-ahead): its log says when it listened.
  const listened = JSON.parse(out.split("\n").find((l) => l.includes('"msg":"listening"'))!) as { time: number };
  expect(Math.abs(listened.time - Date.now())).toBeLessThan(30 * 60_000);

  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  await signInPage(page, base, "alice@example.edu", DEMO_PASSWORDS.student);

  // The Friday quiz is open now (the demo's dates count from this first start).
  await page.goto(`${base}/courses/cnn/quizzes/cnn-friday`);
  await page.getByRole("button", { name: "Start the quiz" }).click();
  await page.waitForURL(/\/attempts\/[0-9a-f-]{36}$/);
  expect(await page.getByRole("button", { name: "Submit all and finish" }).count()).toBe(1);
  expect(await page.locator("fieldset, .question").count()).toBeGreaterThan(0);

  // The case study: open, its data generated in the background; the page says when it is ready.
  await page.goto(`${base}/courses/cnn/case-studies/cnn`);
  await until(async () => {
    await page.reload();
    return page.getByRole("link", { name: "Training set" }).count();
  }, (n) => n === 1, 600_000, "the case-study data to be ready");
  expect(out).toMatch(/case-study data|dataset/i);

  await page.locator("#model-file").setInputFiles(path.join(MODELS, "seq-basic.keras"));
  await page.getByRole("button", { name: "Upload and score" }).click();
  await page.waitForURL(/\/submissions\/[0-9a-f-]{36}$/);
  await page.locator(".score-card").waitFor({ timeout: 600_000 });
  expect(await page.locator("[data-status]").textContent()).toBe("Scored");
  // Points on the public half of the holdout, as "<macro-F1> → <points> points".
  expect(await page.locator(".score-card").textContent()).toMatch(/Public macro-F1\s*[01]\.\d{4}\s*→\s*\d+(\.\d+)? points/);
  await context.close();
}, 1_200_000);
