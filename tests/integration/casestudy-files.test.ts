// Case-study files over HTTP: the training set, mini holdout and class list students
// download, and the misclassified holdout images a submission's page shows. Members
// of the course get them with the right content; nobody else does; and no name,
// however written, reaches a file outside the folder it should come from.
import fs from "node:fs";
import path from "node:path";
import { hashPassword } from "../../src/auth/password.js";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { DEFAULT_ZIP_LIMITS, readZip } from "../../src/grading/archive.js";
import { csrfFrom, signedIn, startTestApp, type TestApp } from "../helpers/app.js";
import { copyContent } from "../helpers/content.js";
import { expected, fixtureHoldout, tempDir } from "../helpers/grading.js";
import { until } from "../helpers/wait.js";

// Tuesday 1 Dec 2026 noon in Denver: the case study is open until Friday 23:59.
const now = new Date("2026-12-01T19:00:00Z");
const CASE = "/courses/cnn/case-studies/cnn";
const SECRET = "the hidden holdout's answers: not for students";

// Everything under one folder of the test's own: the holdout, the training set and mini
// holdout beside it, and files a climbing name would reach.
const root = tempDir("casestudy-files-");
const dirs = { holdout: path.join(root.dir, "holdout"), train: path.join(root.dir, "train"), mini: path.join(root.dir, "mini") };
const labels = expected("seq-basic").argmax;
const fixture = fixtureHoldout(labels, { repeat: 2 });
fs.cpSync(fixture.dir, dirs.holdout, { recursive: true });
fixture.remove();
fs.writeFileSync(path.join(root.dir, "secret.txt"), SECRET);
// A sibling whose name begins with the holdout folder's: "holdout" + "-private".
fs.mkdirSync(path.join(root.dir, "holdout-private"));
fs.writeFileSync(path.join(root.dir, "holdout-private", "answers.txt"), SECRET);

/** Writes `files` (relative name → bytes) under `dir`; returns them for comparing with a download. */
function writeTree(dir: string, files: Record<string, Buffer | string>): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [rel, bytes] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), bytes);
    out[rel] = Buffer.from(bytes);
  }
  return out;
}
const image = (i: number) => fs.readFileSync(path.join(dirs.holdout, `img-0-${String(i).padStart(2, "0")}.png`));
const trainFiles = writeTree(dirs.train, {
  "14/00000.png": image(0),
  "14/00001.png": image(1),
  "02/00002.png": image(2),
  "labels.csv": "filename,class_id\n14/00000.png,14\n14/00001.png,14\n02/00002.png,2\n",
});
const miniFiles = writeTree(dirs.mini, {
  "00000.png": image(4),
  "00001.png": image(5),
  "labels.csv": "filename,class_id\n00000.png,10\n00001.png,11\n",
});

const content = copyContent();
content.write("cnn/case-study.yaml", `title: Test case study
brief: case-study
opens: 2026-11-30T09:00
deadline: 2026-12-04T23:59
data: { holdoutDir: ${JSON.stringify(dirs.holdout)}, trainDir: ${JSON.stringify(dirs.train)}, miniHoldoutDir: ${JSON.stringify(dirs.mini)} }
limits: { perDay: 10, total: 20, cooldownMinutes: 0, finalSubmissions: 1, maxUploadMb: 3 }
splitSeed: test
`);

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({}, { contentDir: content.dir, clock: () => now, queue: { worker: true } });
  // Someone with an account here who is not in this course: a student of another one.
  const other = await t.db.course.create({ data: { slug: "other", title: "Another course" } });
  const outsider = await t.db.user.create({ data: { email: "olga@example.edu", name: "Olga Outsider", passwordHash: await hashPassword(DEMO_PASSWORDS.student) } });
  await t.db.membership.create({ data: { userId: outsider.id, courseId: other.id, role: "STUDENT" } });
});
afterAll(async () => {
  await t.close();
  root.remove();
  content.remove();
});

type Agent = Awaited<ReturnType<typeof signedIn>>;
const binary = (agent: Agent, url: string) => agent.get(url).buffer(true).parse((res, done) => {
  const chunks: Buffer[] = [];
  res.on("data", (c: Buffer) => chunks.push(c));
  res.on("end", () => done(null, Buffer.concat(chunks)));
});

async function unzipped(body: Buffer): Promise<Record<string, Buffer>> {
  const file = path.join(root.dir, "download.zip");
  fs.writeFileSync(file, body);
  return Object.fromEntries(await readZip(file, DEFAULT_ZIP_LIMITS));
}
const prefixed = (prefix: string, files: Record<string, Buffer>) => Object.fromEntries(Object.entries(files).map(([k, v]) => [`${prefix}/${k}`, v]));

