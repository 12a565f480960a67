// Case-study submissions over HTTP: upload every format, the worker scores them from
// the queue, limits, final choices, the leaderboard's visibility rules, access.
import fs from "node:fs";
import path from "node:path";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { $, csrfFrom, startTestApp, type TestApp, signedIn } from "../helpers/app.js";
import { until } from "../helpers/wait.js";
import { SubmissionsService } from "../../src/casestudy/submissions.service.js";
import { copyContent } from "../helpers/content.js";
import { expected, fixtureHoldout, kerasParts, MODELS, tempDir, tfjsModel, writeKeras, writeZip } from "../helpers/grading.js";

// Tuesday 1 Dec 2026 noon in Denver: the case study is open until Friday 23:59.
let now = new Date("2026-12-01T19:00:00Z");
const labels = expected("seq-basic").argmax;
const holdout = fixtureHoldout(labels, { repeat: 2 });
const files = tempDir();
const content = copyContent();
const CASE = "/courses/cnn/case-studies/cnn";
const caseStudyYaml = (limits: string) => `title: Test case study
brief: case-study
opens: 2026-11-30T09:00
deadline: 2026-12-04T23:59
data: { holdoutDir: ${JSON.stringify(holdout.dir)} }
limits: { ${limits} }
splitSeed: test
`;
content.write("cnn/case-study.yaml", caseStudyYaml("perDay: 4, total: 6, cooldownMinutes: 0, finalSubmissions: 1, maxUploadMb: 3"));
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({}, { contentDir: content.dir, clock: () => now, queue: { worker: true } });
});
afterAll(async () => {
  await t.close();
  for (const x of [holdout, files, content]) x.remove();
});
beforeEach(async () => {
  now = new Date("2026-12-01T19:00:00Z");
  await t.db.submission.deleteMany({});
  await t.db.caseStudy.updateMany({ data: { revealedAt: null } });
});

const as = (email: string, password?: string) => signedIn(t, email, password);
type Agent = Awaited<ReturnType<typeof as>>;

async function upload(agent: Agent, file: string, token?: string) {
  const csrf = token ?? csrfFrom((await agent.get(CASE)).text);
  return agent.post(`${CASE}/submissions`).field("_csrf", csrf).attach("model", file, path.basename(file));
}

function scored(id: string, timeoutMs = 30_000) {
  return until(() => t.db.submission.findUniqueOrThrow({ where: { id }, include: { results: true } }), (s) => s.status === "SCORED" || s.status === "FAILED", timeoutMs, `submission ${id} to be scored`);
}

const idOf = (res: { headers: Record<string, string> }) => res.headers.location!.split("/").pop()!;

test("each format uploaded over HTTP is queued, scored by the worker, and its page shows the result", async () => {
  const alice = await as("alice@example.edu");
  await tfjsModel(path.join(files.dir, "tfjs"));
  await writeZip(path.join(files.dir, "tfjs.zip"), { "model.json": fs.readFileSync(path.join(files.dir, "tfjs/model.json")), "weights.bin": fs.readFileSync(path.join(files.dir, "tfjs/weights.bin")) });
  fs.writeFileSync(path.join(files.dir, "predictions.csv"), `predictions\n${[...labels, ...labels].join("\n")}\n`);
  const uploads = [path.join(MODELS, "seq-basic.keras"), path.join(MODELS, "seq-basic.h5"), path.join(MODELS, "seq-basic.onnx"), path.join(files.dir, "predictions.csv")];
  const ids: string[] = [];
  for (const f of uploads) {
    const res = await upload(alice, f);
    expect(res.status).toBe(303);
    ids.push(idOf(res));
  }
  for (const id of ids) {
    const s = await scored(id);
    expect(s.status).toBe("SCORED");
    expect(s.results).toHaveLength(1);
    expect(s.results[0]).toMatchObject({ publicScore: 1, privateScore: 1, publicPoints: 100, accuracy: 1 });
  }
  const page = $((await alice.get(`${CASE}/submissions/${ids[0]}`)).text);
  expect(page(".score-card").text()).toContain("1.0000");
  expect(page(".score-card").text()).toContain("shown after the deadline"); // private hidden before the deadline
  expect(page("svg.confusion")).toHaveLength(1);
  expect(page("svg.bars")).toHaveLength(1);
  expect(page(".score-card").text()).toMatch(/Engine\s*ONNX Runtime \d+\.\d+\.\d+ \(CPU, \d+ threads?\)/);
  // The TF.js zip too (a fifth submission is over today's limit of 4: a new day).
  now = new Date("2026-12-02T19:00:00Z");
  const tfjs = await upload(alice, path.join(files.dir, "tfjs.zip"));
  expect(tfjs.status).toBe(303);
  expect((await scored(idOf(tfjs))).status).toBe("SCORED");
});

