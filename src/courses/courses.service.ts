import type pg from "pg";
import { courseScopedPart, courseScopedValue, type SessionContextPart, type SessionUser } from "../platform/session-user.js";
import type { Db } from "../platform/db/prisma.js";
import { CourseRole } from "../platform/db/prisma.js";
import type { ContentCache } from "../platform/content-cache.js";
import type { SqlPart } from "../platform/sql-parts.js";

export type LoadedCourse = { id: string; slug: string; title: string; timeZone: string; role: CourseRole };

/** A student's team with its members, and the review answers about their work they have not read yet (the course page). */
export interface TeamAndAnswers {
  team: { id: string; name: string; members: { id: string; name: string; email: string }[] } | null;
  answers: { attempt: { id: string; number: number; quiz: { slug: string; title: string } } | null; submission: { id: string; number: number; caseStudy: { slug: string; title: string } } | null; resolvedBy: string | null }[];
}

/** What the session's statement reads for this feature: the user's courses with their role (every course for an administrator) and the content version. */
interface CoursesContext {
  contentVersion: number | null;
  courses: (Omit<LoadedCourse, "role"> & { role: CourseRole | null })[];
}

/**
 * The courses part of the signed-in context (see SessionContextPart): read in the session's own
 * statement on every request, so a course page needs no statement of its own to authorise the
 * caller — and a membership removed, or a sync run by any process, shows on the very next request.
 */
export const coursesInSession: SessionContextPart = {
  name: "courses",
  sql: `(SELECT json_build_object(
      'contentVersion', (SELECT v.version FROM "ContentVersion" v WHERE v.id = 1),
      'courses', COALESCE((SELECT json_agg(json_build_object('id', c.id, 'slug', c.slug, 'title', c.title, 'timeZone', c."timeZone", 'role', m.role) ORDER BY c.title)
        FROM "Course" c LEFT JOIN "Membership" m ON m."courseId" = c.id AND m."userId" = u.id
        WHERE u."isAdmin" OR m.role IS NOT NULL), '[]'::json)))`,
};

const TEAM_AND_ANSWERS_PART = "teamAndAnswers";

/**
 * The team and unread answers read (TeamAndAnswers) as SQL over two SQL expressions: the course's id
 * and the student's id. An answer is unread until the student has opened a page that shows it (ReviewAnswerRead).
 */
function teamAndAnswersSql(courseId: string, userId: string): string {
  return `(WITH mine AS (SELECT me."teamId" FROM "TeamMember" me WHERE me."courseId" = ${courseId} AND me."userId" = ${userId})
    SELECT json_build_object(
     'team', (SELECT json_build_object('id', t.id, 'name', t.name, 'members',
        (SELECT json_agg(json_build_object('id', mu.id, 'name', mu.name, 'email', mu.email)) FROM "TeamMember" tm JOIN "User" mu ON mu.id = tm."userId" WHERE tm."teamId" = t.id))
      FROM "Team" t WHERE t.id = (SELECT "teamId" FROM mine)),
     'answers', (SELECT COALESCE(json_agg(json_build_object('attemptId', r."attemptId", 'attemptNumber', a.number, 'quizSlug', q.slug, 'quizTitle', q.title,
        'submissionId', r."submissionId", 'submissionNumber', s.number, 'caseSlug', cs.slug, 'caseTitle', cs.title, 'resolvedBy', ru.name) ORDER BY r."resolvedAt" DESC), '[]'::json)
      FROM "ReviewRequest" r
      LEFT JOIN "QuizAttempt" a ON a.id = r."attemptId" LEFT JOIN "Quiz" q ON q.id = a."quizId"
      LEFT JOIN "Submission" s ON s.id = r."submissionId" LEFT JOIN "CaseStudy" cs ON cs.id = s."caseStudyId"
      LEFT JOIN "User" ru ON ru.id = r."resolvedById"
      WHERE r."courseId" = ${courseId} AND r."resolvedAt" IS NOT NULL AND (a."userId" = ${userId} OR s."teamId" = (SELECT "teamId" FROM mine))
        AND NOT EXISTS (SELECT 1 FROM "ReviewAnswerRead" rr WHERE rr."reviewRequestId" = r.id AND rr."userId" = ${userId}))))`;
}

