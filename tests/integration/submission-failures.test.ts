// Uploads that fail or are refused: their own daily budget per team (counted, shown, held
// under parallel uploads, enforced before a file is stored), refused files deleted at once,
// failed ones after the retention period, and predictions CSVs read only in a child process.
import { jest } from "@jest/globals";
import fs from "node:fs";
import path from "node:path";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { scoreModel } from "../../src/grading/score.js";
import { sweepFailedUploads } from "../../src/casestudy/retention.js";
import { $, csrfFrom, signedIn, startTestApp, type TestApp } from "../helpers/app.js";
import { copyContent } from "../helpers/content.js";
import { fixtureHoldout, MODELS, tempDir } from "../helpers/grading.js";

// Tuesday 1 Dec 2026 noon in Denver (the demo course's time zone).
let now = new Date("2026-12-01T19:00:00Z");
// 16 images of 4 classes, four each.
const labels = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3];
const holdout = fixtureHoldout(labels, { classes: 4 });
const files = tempDir();
const content = copyContent();
const CASE = "/courses/cnn/case-studies/cnn";
content.write("cnn/case-study.yaml", `title: Test case study
brief: case-study
opens: 2026-11-30T09:00
deadline: 2026-12-04T23:59
data: { holdoutDir: ${JSON.stringify(holdout.dir)} }
limits: { perDay: 4, total: 20, cooldownMinutes: 0, finalSubmissions: 1, maxUploadMb: 3 }
splitSeed: test
`);
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ FAILED_UPLOADS_PER_DAY: "3", FAILED_UPLOAD_RETENTION_DAYS: "7" }, { contentDir: content.dir, clock: () => now });
  fs.writeFileSync(path.join(files.dir, "notes.txt"), "my model is great");
  fs.writeFileSync(path.join(files.dir, "short.csv"), "predictions\n1\n2\n");
});
afterAll(async () => {
  await t.close();
  for (const x of [holdout, files, content]) x.remove();
});
beforeEach(async () => {
  now = new Date("2026-12-01T19:00:00Z");
  await t.db.submission.deleteMany({});
  await t.db.uploadSlot.deleteMany({});
});
afterEach(() => jest.restoreAllMocks());

type Agent = Awaited<ReturnType<typeof signedIn>>;
const upload = async (agent: Agent, file: string, token?: string) =>
  agent.post(`${CASE}/submissions`).field("_csrf", token ?? csrfFrom((await agent.get(CASE)).text)).attach("model", file, path.basename(file));
const message = (res: { text: string }) => $(res.text)(".error-message").text();
const tmpFiles = () => (fs.existsSync(path.join(t.dataDir, "uploads-tmp")) ? fs.readdirSync(path.join(t.dataDir, "uploads-tmp")) : []);

