// npm run bench:submissions — many teams upload a Keras model at the same moment;
// separate worker processes (1, then 2) score them from the queue. Prints the upload
// latency, the end-to-end time from upload to score (p50/p99) and worker throughput.
// BENCH_TEAMS (16) teams, BENCH_HOLDOUT (1000) generated holdout images.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { hashPassword } from "../src/auth/password.js";
import { DEMO_PASSWORDS } from "../src/demo/demo.seed.js";
import { generateDataset } from "../src/grading/dataset/generator.js";
import { CourseRole } from "../src/platform/db/prisma.js";
import { signInHttp, startBenchServer } from "./harness.js";
import { countOf } from "../src/platform/text.js";

const TEAMS = Number(process.env.BENCH_TEAMS ?? 16);
const HOLDOUT = Number(process.env.BENCH_HOLDOUT ?? 1000);
const MODEL = path.resolve(process.env.BENCH_MODEL ?? "tests/fixtures/models/seq-basic.keras");
if (!fs.existsSync(MODEL)) {
  console.error(`No model at ${MODEL}; set BENCH_MODEL to a .keras file.`);
  process.exit(1);
}

const { db, base, url, dataDir, close } = await startBenchServer({ queue: true });
const holdoutRoot = path.join(dataDir, "bench-data");
generateDataset(holdoutRoot, { seed: 7, trainPerClass: 1, miniHoldout: 43, holdout: HOLDOUT });
const cs = await db.caseStudy.findFirstOrThrow({});
await db.caseStudy.update({
  where: { id: cs.id },
  data: { settings: { ...(cs.settings as object), data: { holdoutDir: path.join(holdoutRoot, "holdout") }, limits: { perDay: 100, total: 100, cooldownMinutes: 0, finalSubmissions: 2, maxUploadMb: 200 } }, holdoutVersion: "bench", deadlineAt: new Date(Date.now() + 86_400_000), opensAt: null },
});

// One student per team, signed in over HTTP.
const course = await db.course.findUniqueOrThrow({ where: { slug: "cnn" } });
const hash = await hashPassword(DEMO_PASSWORDS.student);
const students: { email: string; cookie: string; csrf: string }[] = [];
for (let i = 0; i < TEAMS; i++) {
  const user = await db.user.create({ data: { email: `team${i}@example.edu`, name: `Team ${i} student`, passwordHash: hash } });
  await db.membership.create({ data: { userId: user.id, courseId: course.id, role: CourseRole.STUDENT } });
  const team = await db.team.create({ data: { courseId: course.id, name: `Bench team ${i}` } });
  await db.teamMember.create({ data: { teamId: team.id, userId: user.id, courseId: course.id } });
  const { cookie, csrf } = await signInHttp(base, user.email, DEMO_PASSWORDS.student, `/courses/cnn/case-studies/${cs.slug}`);
  students.push({ email: user.email, cookie, csrf });
}
const modelBytes = fs.readFileSync(MODEL);

function startWorker(): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "src/worker.ts"], {
    stdio: "ignore", env: { ...process.env, DATABASE_URL: url, DATA_DIR: dataDir, LOG_LEVEL: "silent", QUEUE_MAINTENANCE_SECONDS: "5" },
  });
}

const pct = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
console.log(`bench:submissions — ${TEAMS} teams upload ${path.basename(MODEL)} (${(modelBytes.length / 1024).toFixed(0)} KB) at once; holdout of ${HOLDOUT} images; ${os.cpus().length} cores, Node ${process.version}`);

for (const n of [1, 2]) {
  await db.submission.deleteMany({});
  const workers = Array.from({ length: n }, startWorker);
  await new Promise((r) => setTimeout(r, 4000)); // workers start (tsx, migrations check, queue)
  const t0 = Date.now();
  const uploads = await Promise.all(students.map(async (s) => {
    const form = new FormData();
    form.set("_csrf", s.csrf);
    form.set("model", new Blob([modelBytes]), path.basename(MODEL));
    const start = Date.now();
    const res = await fetch(`${base}/courses/cnn/case-studies/${cs.slug}/submissions`, { method: "POST", body: form, headers: { cookie: s.cookie, accept: "application/json" } });
    if (res.status !== 201) throw new Error(`upload failed: HTTP ${res.status} ${await res.text()}`);
    return { id: ((await res.json()) as { id: string }).id, start, uploaded: Date.now() - start };
  }));
  const finished = new Map<string, number>();
  while (finished.size < uploads.length) {
    const rows = await db.submission.findMany({ where: { status: { in: ["SCORED", "FAILED"] } }, select: { id: true, status: true } });
    for (const r of rows) if (!finished.has(r.id)) finished.set(r.id, Date.now());
    if (Date.now() - t0 > 20 * 60_000) throw new Error("submissions not scored within 20 minutes");
    await new Promise((r) => setTimeout(r, 100));
  }
  const failed = await db.submission.count({ where: { status: "FAILED" } });
  const e2e = uploads.map((u) => finished.get(u.id)! - u.start).sort((a, b) => a - b);
  const up = uploads.map((u) => u.uploaded).sort((a, b) => a - b);
  const span = (Math.max(...finished.values()) - t0) / 1000;
  console.log(`${n} worker${n > 1 ? "s" : " "}: upload p50 ${pct(up, 0.5)} ms p99 ${pct(up, 0.99)} ms · upload→score p50 ${(pct(e2e, 0.5) / 1000).toFixed(1)} s p99 ${(pct(e2e, 0.99) / 1000).toFixed(1)} s · ` +
    `${TEAMS} scored in ${span.toFixed(1)} s = ${(TEAMS / span).toFixed(2)} submissions/s (${((TEAMS * HOLDOUT) / span).toFixed(0)} images/s)${failed ? ` · ${failed} FAILED` : ""}`);
  for (const w of workers) w.kill("SIGTERM");
  await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once("exit", r)))));
}
const scoredOnce = await db.submissionResult.groupBy({ by: ["submissionId"], _count: true });
console.log(`check: ${countOf(scoredOnce.filter((g) => g._count > 1).length, "submission")} with more than one result (0 expected)`);
await close();
