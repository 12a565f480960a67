// The demo course's rows that tests refer to by name: Alice (a student of the Stop Signs team),
// the grader, the course's quiz and case study, and Alice's team.
import type { TestApp } from "./app.js";

export async function demoRows({ db }: Pick<TestApp, "db">) {
  const [alice, grader, quiz, cs, team] = await Promise.all([
    db.user.findFirstOrThrow({ where: { email: "alice@example.edu" } }),
    db.user.findFirstOrThrow({ where: { email: "grader@example.edu" } }),
    db.quiz.findFirstOrThrow({}),
    db.caseStudy.findFirstOrThrow({}),
    db.team.findFirstOrThrow({ where: { name: "Stop Signs" } }),
  ]);
  return { alice, grader, quiz, cs, team };
}
