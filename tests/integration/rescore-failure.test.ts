// A staff rescore of a scored submission that does not finish (the model is now refused, the grader
// fails) leaves it scored: its result keeps counting, its file is kept, and the page says what happened.
import fs from "node:fs";
import path from "node:path";
import { pino } from "pino";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { sweepFailedUploads } from "../../src/casestudy/retention.js";
import { scoreSubmission } from "../../src/casestudy/scoring.job.js";
import { $, csrfFrom, signedIn, startTestApp, type TestApp } from "../helpers/app.js";
import { copyContent } from "../helpers/content.js";
import { expected, fixtureHoldout, MODELS } from "../helpers/grading.js";

const holdout = fixtureHoldout(expected("seq-basic").argmax);
const content = copyContent();
content.write("cnn/case-study.yaml", `title: Rescue\ndeadline: 2031-03-20T23:59\ndata: { holdoutDir: ${JSON.stringify(holdout.dir)} }\nlimits: { cooldownMinutes: 0 }\n`);
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({}, { contentDir: content.dir, queue: {} });
});
afterAll(async () => {
  await t.close();
  holdout.remove();
  content.remove();
});

test("a rescore that is refused keeps the scored result, its points and its file, and says so", async () => {
  const deps = { db: t.db, databaseUrl: t.url, dataDir: t.dataDir, logger: pino({ level: "silent" }) };
  const alice = await signedIn(t, "alice@example.edu", DEMO_PASSWORDS.student);
  const page = await alice.get("/courses/cnn/case-studies/cnn");
  const up = await alice.post("/courses/cnn/case-studies/cnn/submissions").field("_csrf", csrfFrom(page.text)).attach("model", path.join(MODELS, "seq-basic.keras"));
  expect(up.status).toBe(303);
  const id = up.headers.location!.split("/").pop()!;
  await scoreSubmission(deps, id);
  const scored = await t.db.submission.findUniqueOrThrow({ where: { id }, include: { results: true } });
  expect(scored.status).toBe("SCORED");
  expect(scored.results.map((r) => r.accuracy)).toEqual([1]); // the holdout is labelled with Keras's own argmax

  // The stored model no longer loads (as after a stricter check), and staff rescore it.
  fs.writeFileSync(scored.storedPath, "no longer a model");
  const grader = await signedIn(t, "grader@example.edu", DEMO_PASSWORDS.grader);
  const subPage = await grader.get(`/courses/cnn/case-studies/cnn/submissions/${id}`);
  expect((await grader.post(`/courses/cnn/case-studies/cnn/submissions/${id}/rescore`).type("form").send({ _csrf: csrfFrom(subPage.text) })).status).toBe(303);
  await scoreSubmission(deps, id);

  const after = await t.db.submission.findUniqueOrThrow({ where: { id }, include: { results: true } });
  expect(after.status).toBe("SCORED");
  expect(after.errorCode).toMatch(/^rescore_/);
  expect(after.results.filter((r) => r.current).map((r) => r.accuracy)).toEqual([1]);
  const shown = $((await grader.get(`/courses/cnn/case-studies/cnn/submissions/${id}`)).text);
  expect(shown("p.notice").text()).toContain("The last rescore did not finish");
  expect(shown("p.notice").text()).toContain("The result below still counts.");
  // Its points still count for the team.
  const team = $((await alice.get("/courses/cnn/case-studies/cnn")).text);
  expect(team("main").text()).not.toContain("no scored submission yet");

  // However old, a file that was ever scored is never swept, even if its row reads as failed.
  await t.db.submission.update({ where: { id }, data: { status: "FAILED", finishedAt: new Date("2020-01-01T00:00:00Z") } });
  expect(await sweepFailedUploads({ db: t.db, dataDir: t.dataDir }, { now: new Date("2031-01-01T00:00:00Z"), retentionDays: 7 })).toEqual([]);
  expect(fs.existsSync(after.storedPath)).toBe(true);
});

test("an upload whose scoring job cannot be queued (the queue's database connection is gone) is not kept and does not count", async () => {
  await t.db.submission.deleteMany({});
  const stored = () => fs.readdirSync(path.join(t.dataDir, "submissions"));
  const before = stored();
  await t.boss!.stop({ graceful: false, wait: true, timeout: 2000 }); // the queue object is still there; sending a job fails
  const alice = await signedIn(t, "alice@example.edu", DEMO_PASSWORDS.student);
  const page = await alice.get("/courses/cnn/case-studies/cnn");
  const up = await alice.post("/courses/cnn/case-studies/cnn/submissions").field("_csrf", csrfFrom(page.text)).attach("model", path.join(MODELS, "seq-basic.keras"));
  expect(up.status).toBe(503);
  expect($(up.text)(".error-message").text()).toContain("Your upload could not be queued for scoring, so it was not kept and does not count. Try again in a minute");
  expect(await t.db.submission.count()).toBe(0);
  expect(stored()).toEqual(before);
});
