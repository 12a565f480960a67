// Issue 13, item 1: the hidden holdout could be recomputed from the repository (its
// labels came from the public seed alone: 12,630 labels in a second, uploaded as a
// predictions CSV for full marks). Now each installation draws its holdout from a
// random secret of its own, made at first start and kept in DATA_DIR (owner-only),
// while the training set and mini holdout stay public: the same for everyone.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pino } from "pino";
import { dataPaths, dataReady, holdoutVersion, prepareData, stopDataPreparation } from "../../src/casestudy/casestudy.data.js";
import { generateDataset } from "../../src/grading/dataset/generator.js";
import { SIGN_CLASSES } from "../../src/grading/dataset/signs.js";
import { SeededRandom } from "../../src/platform/random.js";
import { syncContent } from "../../src/content/content.sync.js";
import { $, QUIZ_DIR, signedIn, startTestApp } from "../helpers/app.js";
import { copyContent } from "../helpers/content.js";
import { tempDir } from "../helpers/grading.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const dir = tempDir("holdout-secret-");
afterAll(() => {
  stopDataPreparation();
  dir.remove();
});

// The demo's public seed, at a small size: 43 training images, a 129-image mini holdout, a 430-image holdout.
const SIZES = { seed: 2026, trainPerClass: 1, miniHoldout: 129, holdout: 430 };
const settings = { data: { generate: SIZES }, points: { metric: "macroF1", zeroAt: 0.79, fullAt: 0.91, max: 100 } } as never;
const logger = pino({ level: "silent" });
const install = (name: string) => path.join(dir.dir, name);

/**
 * The attack of the audit, written from the generator's published algorithm with nothing
 * but the repository: the class plan of a part, drawn from SeededRandom(`seed:part:plan`):
 * 43 weights in [0.4, 1.6), `min` of each class, the rest drawn by weight, shuffled.
 */
function publicPlan(seed: number, part: string, total: number, min: number): number[] {
  const r = new SeededRandom(`${seed}:${part}:plan`);
  const k = SIGN_CLASSES.length;
  const weights = SIGN_CLASSES.map(() => r.float(0.4, 1.6));
  const sum = weights.reduce((a, b) => a + b, 0);
  const plan: number[] = [];
  for (let c = 0; c < k; c++) for (let i = 0; i < Math.min(min, Math.floor(total / k)); i++) plan.push(c);
  while (plan.length < total) {
    let x = r.float(0, sum);
    let c = 0;
    while (c < k - 1 && (x -= weights[c]!) > 0) c++;
    plan.push(c);
  }
  return r.shuffle(plan);
}

/** A part's labels, image by image (labels.csv lists them in drawing order). */
function labels(folder: string): number[] {
  return fs.readFileSync(path.join(folder, "labels.csv"), "utf8").trim().split("\n").slice(1).map((l) => Number(l.split(",")[1]));
}
const agreement = (a: number[], b: number[]) => {
  expect(a).toHaveLength(b.length);
  return a.filter((x, i) => x === b[i]).length / a.length;
};
/** Every file under `folder`, relative name → bytes. */
function files(folder: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const rel of fs.readdirSync(folder, { recursive: true }) as string[]) {
    const full = path.join(folder, rel);
    if (fs.statSync(full).isFile()) out.set(rel, fs.readFileSync(full));
  }
  return out;
}

/** Runs `code` (an ES module body) in a fresh Node process, as a restarted server or a worker would; returns its stdout. */
function inProcess(code: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NODE_OPTIONS: "" } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (c) => (c === 0 ? resolve(out) : reject(new Error(`exit ${c}: ${err}`))));
  });
}
const dataModule = JSON.stringify(path.join(ROOT, "src/casestudy/casestudy.data.ts"));
const pathsIn = (dataDir: string) => `
  import { dataPaths, holdoutVersion } from ${dataModule};
  const s = ${JSON.stringify({ data: { generate: SIZES }, points: { metric: "macroF1", zeroAt: 0.79, fullAt: 0.91, max: 100 } })};
  const p = dataPaths(s, ${JSON.stringify(dataDir)});
  console.log(JSON.stringify({ root: p.root, version: holdoutVersion(s, p) }));`;