test("a predictions CSV with an index column, as pandas' to_csv writes it (header ',predictions'), or 'id,predictions' under a name that is not .csv, is accepted and scored", async () => {
  const alice = await as("alice@example.edu");
  const all = [...labels, ...labels];
  fs.writeFileSync(path.join(files.dir, "pandas.csv"), `,predictions\n${all.map((c, i) => `${i},${c}`).join("\n")}\n`);
  fs.writeFileSync(path.join(files.dir, "answers.txt"), `"id","predictions"\r\n${all.map((c, i) => `${i},${c}`).join("\r\n")}\r\n`);
  for (const name of ["pandas.csv", "answers.txt"]) {
    const res = await upload(alice, path.join(files.dir, name));
    expect([name, res.status]).toEqual([name, 303]);
    const s = await scored(idOf(res));
    expect([name, s.status, s.errorMessage]).toEqual([name, "SCORED", null]);
    expect(s.results[0]).toMatchObject({ publicScore: 1, privateScore: 1, accuracy: 1 });
  }
});

test("bad uploads are refused at once, before queueing; only their name, size and reason are kept", async () => {
  const ben = await as("ben@example.edu");
  const stored = () => (fs.existsSync(path.join(t.dataDir, "submissions")) ? fs.readdirSync(path.join(t.dataDir, "submissions")).length : 0);
  const before = stored();
  fs.writeFileSync(path.join(files.dir, "notes.txt"), "my model is great");
  const junk = await upload(ben, path.join(files.dir, "notes.txt"));
  expect(junk.status).toBe(400);
  expect($(junk.text)(".error-message").text()).toContain("not a model the grader knows");
  // Sent by the form without its script: the case-study page again (not an error page), the
  // reason above the form, the refusal in the team's list and counted, a fresh form to try again.
  const shown = $(junk.text);
  expect(shown("h1").text()).toBe("Test case study");
  expect(shown("#upload-refusal[role=alert]").text()).toContain("This counts as 1 of the 10 failed or refused uploads your team may have today");
  expect(shown("form[data-upload] input[type=file]").length).toBe(1);
  expect(shown("tbody tr").map((_i, tr) => shown(tr).find("td").eq(1).text() + " " + shown(tr).find("td").eq(3).text()).get()).toEqual(["notes.txt Refused (not scored)"]);
  expect(shown("#failure-budget").text()).toContain("Failed or refused: 1 of 10 today");
  await tfjsModel(path.join(files.dir, "lonely"));
  const lonely = await upload(ben, path.join(files.dir, "lonely/model.json"));
  expect($(lonely.text)(".error-message").text()).toContain("Zip it together with its .bin weight files");
  fs.writeFileSync(path.join(files.dir, "short.csv"), "predictions\n1\n2\n");
  const short = await upload(ben, path.join(files.dir, "short.csv"));
  expect($(short.text)(".error-message").text()).toContain("has 2 rows but the holdout has 32 images");
  fs.writeFileSync(path.join(files.dir, "big.keras"), Buffer.alloc(4 * 1024 * 1024, 1));
  const big = await upload(ben, path.join(files.dir, "big.keras"));
  expect(big.status).toBe(413);
  expect($(big.text)(".error-message").text()).toContain("larger than 3 MB");
  expect($(big.text)(".error-message").text()).toContain("This counts as 4 of the 10 failed or refused uploads your team may have today");
  const rows = await t.db.submission.findMany({ orderBy: { number: "asc" } });
  expect(rows.map((r) => [r.filename, r.status, r.refused, r.errorCode, r.fileRemovedAt !== null])).toEqual([
    ["notes.txt", "FAILED", true, "unknown_format", true], ["model.json", "FAILED", true, "model_json_alone", true],
    ["short.csv", "FAILED", true, "bad_csv", true], ["big.keras", "FAILED", true, "too_large", true],
  ]);
  expect(rows.map((r) => r.bytes).slice(0, 3)).toEqual([17, fs.statSync(path.join(files.dir, "lonely/model.json")).size, 16]);
  // A forged upload (no CSRF token) is refused and its temporary file removed.
  const forged = await ben.post(`${CASE}/submissions`).attach("model", path.join(MODELS, "seq-basic.keras"));
  expect(forged.status).toBe(403);
  expect(stored()).toBe(before);
  expect(fs.readdirSync(path.join(t.dataDir, "uploads-tmp"))).toEqual([]); // temporary files removed
});