test("failed or refused uploads have a daily budget, counted and shown; over it an upload is refused before its file is stored, until the course's next day", async () => {
  const alice = await signedIn(t, "alice@example.edu");
  const first = await upload(alice, path.join(files.dir, "notes.txt"));
  expect(first.status).toBe(400);
  expect(message(first)).toContain("not a model the grader knows");
  expect(message(first)).toContain("This counts as 1 of the 3 failed or refused uploads your team may have today.");
  expect((await upload(alice, path.join(files.dir, "short.csv"))).status).toBe(400);
  let page = $((await alice.get(CASE)).text);
  expect(page("#failure-budget").text()).toContain("Failed or refused: 2 of 3 today.");
  expect(page("tbody tr td:nth-child(4)").map((_i, e) => page(e).text().trim()).get()).toEqual(["Refused (not scored)", "Refused (not scored)"]);
  expect(page("form[data-upload]")).toHaveLength(1);

  const third = await upload(alice, path.join(files.dir, "notes.txt"));
  expect(message(third)).toContain("This counts as 3 of the 3");
  page = $((await alice.get(CASE)).text);
  expect(page("#failure-budget").text()).toContain("Failed or refused: 3 of 3 today.");
  expect(page("form[data-upload]")).toHaveLength(0); // the form gives way to the reason
  expect(page("p.callout[role=status]").text()).toContain("uploads are accepted again from Wed 2 Dec, 00:00 MST");

  // Over the budget — even a good model — nothing is written to disk and nothing is recorded.
  const writes = jest.spyOn(fs, "createWriteStream");
  const over = await upload(alice, path.join(MODELS, "seq-basic.keras"));
  expect(over.status).toBe(429);
  expect(message(over)).toContain("Your team has had 3 failed or refused uploads today, its budget of 3 for the day; uploads are accepted again from Wed 2 Dec, 00:00 MST.");
  expect(message(over)).toContain("Nothing was uploaded.");
  expect(writes).not.toHaveBeenCalled();
  expect(await t.db.submission.count()).toBe(3);
  expect(tmpFiles()).toEqual([]);

  // The other team's budget is its own; and the next day (in Denver) the budget is new.
  expect(message(await upload(await signedIn(t, "dev@example.edu"), path.join(files.dir, "notes.txt")))).toContain("This counts as 1 of the 3");
  now = new Date("2026-12-02T06:59:00Z"); // still Tuesday in Denver
  expect((await upload(alice, path.join(files.dir, "notes.txt"))).status).toBe(429);
  now = new Date("2026-12-02T07:00:00Z"); // Wednesday 00:00 in Denver
  const next = await upload(alice, path.join(files.dir, "notes.txt"));
  expect(next.status).toBe(400);
  expect(message(next)).toContain("This counts as 1 of the 3");
});

test("over the budget, a large upload is not read to its end: the connection is closed after 8 MB", async () => {
  const alice = await signedIn(t, "alice@example.edu");
  for (let i = 0; i < 3; i++) expect((await upload(alice, path.join(files.dir, "notes.txt"))).status).toBe(400);
  const big = path.join(files.dir, "big.keras");
  fs.writeFileSync(big, Buffer.alloc(40 * 1024 * 1024, 1)); // 40 MB a client keeps sending
  const writes = jest.spyOn(fs, "createWriteStream");
  await expect(upload(alice, big)).rejects.toThrow(); // closed, not read for as long as it is sent
  expect(writes).not.toHaveBeenCalled();
  // A small one still gets the answer, and the server carries on.
  expect((await upload(alice, path.join(files.dir, "notes.txt"))).status).toBe(429);
  expect((await t.agent().get("/healthz")).status).toBe(200);
});

test("uploads at the same moment cannot all slip past the budget", async () => {
  const dev = await signedIn(t, "dev@example.edu");
  const token = csrfFrom((await dev.get(CASE)).text);
  const burst = await Promise.all(Array.from({ length: 6 }, () => upload(dev, path.join(files.dir, "short.csv"), token)));
  expect(burst.map((r) => r.status).sort()).toEqual([400, 400, 400, 429, 429, 429]);
  expect(await t.db.submission.count({ where: { refused: true } })).toBe(3);
  const page = $((await dev.get(CASE)).text);
  expect(page("#failure-budget").text()).toContain("Failed or refused: 3 of 3 today.");
  expect(await t.db.uploadSlot.count()).toBe(0); // every reservation freed
});

test("a refused upload's file is deleted at once; its row keeps the name, size and reason, and its page says what happened and what to do", async () => {
  const alice = await signedIn(t, "alice@example.edu");
  const res = await upload(alice, path.join(files.dir, "notes.txt"));
  expect(res.status).toBe(400);
  const row = await t.db.submission.findFirstOrThrow({});
  expect(row).toMatchObject({ filename: "notes.txt", bytes: 17, status: "FAILED", refused: true, errorCode: "unknown_format", runs: 0 });
  expect(row.errorMessage).toContain("not a model the grader knows");
  expect(row.fileRemovedAt).not.toBeNull();
  expect(fs.existsSync(path.join(t.dataDir, "submissions", row.id))).toBe(false);
  expect(tmpFiles()).toEqual([]);
  const page = $((await alice.get(`${CASE}/submissions/${row.id}`)).text);
  expect(page("[data-status]").text()).toBe("Refused");
  expect(page("[role=alert]").text()).toContain("This upload was refused when it arrived. This is not a model the grader knows.");
  expect(page("[role=alert]").text()).toContain("counts towards the 3 failed or refused uploads your team may have in a day");
  expect(page("[role=alert]").text()).toContain("Its file was not kept. Fix what is described above, then upload the file again.");
  const grader = await signedIn(t, "grader@example.edu", DEMO_PASSWORDS.grader);
  const download = await grader.get(`${CASE}/submissions/${row.id}/download`);
  expect(download.status).toBe(404);
  expect(message(download)).toContain("refused when it arrived, so its file was not kept");
});

