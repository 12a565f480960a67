// npm run bench:dashboard — seeds BENCH_STUDENTS (1,000) students in teams of 5 with a
// week of activity (checklist ticks, one or two quiz attempts each, case-study
// submissions with results), then requests the instructor's pages and prints the
// server time (p50/p99) and the SQL statements per page (Prisma's, counted; the
// session store adds its own two).
import os from "node:os";
import { Prisma } from "../src/generated/prisma/client.js";
import { hashPassword } from "../src/auth/password.js";
import { DEMO_PASSWORDS } from "../src/demo/demo.seed.js";
import { CourseRole } from "../src/platform/db/prisma.js";
import { readResponse, type SlotQuestion } from "../src/quiz/questions.js";
import { gradeEventsWithLti } from "../src/lti/lti.outbox.js";
import { QuizService } from "../src/quiz/quiz.service.js";
import { SeededRandom } from "../src/platform/random.js";
import { answerFields } from "../tests/helpers/quiz.js";
import { signInHttp, startBenchServer } from "./harness.js";

const STUDENTS = Number(process.env.BENCH_STUDENTS ?? 1000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 30);
const now = new Date("2026-12-01T19:00:00Z");
let clockNow = new Date("2026-11-25T19:00:00Z");
const { db, sql, base, close, queries } = await startBenchServer({ clock: () => clockNow, countQueries: true });
const rng = new SeededRandom("bench-dashboard");
const t0 = performance.now();

// People and teams.
const course = await db.course.findUniqueOrThrow({ where: { slug: "cnn" } });
const hash = await hashPassword(DEMO_PASSWORDS.student);
await db.user.createMany({ data: Array.from({ length: STUDENTS }, (_x, i) => ({ email: `s${String(i).padStart(4, "0")}@example.edu`, name: `Student ${String(i).padStart(4, "0")}`, passwordHash: hash, lastSeenAt: new Date(now.getTime() - rng.int(0, 7 * 86_400) * 1000) })) });
const students = (await db.user.findMany({ where: { email: { startsWith: "s" } }, orderBy: { email: "asc" } })).filter((u) => /^s\d{4}@/.test(u.email));
await db.membership.createMany({ data: students.map((u) => ({ userId: u.id, courseId: course.id, role: CourseRole.STUDENT })) });
const teams: { id: string; name: string }[] = [];
for (let i = 0; i < Math.ceil(STUDENTS / 5); i++) teams.push(await db.team.create({ data: { courseId: course.id, name: `Team ${String(i).padStart(3, "0")}` } }));
await db.teamMember.createMany({ data: students.map((u, i) => ({ teamId: teams[Math.floor(i / 5)]!.id, userId: u.id, courseId: course.id })) });

// Checklist: most finish Theory, fewer Practical, at times spread over the week.
const items = await db.checklistItem.findMany({ where: { archivedAt: null } });
const ticks: Prisma.ChecklistTickCreateManyInput[] = [];
for (const u of students) {
  const diligence = rng.float();
  for (const it of items) if (rng.float() < (it.section === "THEORY" ? 0.5 + diligence / 2 : diligence)) ticks.push({ itemId: it.id, userId: u.id, completedAt: new Date(Date.UTC(2026, 10, 23 + rng.int(0, 7), rng.int(0, 23))) });
}
await db.checklistTick.createMany({ data: ticks });