describe("downloads", () => {
  test("a student of the course gets the training set and the mini holdout (with its answers) zipped, and the class list", async () => {
    const alice = await signedIn(t, "alice@example.edu");
    const train = await binary(alice, `${CASE}/downloads/train.zip`);
    expect(train.status).toBe(200);
    expect(train.headers["content-type"]).toBe("application/zip");
    expect(train.headers["content-disposition"]).toBe('attachment; filename="train.zip"');
    expect(await unzipped(train.body as Buffer)).toEqual(prefixed("train", trainFiles));
    const mini = await binary(alice, `${CASE}/downloads/mini-holdout.zip`);
    expect(mini.status).toBe(200);
    expect(await unzipped(mini.body as Buffer)).toEqual(prefixed("mini-holdout", miniFiles));
    const classes = await alice.get(`${CASE}/downloads/classes.csv`);
    expect(classes.status).toBe(200);
    expect(classes.text).toBe(fs.readFileSync(path.join(dirs.holdout, "classes.csv"), "utf8"));
    // A student not yet in a team may download too: the data is for the whole course.
    expect((await binary(await signedIn(t, "felix@example.edu"), `${CASE}/downloads/train.zip`)).status).toBe(200);
  });

  test("the holdout's images come without their answers, numbered in the order a predictions CSV follows, and such a CSV is scored", async () => {
    const alice = await signedIn(t, "alice@example.edu");
    const res = await binary(alice, `${CASE}/downloads/holdout-images.zip`);
    expect(res.status).toBe(200);
    expect(res.headers["content-disposition"]).toBe('attachment; filename="holdout-images.zip"');
    const files = await unzipped(res.body as Buffer);
    // The truth, read here from the holdout's own labels.csv: each row's picture and class.
    const rows = fs.readFileSync(path.join(dirs.holdout, "labels.csv"), "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
    const numbered = rows.map((_r, i) => `holdout-images/${String(i + 1).padStart(5, "0")}.png`);
    expect(Object.keys(files).sort()).toEqual(["holdout-images/images.csv", ...numbered].sort());
    expect(files["holdout-images/images.csv"]!.toString()).toBe(`filename\n${numbered.map((n) => n.split("/")[1]).join("\n")}\n`);
    rows.forEach(([name], i) => expect([name, files[numbered[i]!]!.equals(fs.readFileSync(path.join(dirs.holdout, name!)))]).toEqual([name, true]));
    // Nothing in the download names a class: no labels, no original names.
    const text = Object.values(files).map((b) => b.toString("latin1")).join("");
    expect(text).not.toContain("class_id");
    expect(text).not.toContain("img-0-");
    // A team that predicts each downloaded picture right, row by row in images.csv's order, scores 1.
    const classOf = new Map(rows.map(([name, id]) => [fs.readFileSync(path.join(dirs.holdout, name!)).toString("base64"), id!]));
    const order = files["holdout-images/images.csv"]!.toString().trim().split("\n").slice(1);
    const csv = path.join(root.dir, "from-download.csv");
    fs.writeFileSync(csv, `predictions\n${order.map((n) => classOf.get(files[`holdout-images/${n}`]!.toString("base64"))).join("\n")}\n`);
    const up = await alice.post(`${CASE}/submissions`).field("_csrf", csrfFrom((await alice.get(CASE)).text)).attach("model", csv, "predictions.csv");
    expect(up.status).toBe(303);
    const id = up.headers.location!.split("/").pop()!;
    const sub = await until(() => t.db.submission.findUniqueOrThrow({ where: { id }, include: { results: true } }), (s) => s.status === "SCORED" || s.status === "FAILED", 60_000, "the submission to be scored");
    expect([sub.status, sub.results[0]?.publicScore, sub.results[0]?.privateScore]).toEqual(["SCORED", 1, 1]);
    // The page offers the download beside the others.
    expect((await alice.get(CASE)).text).toContain(`href="${CASE}/downloads/holdout-images.zip"`);
  });

  test("the hidden holdout is no download, however it is asked for", async () => {
    const alice = await signedIn(t, "alice@example.edu");
    for (const what of ["holdout.zip", "labels.csv", "..%2Fholdout%2Flabels.csv", "..%2F..%2Fsecret.txt", "%2E%2E%2Fholdout", "train.zip%00.csv"]) {
      const res = await binary(alice, `${CASE}/downloads/${what}`);
      expect([what, res.status]).toEqual([what, 404]);
      expect((res.body as Buffer).toString("latin1")).not.toContain("filename,class_id");
    }
  });

  test("someone not in the course gets none of them; someone signed out is sent to sign in", async () => {
    const olga = await signedIn(t, "olga@example.edu");
    expect((await olga.get("/courses/other")).status).toBe(200); // signed in, in her own course
    for (const what of ["train.zip", "mini-holdout.zip", "holdout-images.zip", "classes.csv"]) {
      const refused = await binary(olga, `${CASE}/downloads/${what}`);
      expect([what, refused.status]).toEqual([what, 403]);
      expect((refused.body as Buffer).subarray(0, 2).toString("latin1")).not.toBe("PK");
      const signedOut = await t.agent().get(`${CASE}/downloads/${what}`);
      expect([what, signedOut.status, signedOut.headers.location]).toEqual([what, 303, "/login"]);
    }
  });
});

describe("misclassified images", () => {
  let id: string;
  const href = (n: number | string) => `${CASE}/submissions/${id}/misclassified/${n}`;

  beforeAll(async () => {
    // Predictions right for every image but image 3 (both copies): of its class's two
    // images the stratified public half has one, so the page shows exactly one image.
    const wrong = [...labels, ...labels].map((c, i) => (i % 16 === 3 ? (c + 1) % 43 : c));
    const csv = path.join(root.dir, "predictions.csv");
    fs.writeFileSync(csv, `predictions\n${wrong.join("\n")}\n`);
    const alice = await signedIn(t, "alice@example.edu");
    const res = await alice.post(`${CASE}/submissions`).field("_csrf", csrfFrom((await alice.get(CASE)).text)).attach("model", csv, "predictions.csv");
    expect(res.status).toBe(303);
    id = res.headers.location!.split("/").pop()!;
    const sub = await until(() => t.db.submission.findUniqueOrThrow({ where: { id } }), (s) => s.status === "SCORED" || s.status === "FAILED", 60_000, "the submission to be scored");
    expect(sub.status).toBe("SCORED");
  });

  test("the team sees its misclassified holdout image; there is no other", async () => {
    const alice = await signedIn(t, "alice@example.edu");
    const img = await binary(alice, href(0));
    expect(img.status).toBe(200);
    expect(img.headers["content-type"]).toBe("image/png");
    expect((img.body as Buffer).equals(image(3))).toBe(true); // img-0-03.png and img-1-03.png are the same picture
    for (const n of [1, -1, "x", "..%2F..%2Fsecret.txt", "0%2F..%2F..%2Fsecret.txt"]) {
      const res = await binary(alice, href(n));
      expect([n, res.status]).toEqual([n, 404]);
    }
    const olga = await signedIn(t, "olga@example.edu");
    expect((await binary(olga, href(0))).status).toBe(403);
  });

  test("a stored name that climbs out of the holdout folder, absolute or through a look-alike sibling, is refused", async () => {
    // The names come from the holdout's labels.csv, which is checked when read; were a
    // stored result ever to carry other names, the route must still refuse them.
    const result = await t.db.submissionResult.findFirstOrThrow({ where: { submissionId: id, current: true } });
    const details = result.details as { public: { misclassified: { filename: string }[] } };
    const legit = details.public.misclassified[0]!;
    const names = ["../secret.txt", path.join(root.dir, "secret.txt"), "../holdout-private/answers.txt", `img-0-03.png/../../secret.txt`, `${dirs.holdout}/../secret.txt`];
    details.public.misclassified = [legit, ...names.map((filename) => ({ ...legit, filename }))];
    await t.db.submissionResult.update({ where: { id: result.id }, data: { details } });
    const alice = await signedIn(t, "alice@example.edu");
    expect((await binary(alice, href(0))).status).toBe(200);
    for (let n = 1; n <= names.length; n++) {
      const res = await binary(alice, href(n));
      expect([names[n - 1], res.status]).toEqual([names[n - 1], 404]);
      expect((res.body as Buffer).toString("utf8")).not.toContain(SECRET);
    }
  });

  test("a file that is not there (an image gone from the holdout, an encoded name, no classes.csv) is a plain 404, not a server error", async () => {
    const result = await t.db.submissionResult.findFirstOrThrow({ where: { submissionId: id, current: true } });
    const details = result.details as { public: { misclassified: { filename: string }[] } };
    details.public.misclassified = [{ ...details.public.misclassified[0]!, filename: "..%2Fsecret.txt" }, { ...details.public.misclassified[0]!, filename: "img-9-99.png" }];
    await t.db.submissionResult.update({ where: { id: result.id }, data: { details } });
    const alice = await signedIn(t, "alice@example.edu");
    const classes = path.join(dirs.holdout, "classes.csv");
    fs.renameSync(classes, `${classes}.away`);
    try {
      const statuses = [(await binary(alice, href(0))).status, (await binary(alice, href(1))).status, (await alice.get(`${CASE}/downloads/classes.csv`)).status];
      expect(statuses).toEqual([404, 404, 404]);
    } finally {
      fs.renameSync(`${classes}.away`, classes);
    }
  });
});