function readTeamAndAnswers(value: unknown): TeamAndAnswers {
  type Answer = { attemptId: string | null; attemptNumber: number | null; quizSlug: string | null; quizTitle: string | null; submissionId: string | null; submissionNumber: number | null; caseSlug: string | null; caseTitle: string | null; resolvedBy: string | null };
  const row = value as { team: { id: string; name: string; members: { id: string; name: string; email: string }[] } | null; answers: Answer[] };
  return {
    team: row.team && { id: row.team.id, name: row.team.name, members: [...row.team.members].sort((a, b) => a.name.localeCompare(b.name)) },
    answers: row.answers.map((r) => ({
      attempt: r.attemptId ? { id: r.attemptId, number: r.attemptNumber!, quiz: { slug: r.quizSlug!, title: r.quizTitle! } } : null,
      submission: r.submissionId ? { id: r.submissionId, number: r.submissionNumber!, caseStudy: { slug: r.caseSlug!, title: r.caseTitle! } } : null,
      resolvedBy: r.resolvedBy,
    })),
  };
}

/**
 * The signed-in user's team and the answers they have not read in the course whose slug `args` gives
 * ([slug]), read with the session's statement (teamAndAnswersFromSession).
 */
export function teamAndAnswersInSession(args: NonNullable<SessionContextPart["args"]>): SessionContextPart {
  return courseScopedPart(TEAM_AND_ANSWERS_PART, teamAndAnswersSql(`(SELECT c.id FROM "Course" c WHERE c.slug = $1::text)`, "u.id"), args);
}

/** The value of teamAndAnswersPart for the course, when the session's statement read it (else undefined). */
export function teamAndAnswersFromSession(user: SessionUser, courseSlug: string): unknown {
  return courseScopedValue(user, TEAM_AND_ANSWERS_PART, courseSlug);
}

function coursesContext(user: SessionUser): CoursesContext | undefined {
  return user.context?.courses as CoursesContext | undefined;
}

export class CoursesService {
  constructor(private readonly deps: { db: Db; sql: pg.Pool; content?: ContentCache }) {}

  /** Courses the user belongs to (all courses for an admin), with their role. One statement (the home page redirect runs it on every visit to /). */
  async coursesFor(user: SessionUser): Promise<LoadedCourse[]> {
    const ctx = coursesContext(user);
    if (ctx) return ctx.courses.map((r) => ({ ...pick(r), role: r.role ?? CourseRole.INSTRUCTOR }));
    const { rows } = await this.deps.sql.query<Omit<LoadedCourse, "role"> & { role: CourseRole | null }>({
      name: "courses.coursesFor",
      text: `SELECT c.id, c.slug, c.title, c."timeZone", m.role::text AS role
       FROM "Course" c LEFT JOIN "Membership" m ON m."courseId" = c.id AND m."userId" = $1
       WHERE $2 OR m.role IS NOT NULL
       ORDER BY c.title`,
      values: [user.id, user.isAdmin],
    });
    return rows.map((r) => ({ ...pick(r), role: r.role ?? CourseRole.INSTRUCTOR }));
  }