test("the retention sweep deletes a failed submission's file after 7 days, but not a recent one, a scored one or one the grader failed", async () => {
  const cs = await t.db.caseStudy.findFirstOrThrow({});
  const team = await t.db.team.findFirstOrThrow({ where: { name: "Stop Signs" } });
  const user = await t.db.user.findFirstOrThrow({ where: { email: "alice@example.edu" } });
  const day = 24 * 60 * 60_000;
  const make = async (number: number, data: { status: "FAILED" | "SCORED"; errorCode?: string; finishedAt: Date }) => {
    const sub = await t.db.submission.create({ data: { caseStudyId: cs.id, teamId: team.id, userId: user.id, number, filename: "m.keras", storedPath: "", bytes: 4, createdAt: new Date(data.finishedAt.getTime() - 60_000), ...data } });
    const stored = path.join(t.dataDir, "submissions", sub.id, "m.keras");
    fs.mkdirSync(path.dirname(stored), { recursive: true });
    fs.writeFileSync(stored, "data");
    await t.db.submission.update({ where: { id: sub.id }, data: { storedPath: stored } });
    return { id: sub.id, stored };
  };
  const old = await make(1, { status: "FAILED", errorCode: "nan_output", finishedAt: new Date(now.getTime() - 7 * day - 60_000) });
  const recent = await make(2, { status: "FAILED", errorCode: "nan_output", finishedAt: new Date(now.getTime() - 7 * day + 60_000) });
  const scored = await make(3, { status: "SCORED", finishedAt: new Date(now.getTime() - 30 * day) });
  const grader = await make(4, { status: "FAILED", errorCode: "grader_error", finishedAt: new Date(now.getTime() - 30 * day) });

  expect(await sweepFailedUploads({ db: t.db, dataDir: t.dataDir }, { now, retentionDays: 7 })).toEqual([old.id]);
  expect(fs.existsSync(path.dirname(old.stored))).toBe(false);
  for (const kept of [recent, scored, grader]) expect(fs.existsSync(kept.stored)).toBe(true);
  expect((await t.db.submission.findUniqueOrThrow({ where: { id: old.id } })).fileRemovedAt).toEqual(now);
  expect(await sweepFailedUploads({ db: t.db, dataDir: t.dataDir }, { now, retentionDays: 7 })).toEqual([]); // done once

  const alice = await signedIn(t, "alice@example.edu");
  const oldPage = $((await alice.get(`${CASE}/submissions/${old.id}`)).text);
  expect(oldPage("[role=alert]").text()).toContain("Its file was deleted on Tue 1 Dec 2026, 12:00 MST (failed submissions' files are kept 7 days).");
  const recentPage = $((await alice.get(`${CASE}/submissions/${recent.id}`)).text);
  expect(recentPage("[role=alert]").text()).toContain("Its file is kept until Tue 1 Dec 2026, 12:01 MST");
  // Staff cannot requeue a submission whose file is gone.
  const staff = await signedIn(t, "grader@example.edu", DEMO_PASSWORDS.grader);
  const list = await staff.get(`${CASE}/submissions/${old.id}`);
  expect($(list.text)("#staff-tools").text()).toContain("The file was not kept, so it cannot be downloaded or rescored.");
  const rescore = await staff.post(`${CASE}/submissions/${old.id}/rescore`).type("form").send({ _csrf: csrfFrom(list.text) });
  expect(rescore.status).toBe(409);
  expect($(rescore.text)(".error-message").text()).toContain("file was deleted after it failed");
  expect((await t.db.submission.findUniqueOrThrow({ where: { id: old.id } })).status).toBe("FAILED");
});

