// npm run bench:quiz — hundreds of simulated students take the Friday quiz against the
// real server on loopback (throwaway embedded PostgreSQL): everyone starts, autosaves
// every answer, then submits at the deadline together; a tenth never submit and are
// swept when time runs out. Prints throughput and p50/p99 per phase, then checks in
// the database that no answer was lost and every attempt was graded once.
import os from "node:os";
import { hashPassword } from "../src/auth/password.js";
import { DEMO_PASSWORDS } from "../src/demo/demo.seed.js";
import { CourseRole } from "../src/platform/db/prisma.js";
import type { SlotQuestion } from "../src/quiz/questions.js";
import { gradeEventsWithLti } from "../src/lti/lti.outbox.js";
import { QuizService } from "../src/quiz/quiz.service.js";
import { answerFields } from "../tests/helpers/quiz.js";
import { signInHttp, startBenchServer } from "./harness.js";
import { countOf } from "../src/platform/text.js";

const STUDENTS = Number(process.env.BENCH_STUDENTS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);

// Wednesday noon in Denver: the quiz is open.
let now = new Date("2026-11-25T19:00:00Z");
const clock = () => now;
const { db, sql, base, close } = await startBenchServer({ clock });
const QUIZ = `${base}/courses/cnn/quizzes/cnn-friday`;

// Students: one password hash shared (hashing is deliberately slow), real sign-ins over HTTP.
const course = await db.course.findUniqueOrThrow({ where: { slug: "cnn" } });
const hash = await hashPassword(DEMO_PASSWORDS.student);
await db.user.createMany({ data: Array.from({ length: STUDENTS }, (_x, i) => ({ email: `bench${i}@example.edu`, name: `Bench Student ${i}`, passwordHash: hash })) });
const users = await db.user.findMany({ where: { email: { startsWith: "bench" } }, orderBy: { email: "asc" } });
await db.membership.createMany({ data: users.map((u) => ({ userId: u.id, courseId: course.id, role: CourseRole.STUDENT })) });

interface Student { email: string; userId: string; cookie: string; csrf: string; attempt?: string; slots?: { slot: number; q: SlotQuestion }[]; sent: Map<number, unknown> }

/** Runs `job` for every item with at most CONCURRENCY in flight; returns each call's latency in ms. */
async function phase<T>(title: string, items: T[], job: (item: T) => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      const t = performance.now();
      await job(item);
      times.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  const p = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(0);
  console.log(`${title.padEnd(40)} ${String(items.length).padStart(5)} requests  ${(items.length / seconds).toFixed(0).padStart(5)} req/s   p50 ${p(0.5).padStart(4)} ms   p99 ${p(0.99).padStart(4)} ms`);
  return times;
}

async function ok(res: Response, what: string) {
  if (res.status >= 400) throw new Error(`${what}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
  return res;
}

const students: Student[] = users.map((u) => ({ email: u.email, userId: u.id, cookie: "", csrf: "", sent: new Map() }));
console.log(`bench:quiz — ${STUDENTS} students, ${CONCURRENCY} requests in flight, ${os.cpus().length} cores, Node ${process.version}`);

await phase("sign in (scrypt, not the quiz)", students, async (s) => {
  const session = await signInHttp(base, s.email, DEMO_PASSWORDS.student, "/courses/cnn/quizzes/cnn-friday");
  s.cookie = session.cookie;
  s.csrf = session.csrf;
});

await phase("POST start attempt", students, async (s) => {
  const res = await ok(await fetch(`${QUIZ}/attempts`, {
    method: "POST", redirect: "manual", headers: { cookie: s.cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: s.csrf }),
  }), "start");
  s.attempt = res.headers.get("location")!.split("/").pop()!;
});
for (const s of students) {
  const rows = await db.quizSlot.findMany({ where: { attemptId: s.attempt! }, orderBy: { slot: "asc" } });
  s.slots = rows.map((r) => ({ slot: r.slot, q: r.question as unknown as SlotQuestion }));
}

await phase("GET attempt page", students, async (s) => {
  await ok(await fetch(`${QUIZ}/attempts/${s.attempt}`, { headers: { cookie: s.cookie } }), "attempt page");
});

// Every answer, autosaved one question at a time, students interleaved; first a wrong answer, then the right one.
let rev = 1;
const saves = [false, true].flatMap((right) => students[0]!.slots!.flatMap((_x, i) => students.map((s) => ({ s, slot: s.slots![i]!, right }))));
await phase("POST autosave (JSON, one question)", saves, async ({ s, slot, right }) => {
  const fields = answerFields(slot.q, slot.slot, right);
  s.sent.set(slot.slot, fields);
  await ok(await fetch(`${QUIZ}/attempts/${s.attempt}/autosave`, {
    method: "POST", headers: { cookie: s.cookie, "content-type": "application/json", accept: "application/json", "x-csrf-token": s.csrf },
    body: JSON.stringify({ slot: slot.slot, rev: rev++, fields }),
  }), "autosave");
});

// The deadline: a few seconds before it, nine in ten submit at once; the rest never come back.
const attempt0 = await db.quizAttempt.findUniqueOrThrow({ where: { id: students[0]!.attempt! } });
now = new Date(attempt0.deadlineAt!.getTime() - 5_000);
const submitters = students.filter((_s, i) => i % 10 !== 0);
await phase("POST submit at the deadline", submitters, async (s) => {
  await ok(await fetch(`${QUIZ}/attempts/${s.attempt}/submit`, {
    method: "POST", headers: { cookie: s.cookie, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({ _csrf: s.csrf }),
  }), "submit");
});
now = new Date(attempt0.acceptUntil!.getTime() + 1_000);
const t0 = performance.now();
const swept = await new QuizService({ db, sql, clock, grades: gradeEventsWithLti() }).finishOverdue();
console.log(`${"sweep of attempts nobody submitted".padEnd(40)} ${String(swept).padStart(5)} attempts in ${(performance.now() - t0).toFixed(0)} ms`);

// Nothing lost: every slot holds the last answer sent, every attempt graded once at full marks.
let lost = 0;
for (const s of students) {
  const rows = await db.quizSlot.findMany({ where: { attemptId: s.attempt! } });
  for (const r of rows) {
    const q = r.question as unknown as SlotQuestion;
    const expected = answerFields(q, r.slot, true);
    if (JSON.stringify(s.sent.get(r.slot)) !== JSON.stringify(expected) || r.state !== "correct") lost++;
  }
}
const attempts = await db.quizAttempt.groupBy({ by: ["status"], _count: true });
const grades = await db.quizGrade.findMany({ where: { user: { email: { startsWith: "bench" } } } });
console.log(`check: ${countOf(lost, "answer")} lost or wrong of ${students.length * students[0]!.slots!.length}; attempts ${attempts.map((a) => `${a.status} ${a._count}`).join(", ")}; ` +
  `${grades.length} grades, ${grades.filter((g) => g.percent === 100 && g.attempts === 1).length} at 100% from one attempt`);

await close();
process.exit(lost === 0 && grades.length === students.length ? 0 : 1);