test("a model that cannot run is refused at upload with its reason; one that fails while scored fails with it; neither counts against the limits", async () => {
  const parts = await kerasParts("seq-basic.keras");
  (parts.config.config as { layers: unknown[] }).layers.splice(2, 0, { module: "keras.layers", class_name: "Lambda", config: { name: "scale" }, registered_name: null });
  await writeKeras(path.join(files.dir, "lambda.keras"), parts);
  const chloe = await as("chloe@example.edu");
  const res = await upload(chloe, path.join(files.dir, "lambda.keras"));
  expect(res.status).toBe(400);
  expect($(res.text)(".error-message").text()).toContain("Lambda layer (scale)");
  expect(await t.db.submission.count({ where: { refused: false } })).toBe(0);
  const refused = $((await chloe.get(`${CASE}/submissions/${(await t.db.submission.findFirstOrThrow({})).id}`)).text);
  expect(refused("[role=alert]").text()).toContain("This upload was refused when it arrived.");
  expect(refused("[role=alert]").text()).toContain("Its file was not kept.");

  // Weights that diverged (NaN) load fine and fail only when the model runs: FAILED with the reason.
  await tfjsModel(path.join(files.dir, "nan"), { nan: true });
  await writeZip(path.join(files.dir, "nan.zip"), { "model.json": fs.readFileSync(path.join(files.dir, "nan/model.json")), "weights.bin": fs.readFileSync(path.join(files.dir, "nan/weights.bin")) });
  const s = await scored(idOf(await upload(chloe, path.join(files.dir, "nan.zip"))));
  expect(s.status).toBe("FAILED");
  expect(s.errorCode).toBe("nan_output");
  const page = $((await chloe.get(`${CASE}/submissions/${s.id}`)).text);
  expect(page("[role=alert]").text()).toContain("not a number");
  expect(page("[role=alert]").text()).toContain("does not use up one of your team's submissions, but it counts towards the 10 failed or refused uploads");
  expect(page("[role=alert]").text()).toContain("Its file is kept until Tue 8 Dec 2026");
  const cs = $((await chloe.get(CASE)).text);
  expect(cs("dl.facts").text()).toContain("Used: 0 today");
  expect(cs("#failure-budget").text()).toContain("Failed or refused: 2 of 10 today");
});