  /**
   * The course with the caller's role in it, or null when it does not exist or the caller is not in it.
   * Taken from the signed-in context when the session's statement brought it (coursesInSession),
   * else one statement. Either way it brings the content version, which tells the content cache
   * whether a sync (in any process) has happened since it was filled. Plain SQL on the pg pool:
   * through Prisma the same statement costs the server about three times the CPU.
   */
  async courseFor(user: SessionUser, slug: string): Promise<{ course: LoadedCourse | null; exists: boolean }> {
    const ctx = coursesContext(user);
    if (ctx) {
      if (ctx.contentVersion !== null) this.deps.content?.see(ctx.contentVersion);
      const mine = ctx.courses.find((c) => c.slug === slug);
      // A course the caller is not in: whether it exists decides between "no such course" and "not enrolled".
      if (!mine) return { course: null, exists: await this.courseExists(slug) };
      return { course: { ...pick(mine), role: mine.role ?? CourseRole.INSTRUCTOR }, exists: true };
    }
    const { rows: [row] } = await this.deps.sql.query<Omit<LoadedCourse, "role"> & { role: CourseRole | null; contentVersion: number | null }>({
      name: "courses.courseFor",
      text: `SELECT c.id, c.slug, c.title, c."timeZone", m.role::text AS role, (SELECT v.version FROM "ContentVersion" v WHERE v.id = 1) AS "contentVersion"
       FROM "Course" c LEFT JOIN "Membership" m ON m."courseId" = c.id AND m."userId" = $2
       WHERE c.slug = $1`,
      values: [slug, user.id],
    });
    if (!row) return { course: null, exists: false };
    if (row.contentVersion !== null) this.deps.content?.see(row.contentVersion);
    const role = row.role ?? (user.isAdmin ? CourseRole.INSTRUCTOR : null);
    return { course: role ? { ...pick(row), role } : null, exists: true };
  }

  private async courseExists(slug: string): Promise<boolean> {
    const { rows } = await this.deps.sql.query({ name: "courses.exists", text: `SELECT 1 FROM "Course" WHERE slug = $1`, values: [slug] });
    return rows.length > 0;
  }

  /** The student's team in a course, without its members (access checks). */
  async teamRefOf(courseId: string, userId: string): Promise<{ id: string; name: string } | null> {
    const tm = await this.deps.db.teamMember.findUnique({ where: { courseId_userId: { courseId, userId } }, select: { team: { select: { id: true, name: true } } } });
    return tm?.team ?? null;
  }

  /**
   * A student's team with its members, and the answered review requests about their attempts or their
   * team's submissions that they have not read (newest answer first), as a part of a page's one statement
   * (platform/sql-parts.ts): the course page shows both to every student on every visit.
   */
  teamAndAnswersPart(courseId: string, userId: string): SqlPart<TeamAndAnswers> {
    return {
      sql: teamAndAnswersSql("$1", "$2"),
      values: [courseId, userId],
      read: readTeamAndAnswers,
    };
  }

  async member(courseId: string, userId: string) {
    return this.deps.db.membership.findUnique({
      where: { userId_courseId: { userId, courseId } },
      include: { user: { select: { id: true, name: true, email: true, lastSeenAt: true } } },
    });
  }

  async students(courseId: string) {
    const rows = await this.deps.db.membership.findMany({
      where: { courseId, role: CourseRole.STUDENT },
      include: { user: { select: { id: true, name: true, email: true } } },
      orderBy: { user: { name: "asc" } },
    });
    return rows.map((m) => m.user);
  }

  async roster(courseId: string) {
    const [members, teams] = await Promise.all([
      this.deps.db.membership.findMany({
        where: { courseId },
        include: { user: { select: { id: true, name: true, email: true, lastSeenAt: true, teamMembers: { where: { courseId }, include: { team: true } } } } },
        orderBy: [{ role: "asc" }, { user: { name: "asc" } }],
      }),
      this.deps.db.team.findMany({ where: { courseId }, include: { _count: { select: { members: true } } }, orderBy: { name: "asc" } }),
    ]);
    return {
      members: members.map((m) => ({
        id: m.user.id, name: m.user.name, email: m.user.email, role: m.role, lastSeenAt: m.user.lastSeenAt,
        team: m.user.teamMembers[0]?.team.name ?? null,
      })),
      teams: teams.map((t) => ({ id: t.id, name: t.name, size: t._count.members })),
    };
  }
}

function pick(c: { id: string; slug: string; title: string; timeZone: string }) {
  return { id: c.id, slug: c.slug, title: c.title, timeZone: c.timeZone };
}
