// The demo course, seeded once into a new database so `npm start` shows a working platform.
import type { Logger } from "pino";
import { hashPassword } from "../auth/password.js";
import type { Db } from "../platform/db/prisma.js";
import { CourseRole } from "../platform/db/prisma.js";

export const DEMO_COURSE = { slug: "cnn", title: "Convolutional Neural Networks", timeZone: "America/Denver" };

export const DEMO_PASSWORDS = { admin: "admin-demo", instructor: "instructor-demo", grader: "grader-demo", student: "student-demo" } as const;

/** The demo's site administrator (creates courses), in no course; seeded only where no administrator exists. */
export const DEMO_ADMIN = { email: "admin@example.edu", name: "Ada Admin", password: DEMO_PASSWORDS.admin };

export const DEMO_PEOPLE: { email: string; name: string; role: CourseRole; team?: string; password: string }[] = [
  { email: "instructor@example.edu", name: "Irene Instructor", role: CourseRole.INSTRUCTOR, password: DEMO_PASSWORDS.instructor },
  { email: "grader@example.edu", name: "Gus Grader", role: CourseRole.GRADER, password: DEMO_PASSWORDS.grader },
  { email: "alice@example.edu", name: "Alice Nguyen", role: CourseRole.STUDENT, team: "Stop Signs", password: DEMO_PASSWORDS.student },
  { email: "ben@example.edu", name: "Ben Okafor", role: CourseRole.STUDENT, team: "Stop Signs", password: DEMO_PASSWORDS.student },
  { email: "chloe@example.edu", name: "Chloé Martin", role: CourseRole.STUDENT, team: "Stop Signs", password: DEMO_PASSWORDS.student },
  { email: "dev@example.edu", name: "Dev Patel", role: CourseRole.STUDENT, team: "Yield Ahead", password: DEMO_PASSWORDS.student },
  { email: "emma@example.edu", name: "Emma Schultz", role: CourseRole.STUDENT, team: "Yield Ahead", password: DEMO_PASSWORDS.student },
  { email: "felix@example.edu", name: "Felix Romero", role: CourseRole.STUDENT, password: DEMO_PASSWORDS.student },
];

/**
 * Creates the demo course and its people unless the course already exists. Returns null when it
 * did not seed, else whether the demo administrator was made too (`opts.admin`, default true, and
 * no administrator yet). The course starts `now`: the demo's content files count their dates from it.
 */
export async function seedDemo(db: Db, logger: Logger, now: Date = new Date(), opts: { admin?: boolean } = {}): Promise<{ admin: boolean } | null> {
  if (await db.course.findUnique({ where: { slug: DEMO_COURSE.slug } })) return null;
  const hashes = new Map<string, string>();
  for (const pw of new Set([DEMO_ADMIN.password, ...DEMO_PEOPLE.map((p) => p.password)])) hashes.set(pw, await hashPassword(pw));
  let admin = false;
  try {
    await db.$transaction(async (tx) => {
      if (opts.admin !== false && !(await tx.user.count({ where: { isAdmin: true } }))) {
        await tx.user.upsert({
          where: { email: DEMO_ADMIN.email },
          update: {},
          create: { email: DEMO_ADMIN.email, name: DEMO_ADMIN.name, passwordHash: hashes.get(DEMO_ADMIN.password)!, isAdmin: true },
        });
        admin = true;
      }
      const course = await tx.course.create({ data: { ...DEMO_COURSE, startsAt: now, createdAt: now } });
      const teams = new Map<string, string>();
      for (const name of new Set(DEMO_PEOPLE.flatMap((p) => (p.team ? [p.team] : [])))) {
        teams.set(name, (await tx.team.create({ data: { courseId: course.id, name } })).id);
      }
      for (const p of DEMO_PEOPLE) {
        const user = await tx.user.upsert({
          where: { email: p.email },
          update: {},
          create: { email: p.email, name: p.name, passwordHash: hashes.get(p.password)! },
        });
        await tx.membership.create({ data: { userId: user.id, courseId: course.id, role: p.role } });
        if (p.team) await tx.teamMember.create({ data: { teamId: teams.get(p.team)!, userId: user.id, courseId: course.id } });
      }
    });
  } catch (e) {
    // Two processes starting at once: the other one seeded first.
    if ((e as { code?: string }).code === "P2002") return null;
    throw e;
  }
  logger.info("demo course seeded");
  return { admin };
}

export function demoLoginsTable(opts: { admin: boolean } = { admin: true }): string {
  const people = [...(opts.admin ? [{ ...DEMO_ADMIN, role: "admin" }] : []), ...DEMO_PEOPLE];
  const rows = people.map((p) => `  ${p.role.toLowerCase().padEnd(10)} ${p.email.padEnd(24)} ${p.password}`);
  return ["Demo sign-ins (role, email, password):", ...rows].join("\n");
}