/** Calls in this process that read a file under `dir` (whole or streamed). */
function readsUnder(dir: string) {
  const whole = jest.spyOn(fs, "readFileSync");
  const streamed = jest.spyOn(fs, "createReadStream");
  return () => [...whole.mock.calls, ...streamed.mock.calls].map((c) => String(c[0])).filter((f) => path.resolve(f).startsWith(path.resolve(dir)));
}

test("a predictions CSV over its byte cap or its row cap is refused at upload, parsed only in a child process", async () => {
  const alice = await signedIn(t, "alice@example.edu");
  const reads = readsUnder(t.dataDir);
  // 5,000 rows in 10 KB: under the byte cap (64 KB + 64 B per row), over the row cap (16 images + 16).
  fs.writeFileSync(path.join(files.dir, "many.csv"), `predictions\n${"1\n".repeat(5000)}`);
  const many = await upload(alice, path.join(files.dir, "many.csv"));
  expect(many.status).toBe(400);
  expect(message(many)).toContain("The predictions CSV has more than 32 rows, but the holdout has 16 images; it was not read further.");
  // 200 KB: refused by its size, unread.
  fs.writeFileSync(path.join(files.dir, "big.csv"), `predictions\n${"1\n".repeat(100_000)}`);
  const big = await upload(alice, path.join(files.dir, "big.csv"));
  expect(big.status).toBe(400);
  expect(message(big)).toContain("The predictions CSV is 195 KB; a predictions CSV for 16 images is at most 66 KB.");
  expect(reads()).toEqual([]); // the web process never read the uploads
  expect((await t.db.submission.findMany({ orderBy: { number: "asc" } })).map((s) => s.errorCode)).toEqual(["csv_too_many_rows", "csv_too_large"]);
  expect(tmpFiles()).toEqual([]);
});

test("a good upload while the grading queue is not running is not kept and does not count; a bad one is still refused with its reason", async () => {
  const alice = await signedIn(t, "alice@example.edu");
  fs.writeFileSync(path.join(files.dir, "good.csv"), `predictions\n${labels.join("\n")}\n`);
  const good = await upload(alice, path.join(files.dir, "good.csv"));
  expect(good.status).toBe(503);
  expect(message(good)).toContain("The grading queue is not running. Your upload was not kept and does not count. Try again in a minute; if it lasts, tell your instructor.");
  expect(await t.db.submission.count()).toBe(0);
  expect(tmpFiles()).toEqual([]);
  expect((await upload(alice, path.join(files.dir, "notes.txt"))).status).toBe(400);
  expect(await t.db.submission.count()).toBe(1);
});

test("a valid predictions CSV (BOM, CRLF, an extra column) is scored from a stream in a child process, with the hand-computed metrics", async () => {
  // Class 0: 3 right, 1 taken for 1; class 1: all 4 right; class 2: 2 right, 2 taken for 0; class 3: all right.
  const predicted = [0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 0, 0, 3, 3, 3, 3];
  const csv = path.join(files.dir, "scored.csv");
  fs.writeFileSync(csv, `\uFEFFid,Predictions\r\n${predicted.map((p, i) => `${i},${p}`).join("\r\n")}\r\n\r\n`);
  const reads = readsUnder(files.dir);
  const r = await scoreModel({ model: csv, holdout: holdout.dir });
  expect(reads()).toEqual([]);
  expect(r.kind).toBe("predictions");
  expect(r.n).toBe(16);
  expect(r.accuracy).toBeCloseTo(13 / 16, 10);
  // F1 per class: 0: P 3/5, R 3/4 → 2/3; 1: P 4/5, R 1 → 8/9; 2: P 1, R 1/2 → 2/3; 3: 1.
  expect(r.perClass.map((c) => c.f1)).toEqual([2 / 3, 8 / 9, 2 / 3, 1].map((f) => expect.closeTo(f, 10)));
  expect(r.macroF1).toBeCloseTo((2 / 3 + 8 / 9 + 2 / 3 + 1) / 4, 10);
});