// Quiz: every student one attempt, a third a second one; answers right with a per-student ability.
const quiz = await db.quiz.findFirstOrThrow({});
const quizzes = new QuizService({ db, sql, clock: () => clockNow, grades: gradeEventsWithLti() });
let attempts = 0;
for (const u of students) {
  const ability = rng.float(0.3, 1);
  for (let k = 0; k < (rng.float() < 0.33 ? 2 : 1); k++) {
    // Inside the quiz's window (the demo course starts on the day the bench runs).
    clockNow = new Date((quiz.opensAt?.getTime() ?? Date.UTC(2026, 10, 25)) + (1 + k) * 3_600_000 + rng.int(0, 59) * 60_000);
    const a = await quizzes.start(quiz, u.id);
    const slots = await db.quizSlot.findMany({ where: { attemptId: a.id } });
    const values = slots.map((s) => {
      const q = s.question as unknown as SlotQuestion;
      return Prisma.sql`(${s.slot}::int, ${JSON.stringify(readResponse(q, s.slot, answerFields(q, s.slot, rng.float() < ability)))}::jsonb)`;
    });
    await db.$executeRaw`UPDATE "QuizSlot" s SET response = v.response FROM (VALUES ${Prisma.join(values)}) AS v(slot, response) WHERE s."attemptId" = ${a.id}::uuid AND s.slot = v.slot`;
    clockNow = new Date(clockNow.getTime() + rng.int(5, 28) * 60_000);
    await quizzes.submit(a);
    attempts++;
  }
}

// Case study: each team 0–6 submissions, most scored.
const cs = await db.caseStudy.findFirstOrThrow({});
let submissions = 0;
for (const team of teams) {
  let best = rng.float(0.5, 0.8);
  const n = rng.int(0, 6);
  for (let k = 1; k <= n; k++) {
    const failed = rng.float() < 0.15;
    best = Math.min(0.99, best + rng.float(-0.02, 0.06));
    const s = await db.submission.create({ data: { caseStudyId: cs.id, teamId: team.id, userId: students[teams.indexOf(team) * 5]!.id, number: k, filename: "model.keras", storedPath: "/bench", bytes: 1, status: failed ? "FAILED" : "SCORED", createdAt: new Date(Date.UTC(2026, 10, 30, 9 + k * 8)), errorCode: failed ? "lambda_layer" : null } });
    if (!failed) await db.submissionResult.create({ data: { submissionId: s.id, holdoutVersion: cs.holdoutVersion, publicScore: best, privateScore: best - 0.01, publicPoints: Math.max(0, Math.min(100, ((best - 0.79) / 0.12) * 100)), privatePoints: Math.max(0, Math.min(100, ((best - 0.8) / 0.12) * 100)), accuracy: best, engine: "bench", details: {} } });
    submissions++;
  }
}
clockNow = now;
console.log(`bench:dashboard — seeded ${STUDENTS} students, ${teams.length} teams, ${ticks.length} ticks, ${attempts} quiz attempts, ${submissions} submissions in ${((performance.now() - t0) / 1000).toFixed(0)} s; ${os.cpus().length} cores, Node ${process.version}`);

// The instructor, signed in over HTTP.
const { cookie } = await signInHttp(base, "instructor@example.edu", DEMO_PASSWORDS.instructor, "/courses/cnn");

async function measure(title: string, path: string) {
  const times: number[] = [];
  let statements = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const q0 = queries();
    const start = performance.now();
    const r = await fetch(`${base}${path}`, { headers: { cookie } });
    await r.arrayBuffer();
    times.push(performance.now() - start);
    if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}`);
    statements = queries() - q0;
  }
  times.sort((a, b) => a - b);
  const p = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(0);
  console.log(`${title.padEnd(44)} p50 ${p(0.5).padStart(5)} ms   p99 ${p(0.99).padStart(5)} ms   ${String(statements).padStart(3)} SQL statements per request`);
}

await measure("dashboard (roster page 1 + charts)", "/courses/cnn/dashboard");
await measure("dashboard, sorted by quiz, page 10", "/courses/cnn/dashboard?sort=quiz&dir=desc&page=10");
await measure("dashboard, filtered + searched", "/courses/cnn/dashboard?filter=theory&filter=quiz&q=Student%2000");
await measure("gradebook CSV (all students)", "/courses/cnn/dashboard/gradebook.csv");
await measure("quiz statistics", "/courses/cnn/quizzes/cnn-friday/statistics");
await measure("grading view", "/courses/cnn/grading");
await measure(`student page`, `/courses/cnn/students/${students[0]!.id}`);
await close();