test("limits: per day (with the reset time), in total, and the cooldown; two uploads at once cannot both slip under a limit", async () => {
  const dev = await as("dev@example.edu");
  const keras = path.join(MODELS, "seq-basic.keras");
  const token = csrfFrom((await dev.get(CASE)).text);
  const burst = await Promise.all(Array.from({ length: 6 }, () => upload(dev, keras, token)));
  expect(burst.filter((r) => r.status === 303)).toHaveLength(4);
  const refused = burst.find((r) => r.status === 429)!;
  expect($(refused.text)(".error-message").text()).toMatch(/used today's 4 submissions; more from Wed 2 Dec, 00:00/);
  expect(await t.db.submission.count({ where: { team: { name: "Yield Ahead" } } })).toBe(4);
  now = new Date("2026-12-02T19:00:00Z");
  expect((await upload(dev, keras)).status).toBe(303);
  expect((await upload(dev, keras)).status).toBe(303);
  const total = await upload(dev, keras);
  expect(total.status).toBe(429);
  expect($(total.text)(".error-message").text()).toContain("used all 6 submissions");
  // Cooldown: a 30-minute pause.
  await t.db.caseStudy.updateMany({ data: { settings: { ...(await settings()), limits: { perDay: 4, total: 6, cooldownMinutes: 30, finalSubmissions: 1, maxUploadMb: 3 } } } });
  const alice = await as("alice@example.edu");
  expect((await upload(alice, keras)).status).toBe(303);
  const wait = await upload(alice, keras);
  expect(wait.status).toBe(429);
  expect($(wait.text)(".error-message").text()).toMatch(/Please wait until 12:30:\d\d/);
  now = new Date("2026-12-02T19:31:00Z");
  expect((await upload(alice, keras)).status).toBe(303);
  await t.db.caseStudy.updateMany({ data: { settings: { ...(await settings()), limits: { perDay: 4, total: 6, cooldownMinutes: 0, finalSubmissions: 1, maxUploadMb: 3 } } } });
  // After the deadline nothing is accepted.
  now = new Date("2026-12-05T08:00:00Z");
  expect((await upload(alice, keras)).status).toBe(429);
});

async function settings() {
  return (await t.db.caseStudy.findFirstOrThrow({})).settings as Record<string, unknown>;
}

test("final submissions: scored ones only, at most the allowed number, changeable only before the deadline", async () => {
  const alice = await as("alice@example.edu");
  const a = idOf(await upload(alice, path.join(MODELS, "seq-basic.keras")));
  const b = idOf(await upload(alice, path.join(MODELS, "seq-basic.onnx")));
  await scored(a);
  await scored(b);
  const mark = async (id: string, final: "1" | "0") => alice.post(`${CASE}/submissions/${id}/final`).type("form").send({ _csrf: csrfFrom((await alice.get(CASE)).text), final });
  expect((await mark(a, "1")).status).toBe(303);
  const second = await mark(b, "1");
  expect(second.status).toBe(403);
  expect($(second.text)(".error-message").text()).toContain("at most 1 final submissions");
  expect((await mark(a, "0")).status).toBe(303);
  expect((await mark(b, "1")).status).toBe(303);
  now = new Date("2026-12-05T08:00:00Z");
  expect((await mark(b, "0")).status).toBe(403);
});

test("the leaderboard: public scores before the deadline and never private ones; private after the deadline or when revealed", async () => {
  const alice = await as("alice@example.edu");
  const dev = await as("dev@example.edu");
  fs.writeFileSync(path.join(files.dir, "half.csv"), `predictions\n${[...labels, ...labels].map((c, i) => (i % 2 ? c : (c + 1) % 43)).join("\n")}\n`);
  await scored(idOf(await upload(alice, path.join(MODELS, "seq-basic.keras"))));
  const half = await scored(idOf(await upload(dev, path.join(files.dir, "half.csv"))));
  const privateScore = half.results[0]!.privateScore.toFixed(4);
  const before = $((await dev.get(`${CASE}/leaderboard`)).text);
  expect(before("tbody tr").first().text()).toContain("Stop Signs");
  expect(before("thead").text()).toContain("Best public macro-F1");
  expect(before("thead th").map((_i, e) => before(e).text()).get()).toEqual(["Rank", "Team", "Best public macro-F1", "Points", "Submissions", "Last submission"]);
  // The student's own submission page does not show the private score either.
  expect($((await dev.get(`${CASE}/submissions/${half.id}`)).text)(".score-card").text()).not.toContain(`Private macro-F1`);
  // An instructor reveals; then everyone sees private scores.
  const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
  const lb = await instructor.get(`${CASE}/leaderboard`);
  expect((await instructor.post(`${CASE}/reveal`).type("form").send({ _csrf: csrfFrom(lb.text), reveal: "1" })).status).toBe(303);
  expect($((await dev.get(`${CASE}/leaderboard`)).text)("thead").text()).toContain("Private macro-F1");
  expect((await dev.post(`${CASE}/reveal`).type("form").send({ _csrf: csrfFrom(lb.text), reveal: "0" })).status).toBe(403);
  await t.db.caseStudy.updateMany({ data: { revealedAt: null } });
  now = new Date("2026-12-05T08:00:00Z");
  const after = $((await dev.get(`${CASE}/leaderboard`)).text);
  expect(after("tbody").text()).toContain(privateScore);
});

test("an upload received before the deadline counts even when its check ends after it: judged, and dated, when its file arrived", async () => {
  // The deadline: Friday 4 Dec 23:59 in Denver = Saturday 06:59 UTC. The file arrived 20 s before it; the
  // uploads ahead of it in the check queue took a minute, so it is recorded 40 s after the deadline.
  const receivedAt = new Date("2026-12-05T06:58:40Z");
  const service = new SubmissionsService({ db: t.db, clock: () => new Date("2026-12-05T06:59:40Z"), dataDir: t.dataDir });
  const cs = await t.db.caseStudy.findFirstOrThrow({});
  const team = await t.db.team.findFirstOrThrow({ where: { name: "Yield Ahead" } });
  const dev = await t.db.user.findFirstOrThrow({ where: { email: "dev@example.edu" } });
  const file = (name: string) => { const f = path.join(files.dir, name); fs.copyFileSync(path.join(MODELS, "seq-basic.keras"), f); return f; };
  const sub = await service.create(cs, team, dev.id, { tempFile: file("on-time.keras"), filename: "on-time.keras", bytes: 1, receivedAt }, "America/Denver");
  expect(sub).toMatchObject({ status: "QUEUED", createdAt: receivedAt });
  // A file that arrived after the deadline is refused, and nothing is kept.
  const late = file("late.keras");
  await expect(service.create(cs, team, dev.id, { tempFile: late, filename: "late.keras", bytes: 1, receivedAt: new Date("2026-12-05T06:59:01Z") }, "America/Denver")).rejects.toThrow("The deadline has passed");
  expect(await t.db.submission.count({ where: { teamId: team.id } })).toBe(1);
});

test("the staff's list shows the newest 500 submissions and says how many there are; a team's filter reaches the others", async () => {
  const cs = await t.db.caseStudy.findFirstOrThrow({});
  const yield_ = await t.db.team.findFirstOrThrow({ where: { name: "Yield Ahead" } });
  const stop = await t.db.team.findFirstOrThrow({ where: { name: "Stop Signs" } });
  const dev = await t.db.user.findFirstOrThrow({ where: { email: "dev@example.edu" } });
  const alice = await t.db.user.findFirstOrThrow({ where: { email: "alice@example.edu" } });
  // Stop Signs' one submission is the oldest; Yield Ahead's 501 come after it.
  const row = (teamId: string, userId: string, number: number, minutes: number) => ({ caseStudyId: cs.id, teamId, userId, number, filename: "m.keras", storedPath: "/nowhere", bytes: 1, status: "FAILED" as const, createdAt: new Date(now.getTime() - 600_000 + minutes * 1000) });
  await t.db.submission.createMany({ data: [row(stop.id, alice.id, 1, 0), ...Array.from({ length: 501 }, (_, i) => row(yield_.id, dev.id, i + 1, i + 1))] });
  const grader = await as("grader@example.edu", DEMO_PASSWORDS.grader);
  const all = $((await grader.get(`${CASE}/submissions`)).text);
  expect(all("tbody tr")).toHaveLength(500);
  expect(all("p.callout[role=status]").text()).toBe("The newest 500 of 502 submissions are listed. Choose a team or a status above to see the others.");
  expect(all("tbody").text()).not.toContain("Stop Signs");
  const team = $((await grader.get(`${CASE}/submissions?team=${stop.id}`)).text);
  expect(team("tbody tr td:first-child").map((_i, td) => team(td).text()).get()).toEqual(["Stop Signs"]);
  expect(team("p.callout[role=status]")).toHaveLength(0);
});

test("a student cannot see another team's submission, its status, its images or its file; staff can", async () => {
  const alice = await as("alice@example.edu");
  const id = idOf(await upload(alice, path.join(MODELS, "seq-basic.keras")));
  await scored(id);
  const dev = await as("dev@example.edu");
  for (const p of ["", "/status", "/misclassified/0", "/download"]) expect((await dev.get(`${CASE}/submissions/${id}${p}`)).status).toBe(403);
  const felix = await as("felix@example.edu"); // no team
  expect((await felix.get(`${CASE}/submissions/${id}`)).status).toBe(403);
  const noTeam = await upload(felix, path.join(MODELS, "seq-basic.keras"));
  expect(noTeam.status).toBe(403);
  // The case-study page (again, after that upload) tells a student with no team what to do, and
  // lists no "team's submissions" they do not have.
  for (const html of [(await felix.get(CASE)).text, noTeam.text]) {
    const page = $(html);
    expect(page(".callout").text()).toContain("You are not in a team yet. Submissions are per team: ask your instructor to place you in one.");
    expect(page("h2").map((_i, h) => page(h).text()).get()).not.toContain("Your team's submissions");
    expect(page("form[data-upload]").length).toBe(0);
  }
  expect((await alice.get(`${CASE}/submissions/${id}/download`)).status).toBe(403); // files are for staff
  expect((await alice.get(`${CASE}/submissions`)).status).toBe(403);
  const grader = await as("grader@example.edu", DEMO_PASSWORDS.grader);
  expect((await grader.get(`${CASE}/submissions/${id}`)).status).toBe(200);
  const dl = await grader.get(`${CASE}/submissions/${id}/download`);
  expect(dl.status).toBe(200);
  expect(Buffer.from(dl.body as Buffer).length).toBe(fs.statSync(path.join(MODELS, "seq-basic.keras")).size);
});

test("staff: list with filters, override with a required reason (audit trail), CSV export, rescore keeps old results", async () => {
  const alice = await as("alice@example.edu");
  const id = idOf(await upload(alice, path.join(MODELS, "seq-basic.keras")));
  await scored(id);
  const grader = await as("grader@example.edu", DEMO_PASSWORDS.grader);
  const list = $((await grader.get(`${CASE}/submissions?status=SCORED`)).text);
  expect(list("tbody tr")).toHaveLength(1);
  expect($((await grader.get(`${CASE}/submissions?status=FAILED`)).text)("tbody").text()).toContain("No submissions with this status");
  // A refused upload is listed (and filtered) as "Refused", not among the ones that failed while scored.
  fs.writeFileSync(path.join(files.dir, "notes.txt"), "my model is great");
  expect((await upload(alice, path.join(files.dir, "notes.txt"))).status).toBe(400);
  const rowsOf = async (q: string) => {
    const p = $((await grader.get(`${CASE}/submissions${q}`)).text);
    return p("tbody tr").map((_i, tr) => p(tr).text().replace(/\s+/g, " ").trim()).get();
  };
  const refused = await rowsOf("?status=REFUSED");
  expect(refused).toHaveLength(1);
  expect(refused[0]).toContain("Alice Nguyen");
  expect(refused[0]).toContain("Refused (unknown_format) · file not kept");
  expect((await rowsOf("?status=FAILED")).join()).toContain("No submissions with this status");
  expect(await rowsOf("")).toHaveLength(2);
  const filter = $((await grader.get(`${CASE}/submissions?status=REFUSED`)).text);
  expect(filter("select[name=status] option[selected]").text()).toBe("Refused");
  const page = await grader.get(`${CASE}/submissions/${id}`);
  const noReason = await grader.post(`${CASE}/submissions/${id}/override`).type("form").send({ _csrf: csrfFrom(page.text), points: "80", reason: "" });
  expect(noReason.status).toBe(400);
  // The form previews the team's points first (100 scored → 80); only the preview's save button saves.
  const preview = $((await grader.post(`${CASE}/submissions/${id}/override`).type("form").send({ _csrf: csrfFrom(page.text), points: "80", reason: "Late penalty agreed with the team" })).text);
  expect(preview("#override-preview").text().replace(/\s+/g, " ")).toContain("Team points: 100 → 80");
  expect(preview("#override-preview li").first().text()).toMatch(/^Submission #\d+: 100 points → 80 points$/);
  expect(await t.db.pointsOverride.count()).toBe(0);
  const confirm = Object.fromEntries(preview("#override-preview form input").map((_i, e) => [[preview(e).attr("name"), preview(e).val()]]).get() as [string, string][]);
  expect((await grader.post(`${CASE}/submissions/${id}/override`).type("form").send(confirm)).status).toBe(303);
  const audited = $((await grader.get(`${CASE}/submissions/${id}`)).text);
  expect(audited("section.card li").text()).toContain("Gus Grader");
  expect(audited("section.card li").text()).toContain("Late penalty agreed");
  // The grading view shows the override with its effect: scored private points → set points.
  const scoredPoints = (await t.db.submissionResult.findFirstOrThrow({ where: { submissionId: id, current: true } })).privatePoints;
  expect($((await grader.get("/courses/cnn/grading")).text)("#ov-h").parent().text()).toContain(`${scoredPoints} → 80 points by Gus Grader — “Late penalty agreed with the team”`);
  const csv = (await grader.get(`${CASE}/grades.csv`)).text;
  expect(csv.split("\n")[0]).toBe("\ufeffemail,name,team,points,private_score,public_score,submissions,overridden");
  expect(csv).toContain('"alice@example.edu","Alice Nguyen","Stop Signs","80","1","1","1","yes"');
  // A team name that would start a spreadsheet formula is exported as text.
  await t.db.team.updateMany({ where: { name: "Stop Signs" }, data: { name: "-2+3" } });
  expect((await grader.get(`${CASE}/grades.csv`)).text).toContain(`"alice@example.edu","Alice Nguyen","'-2+3","80"`);
  await t.db.team.updateMany({ where: { name: "-2+3" }, data: { name: "Stop Signs" } });
  // A new rule version: rescoring all (confirmed) adds a result and keeps the old one.
  await t.db.caseStudy.updateMany({ data: { holdoutVersion: "v2-test" } });
  const staff = await grader.get(`${CASE}/rescore`);
  expect((await grader.post(`${CASE}/rescore`).type("form").send(formFields($(staff.text), ".confirm form"))).status).toBe(303);
  await until(() => t.db.submissionResult.count({ where: { submissionId: id } }), (n) => n >= 2, 30_000, "the rescore's result");
  const results = await t.db.submissionResult.findMany({ where: { submissionId: id }, orderBy: { createdAt: "asc" } });
  expect(results.map((r) => [r.holdoutVersion === "v2-test", r.current])).toEqual([[false, false], [true, true]]);
  await t.db.caseStudy.updateMany({ data: { holdoutVersion: results[0]!.holdoutVersion } });
});

/** The fields a form would post, as the page filled them in. */
function formFields(page: ReturnType<typeof $>, form: string): Record<string, string> {
  return Object.fromEntries(page(`${form} input`).map((_i, e) => [[page(e).attr("name"), page(e).val()]]).get() as [string, string][]);
}
const flashes = (html: string) => $(html)(".flash").text();

test("'Rescore this submission' scores that submission again though it has a current result: a new result, the old one kept; a double submit queues it once", async () => {
  const alice = await as("alice@example.edu");
  const id = idOf(await upload(alice, path.join(MODELS, "seq-basic.keras")));
  const first = await scored(id);
  expect(first.results).toHaveLength(1);
  const grader = await as("grader@example.edu", DEMO_PASSWORDS.grader);
  const page = $((await grader.get(`${CASE}/submissions/${id}`)).text);
  const button = page("#staff-tools form").filter((_i, f) => page(f).text().includes("Rescore this submission"));
  expect(button).toHaveLength(1);
  const action = button.attr("action")!;
  const fields = formFields(page, `#staff-tools form[action="${action}"]`);
  // Two clicks at once: one rescore.
  const [a, b] = await Promise.all([grader.post(action).type("form").send(fields), grader.post(action).type("form").send(fields)]);
  expect([a.status, b.status]).toEqual([303, 303]);
  expect(a.headers.location).toBe(`${CASE}/submissions/${id}`);
  const shown = flashes((await grader.get(`${CASE}/submissions/${id}`)).text);
  expect(shown).toContain("Submission #1 queued for rescoring");
  await until(() => t.db.submissionResult.findMany({ where: { submissionId: id }, orderBy: { createdAt: "asc" } }), (r) => r.length >= 2 && r.some((x) => x.current && x.id !== first.results[0]!.id), 30_000, "the rescore's result");
  await scored(id);
  const results = await t.db.submissionResult.findMany({ where: { submissionId: id }, orderBy: { createdAt: "asc" } });
  // The same holdout and rule: the first result kept as history, the new one current, and only one new one.
  expect(results.map((r) => [r.id === first.results[0]!.id, r.holdoutVersion === first.results[0]!.holdoutVersion, r.current])).toEqual([[true, true, false], [false, true, true]]);
  expect(await t.db.submission.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "SCORED", scoringRound: 1 }); // queued once
  // Students cannot.
  expect((await alice.post(action).type("form").send({ _csrf: csrfFrom((await alice.get(`${CASE}/submissions/${id}`)).text) })).status).toBe(403);
});

test("a submission being rescored keeps its current points until the new result arrives", async () => {
  const alice = await as("alice@example.edu");
  const id = idOf(await upload(alice, path.join(MODELS, "seq-basic.keras")));
  await scored(id);
  // As a rescore leaves it before the worker takes it: queued again, its current result still there.
  await t.db.submission.update({ where: { id }, data: { status: "QUEUED" } });
  const page = $((await alice.get(CASE)).text);
  expect(page("#team-points").text().replace(/\s+/g, " ")).toContain("points on the public half so far: 100 of 100, from submission #1");
  // Staff see why it cannot be rescored now, in the words of its status: waiting, then being scored.
  const grader = await as("grader@example.edu", DEMO_PASSWORDS.grader);
  const busy = async () => $((await grader.get(`${CASE}/submissions/${id}`)).text)("[data-rescore-busy]").text();
  expect(await busy()).toBe("Waiting to be scored: it can be rescored once that run ends.");
  await t.db.submission.update({ where: { id }, data: { status: "RUNNING" } });
  expect(await busy()).toBe("Being scored now: it can be rescored once this run ends.");
  await t.db.submission.update({ where: { id }, data: { status: "SCORED" } });
  expect(await busy()).toBe("");
});

test("the override form given 'forty' (or too many points) is shown again with what was typed and the message beside the field", async () => {
  const alice = await as("alice@example.edu");
  const id = idOf(await upload(alice, path.join(MODELS, "seq-basic.keras")));
  await scored(id);
  const grader = await as("grader@example.edu", DEMO_PASSWORDS.grader);
  const csrf = csrfFrom((await grader.get(`${CASE}/submissions/${id}`)).text);
  const reason = "The team asked for a review of the late model";
  const bad = await grader.post(`${CASE}/submissions/${id}/override`).type("form").send({ _csrf: csrf, points: "forty", reason });
  expect(bad.status).toBe(400);
  const page = $(bad.text);
  expect(page("h1").text()).toContain("Submission 1");
  const points = page("#staff-tools input[name=points]");
  expect(points.val()).toBe("forty");
  expect(points.attr("aria-invalid")).toBe("true");
  expect(page(`#${points.attr("aria-describedby")}`).text()).toContain("Points must be a number from 0 to 100");
  expect(page("#staff-tools input[name=reason]").val()).toBe(reason);
  expect(page("#staff-tools input[name=reason]").attr("aria-invalid")).toBeUndefined();
  // Over the maximum, and a reason too short: each message beside its own field.
  const both = $((await grader.post(`${CASE}/submissions/${id}/override`).type("form").send({ _csrf: csrf, points: "250", reason: "no" })).text);
  expect(both(`#${both("input[name=points]").attr("aria-describedby")}`).text()).toContain("at most 100");
  expect(both("input[name=points]").val()).toBe("250");
  expect(both(`#${both("input[name=reason]").attr("aria-describedby")}`).text()).toContain("at least a few words");
  expect(both("input[name=reason]").val()).toBe("no");
  expect(await t.db.pointsOverride.count({ where: { submissionId: id } })).toBe(0);
  // A decimal comma, as a quiz mark takes it: 72,5 is 72.5 (previewed, not refused).
  const comma = await grader.post(`${CASE}/submissions/${id}/override`).type("form").send({ _csrf: csrf, points: "72,5", reason });
  expect(comma.status).toBe(200);
  expect($(comma.text)("#override-preview").text().replace(/\s+/g, " ")).toContain("→ 72.5");
});

test("staff tools sit in a panel before the score and metrics; students never see it", async () => {
  const alice = await as("alice@example.edu");
  const id = idOf(await upload(alice, path.join(MODELS, "seq-basic.keras")));
  await scored(id);
  const grader = await as("grader@example.edu", DEMO_PASSWORDS.grader);
  const html = (await grader.get(`${CASE}/submissions/${id}`)).text;
  const page = $(html);
  const panel = page("#staff-tools");
  expect(panel.find("h2").text()).toBe("Staff tools");
  expect(panel.find(`a[href$="/submissions/${id}/download"]`)).toHaveLength(1);
  expect(panel.find(`form[action$="/submissions/${id}/override"]`)).toHaveLength(1);
  expect(panel.find(`form[action$="/submissions/${id}/rescore"]`)).toHaveLength(1);
  expect(html.indexOf('id="staff-tools"')).toBeGreaterThan(0);
  expect(html.indexOf('id="staff-tools"')).toBeLessThan(html.indexOf('id="score-h"'));
  expect(html.indexOf('id="staff-tools"')).toBeLessThan(html.indexOf("<h2>Per class (public half)</h2>"));
  // The override's preview still shows the team's points before → after, in the panel.
  const preview = $((await grader.post(`${CASE}/submissions/${id}/override`).type("form").send({ _csrf: csrfFrom(html), points: "80", reason: "Late penalty agreed with the team" })).text);
  expect(preview("#staff-tools #override-preview").text().replace(/\s+/g, " ")).toContain("Team points: 100 → 80");
  const mine = (await alice.get(`${CASE}/submissions/${id}`)).text;
  expect(mine).toContain('id="score-h"');
  expect($(mine)("#staff-tools")).toHaveLength(0);
  expect(mine).not.toContain("Staff tools");
  expect(mine).not.toContain("/override");
  expect(mine).not.toContain("/rescore");
});

test("'Rescore everything' asks first, with the counts, holdout and rule; a POST without the confirmation rescores nothing", async () => {
  const alice = await as("alice@example.edu");
  const id = idOf(await upload(alice, path.join(MODELS, "seq-basic.keras")));
  await scored(id);
  const original = (await t.db.caseStudy.findFirstOrThrow({})).holdoutVersion;
  await t.db.caseStudy.updateMany({ data: { holdoutVersion: "v3-test" } });
  try {
    const grader = await as("grader@example.edu", DEMO_PASSWORDS.grader);
    const listHtml = (await grader.get(`${CASE}/submissions`)).text;
    const list = $(listHtml);
    expect(list(`form[action="${CASE}/rescore"]`)).toHaveLength(0); // no one-click form
    expect(list(`a[href="${CASE}/rescore"]`).text()).toContain("Rescore everything");
    // A direct POST (no confirm=1) acts not: it shows the confirmation.
    const direct = await grader.post(`${CASE}/rescore`).type("form").send({ _csrf: csrfFrom(listHtml) });
    expect(direct.status).toBe(200);
    expect((await t.db.submission.findUniqueOrThrow({ where: { id } })).status).toBe("SCORED");
    const page = $(direct.text);
    expect(page("h1").text()).toBe("Rescore 1 submission of 1 team?");
    const text = page(".confirm").text().replace(/\s+/g, " ");
    expect(text).toContain("1 submission of 1 team have no result under holdout version v3-test and the rule “macro-F1 scaled linearly from");
    expect(text).toContain("1 of them is scored now: their current points change when the new results arrive");
    expect(text).toContain("submitted files are kept");
    expect(page(".confirm a.button").attr("href")).toBe(`${CASE}/submissions`); // Cancel
    const go = await grader.post(`${CASE}/rescore`).type("form").send(formFields(page, ".confirm form"));
    expect(go.status).toBe(303);
    await until(() => t.db.submissionResult.count({ where: { submissionId: id, holdoutVersion: "v3-test" } }), (n) => n === 1, 30_000, "the rescore's result");
    // Nothing left: the page says so and offers no Confirm.
    const none = $((await grader.get(`${CASE}/rescore`)).text);
    expect(none("h1").text()).toBe("Nothing to rescore");
    expect(none(".confirm form")).toHaveLength(0);
    expect((await alice.get(`${CASE}/rescore`)).status).toBe(403);
  } finally {
    await t.db.caseStudy.updateMany({ data: { holdoutVersion: original } });
  }
});