test("the holdout secret is made at first start: 256 random bits, owner-only, created once however many processes start together", async () => {
  const a = install("racing");
  // Four processes (a web process and workers) starting at once on one empty DATA_DIR.
  const seen = await Promise.all([1, 2, 3, 4].map(() => inProcess(pathsIn(a))));
  const file = path.join(a, "holdout-secret");
  const secret = fs.readFileSync(file, "utf8").trim();
  expect(secret).toMatch(/^[0-9a-f]{64}$/);
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  expect(new Set(seen).size).toBe(1); // one secret, so one dataset folder and holdout version for all
  expect(fs.readdirSync(a)).toEqual(["holdout-secret"]); // nothing half-written left beside it
  // The folder name says which secret without giving it away.
  expect(JSON.parse(seen[0]!).root).not.toContain(secret.slice(0, 8));
}, 120_000);

test("two installations get different holdouts, while the training set and mini holdout are the same public files", async () => {
  const a = dataPaths(settings, install("a"));
  const b = dataPaths(settings, install("b"));
  await Promise.all([prepareData(settings, a, logger), prepareData(settings, b, logger)]);
  expect(dataReady(a) && dataReady(b)).toBe(true);

  // Holdouts: as unrelated as two random draws (agreement near 1/43, not 1), and no image alike.
  expect(agreement(labels(a.holdout), labels(b.holdout))).toBeLessThan(0.1);
  const ha = files(a.holdout);
  const hb = files(b.holdout);
  expect([...ha].filter(([name, bytes]) => /\.(png|jpg)$/.test(name) && hb.get(name)?.equals(bytes))).toEqual([]);
  expect(holdoutVersion(settings, a)).not.toBe(holdoutVersion(settings, b)); // so results and decoded caches are never shared

  // The public parts: byte for byte the same.
  for (const part of ["train", "mini-holdout"]) {
    const fa = files(path.join(a.root!, part));
    const fb = files(path.join(b.root!, part));
    expect([...fa.keys()].sort()).toEqual([...fb.keys()].sort());
    expect([...fa].every(([name, bytes]) => fb.get(name)!.equals(bytes))).toBe(true);
  }
  // Nothing in the dataset folder holds the secret (dataset.json names it by id only).
  const secret = fs.readFileSync(path.join(install("a"), "holdout-secret"), "utf8").trim();
  for (const [name, bytes] of files(a.root!)) if (/\.(json|csv)$/.test(name)) expect(bytes.toString()).not.toContain(secret);
  expect(JSON.parse(fs.readFileSync(path.join(a.root!, "dataset.json"), "utf8"))).toMatchObject({ seed: 2026, holdoutSecretId: expect.stringMatching(/^[0-9a-f]{10}$/) });
}, 180_000);

test("the public seed does not reproduce an installation's holdout: the audit's class plan now only matches the public parts", () => {
  const a = dataPaths(settings, install("a"));
  // The attack is right about what is public: it gives the mini holdout's labels exactly…
  expect(publicPlan(2026, "mini-holdout", SIZES.miniHoldout, 3)).toEqual(labels(a.mini!));
  // …but the holdout's only at chance (1/43 ≈ 0.023), where it used to give all of them.
  expect(agreement(publicPlan(2026, "holdout", SIZES.holdout, 3), labels(a.holdout))).toBeLessThan(0.1);
  // Nor does the generator run without the installation's secret (npm run dataset's public seed alone).
  const pub = path.join(dir.dir, "public");
  generateDataset(pub, SIZES);
  expect(agreement(labels(path.join(pub, "holdout")), labels(a.holdout))).toBeLessThan(0.1);
  expect(labels(path.join(pub, "mini-holdout"))).toEqual(labels(a.mini!));
}, 120_000);

test("a restart keeps the secret, so the same folder, holdout version and holdout, with nothing regenerated", async () => {
  const before = dataPaths(settings, install("a"));
  const labelsBefore = fs.readFileSync(path.join(before.holdout, "labels.csv"), "utf8");
  const mtime = fs.statSync(path.join(before.holdout, "labels.csv")).mtimeMs;
  const restarted = JSON.parse(await inProcess(pathsIn(install("a")))) as { root: string; version: string };
  expect(restarted).toEqual({ root: before.root, version: holdoutVersion(settings, before) });
  expect(fs.statSync(path.join(install("a"), "holdout-secret")).mode & 0o777).toBe(0o600);
  await prepareData(settings, before, logger); // ready: nothing to do
  expect(fs.readFileSync(path.join(before.holdout, "labels.csv"), "utf8")).toBe(labelsBefore);
  expect(fs.statSync(path.join(before.holdout, "labels.csv")).mtimeMs).toBe(mtime);
}, 120_000);

test("an installation whose dataset was drawn from the public seed makes a new one from its secret, under a new holdout version", () => {
  const c = install("legacy");
  // What earlier versions left: the dataset under its old name, its holdout public knowledge.
  const legacy = path.join(c, "datasets", "signs-seed2026-t1-m129-h430-v1");
  generateDataset(legacy, SIZES);
  const p = dataPaths(settings, c);
  expect(p.root).not.toBe(legacy);
  expect(dataReady(p)).toBe(false); // so the start prepares it (from the secret)
  const legacyPaths = { generated: true, root: legacy, train: path.join(legacy, "train"), mini: path.join(legacy, "mini-holdout"), holdout: path.join(legacy, "holdout"), secretFile: null, secretId: null };
  expect(holdoutVersion(settings, p)).not.toBe(holdoutVersion(settings, legacyPaths));
});

test("a damaged secret file is not replaced (that would silently change the holdout): the error says what to do", () => {
  const d = install("damaged");
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, "holdout-secret"), "not hex\n", { mode: 0o600 });
  expect(() => dataPaths(settings, d)).toThrow(/holdout-secret must be at least 32 hexadecimal digits \(128 bits\).*Restore it from a backup of DATA_DIR, or delete it to make a new one/);
  expect(fs.readFileSync(path.join(d, "holdout-secret"), "utf8")).toBe("not hex\n");
});

test("results scored under the earlier (public) holdout are flagged to staff on the content page until rescored; students are told the holdout is secret", async () => {
  const content = copyContent();
  content.write("cnn/case-study.yaml", `title: Secret holdout
opens: 2026-11-30T09:00
deadline: 2026-12-04T23:59
data: { generate: { seed: 2026, trainPerClass: 1, miniHoldout: 43, holdout: 43 } }
`);
  const t = await startTestApp({}, { contentDir: content.dir });
  try {
    const cs = await t.db.caseStudy.findFirstOrThrow();
    const course = await t.db.course.findUniqueOrThrow({ where: { id: cs.courseId } });
    const user = await t.db.user.findFirstOrThrow();
    const team = await t.db.team.create({ data: { courseId: course.id, name: "Legacy scores" } });
    const sub = await t.db.submission.create({ data: { caseStudyId: cs.id, teamId: team.id, userId: user.id, number: 1, filename: "p.csv", storedPath: "/nowhere", bytes: 1, status: "SCORED" } });
    const result = { publicScore: 1, privateScore: 1, publicPoints: 100, privatePoints: 100, accuracy: 1, engine: "csv", details: {} };
    await t.db.submissionResult.create({ data: { submissionId: sub.id, holdoutVersion: "public-seed-holdout", current: true, ...result } });
    const sync = () => syncContent({ db: t.db, contentDir: content.dir, quizDir: QUIZ_DIR, dataDir: t.dataDir, prepareData: false, logger });
    const flagged = (await sync()).issues.filter((i) => i.path.endsWith("case-study.yaml"));
    expect(flagged).toEqual([expect.objectContaining({ severity: "warning", message: 'The holdout or scoring rule has changed: 1 submission still counts with its score on the previous one. On the case study\'s staff page, use "Rescore everything not scored under the current holdout and rule".' })]);
    // Rescored: a result under the current version becomes the current one; the warning goes.
    await t.db.submissionResult.updateMany({ where: { submissionId: sub.id }, data: { current: false } });
    await t.db.submissionResult.create({ data: { submissionId: sub.id, holdoutVersion: cs.holdoutVersion, current: true, ...result } });
    expect((await sync()).issues.filter((i) => i.path.endsWith("case-study.yaml"))).toEqual([]);
    // Students are told the holdout is the server's own.
    const page = $((await (await signedIn(t, "alice@example.edu")).get("/courses/cnn/case-studies/cnn")).text);
    expect(page("main").text()).toContain("The holdout is this server's own, drawn from a secret kept on the server: its answers are not in the project's code, its seed or the downloads, and cannot be recomputed from them.");
  } finally {
    await t.close();
    content.remove();
  }
}, 120_000);
