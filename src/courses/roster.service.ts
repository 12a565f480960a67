// Roster management: import people and teams from CSV (validated, previewed with
// per-row errors, applied in one transaction), add, remove, change roles.
import { parse } from "csv-parse/sync";
import { CourseRole, type Db } from "../platform/db/prisma.js";
import { BadRequest, Conflict, NotFound } from "../platform/errors.js";
import { isUuid } from "../platform/text.js";

export interface RosterCsvRow {
  line: number;
  email: string;
  name: string;
  /** As written; null when the row gives none: someone new joins as a student, a member keeps their role. */
  role: CourseRole | null;
  team: string | null;
  errors: string[];
}

const ROLES: Record<string, CourseRole> = { student: CourseRole.STUDENT, instructor: CourseRole.INSTRUCTOR, grader: CourseRole.GRADER };

/** CSV with the header `email,name,role,team` (role and team optional; no role: a student, or a member's own). */
export function parseRosterCsv(text: string): { rows: RosterCsvRow[]; headerError: string | null } {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (e) {
    return { rows: [], headerError: `Not a valid CSV file: ${(e as Error).message}` };
  }
  const header = (records[0] ?? []).map((h) => h.toLowerCase());
  const col = (name: string) => header.indexOf(name);
  if (col("email") < 0 || col("name") < 0) return { rows: [], headerError: `The first line must name the columns: email,name and optionally role,team (found "${(records[0] ?? []).join(",")}").` };
  const seen = new Map<string, number>();
  const rows = records.slice(1).map((r, i): RosterCsvRow => {
    const line = i + 2;
    const get = (name: string) => (col(name) >= 0 ? (r[col(name)] ?? "").trim() : "");
    const email = get("email").toLowerCase();
    const name = get("name");
    const roleText = get("role").toLowerCase();
    const errors: string[] = [];
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) errors.push(`"${get("email")}" is not an email address.`);
    if (!name) errors.push("The name is empty.");
    if (name.length > 120) errors.push("The name is longer than 120 characters.");
    // Own keys only: `in` would take "constructor" (from Object.prototype) for a role.
    if (roleText && !Object.hasOwn(ROLES, roleText)) errors.push(`Role "${get("role")}" is not student, instructor or grader.`);
    const team = get("team") || null;
    if (team && team.length > 80) errors.push("The team name is longer than 80 characters.");
    if (team && roleText && roleText !== "student") errors.push("Only students are placed in teams.");
    if (email && seen.has(email)) errors.push(`The same email is on line ${seen.get(email)}.`);
    seen.set(email, line);
    return { line, email, name, role: Object.hasOwn(ROLES, roleText) ? ROLES[roleText]! : null, team, errors };
  });
  return { rows, headerError: rows.length ? null : "The file lists nobody (only a header)." };
}

export interface PreviewRow extends Omit<RosterCsvRow, "role"> {
  /** The role the row gives them: as written, else their role here, else student. */
  role: CourseRole;
  /** Their role in the course now (null: not in it). */
  currentRole: CourseRole | null;
  /** The account's name becomes the row's (an existing account of this course alone). */
  rename: boolean;
  /** Whether applying the row changes anything. */
  changed: boolean;
  action: string;
}

export interface RosterPreview {
  rows: PreviewRow[];
  errors: number;
  headerError: string | null;
  newTeams: string[];
}

export class RosterService {
  constructor(private readonly deps: { db: Db }) {}

  /**
   * What applying `parsed` would change, row by row, with each row's problems. Besides the CSV's own,
   * the rules of changing a role on the People page: nobody changes their own role (`actingUserId`), and
   * the course keeps an instructor.
   */
  async preview(courseId: string, parsed: ReturnType<typeof parseRosterCsv>, actingUserId: string, { renames = true }: { renames?: boolean } = {}): Promise<RosterPreview> {
    const { db } = this.deps;
    const emails = parsed.rows.map((r) => r.email);
    const [users, teams, instructors] = await Promise.all([
      db.user.findMany({ where: { email: { in: emails } }, include: { memberships: true, teamMembers: { where: { courseId }, include: { team: true } } } }),
      db.team.findMany({ where: { courseId } }),
      db.membership.count({ where: { courseId, role: CourseRole.INSTRUCTOR } }),
    ]);
    const byEmail = new Map(users.map((u) => [u.email, u]));
    const teamNames = new Set(teams.map((t) => t.name));
    const rows = parsed.rows.map((r): PreviewRow => {
      const u = byEmail.get(r.email);
      const m = u?.memberships.find((x) => x.courseId === courseId);
      const currentTeam = u?.teamMembers[0]?.team.name ?? null;
      const role = r.role ?? m?.role ?? CourseRole.STUDENT;
      const errors = [...r.errors];
      if (r.team && role !== CourseRole.STUDENT && r.role === null) errors.push(`Only students are placed in teams: ${r.email} is a ${role.toLowerCase()} here.`);
      if (m && m.role !== role && u!.id === actingUserId) errors.push("This is you: you cannot change your own role; ask another instructor.");
      const parts: string[] = [];
      if (!u) parts.push("new account");
      if (!m) parts.push(`join as ${role.toLowerCase()}`);
      else if (m.role !== role) parts.push(`role ${m.role.toLowerCase()} → ${role.toLowerCase()}`);
      if (r.team && r.team !== currentTeam) parts.push(currentTeam ? `team ${currentTeam} → ${r.team}` : `team ${r.team}`);
      // A corrected name (an accent, a new surname) is taken for a member of this course whose account
      // no other course has. An account other courses share, one in no course (removed from its last:
      // not this course's to rename), or the administrator's keeps its name, and the preview says so.
      const notes: string[] = [];
      let rename = false;
      if (u && u.name !== r.name) {
        if (!renames) notes.push(`name kept as ${u.name}`);
        else if (m && !u.isAdmin && u.memberships.every((x) => x.courseId === courseId)) {
          rename = true;
          parts.push(`name ${u.name} → ${r.name}`);
        } else {
          notes.push(`name kept as ${u.name} (${m ? "the account is in other courses too" : "an existing account"})`);
        }
      }
      const action = [...parts, ...notes].join(", ") || "no change";
      return { ...r, role, currentRole: m?.role ?? null, errors, rename, changed: parts.length > 0, action };
    });
    // The course keeps an instructor: rows that would take the last ones away are refused.
    const demoted = rows.filter((r) => r.currentRole === CourseRole.INSTRUCTOR && r.role !== CourseRole.INSTRUCTOR);
    const promoted = rows.filter((r) => r.role === CourseRole.INSTRUCTOR && r.currentRole !== CourseRole.INSTRUCTOR).length;
    if (demoted.length && instructors - demoted.length + promoted <= 0) {
      for (const r of demoted) r.errors.push("This would leave the course without an instructor: keep one, or add another instructor first.");
    }
    const newTeams = [...new Set(rows.filter((r) => r.team && !teamNames.has(r.team)).map((r) => r.team!))];
    return { rows, errors: rows.reduce((n, r) => n + r.errors.length, 0) + (parsed.headerError ? 1 : 0), headerError: parsed.headerError, newTeams };
  }

  /**
   * Applies a preview without errors in one transaction. New accounts have no password: the
   * caller gives each a one-time link to choose one (returned in `newAccounts`).
   */
  async apply(courseId: string, preview: RosterPreview): Promise<{ created: number; updated: number; newAccounts: { id: string; email: string; name: string }[] }> {
    if (preview.errors) throw new BadRequest("The import has errors; fix them and check again.");
    const newAccounts: { id: string; email: string; name: string }[] = [];
    let updated = 0;
    await this.deps.db.$transaction(async (tx) => {
      for (const r of preview.rows) {
        let user = await tx.user.findUnique({ where: { email: r.email } });
        if (!user) {
          user = await tx.user.create({ data: { email: r.email, name: r.name } });
          newAccounts.push({ id: user.id, email: user.email, name: user.name });
        } else if (r.changed) {
          updated++;
          if (r.rename) await tx.user.update({ where: { id: user.id }, data: { name: r.name } });
        }
        await tx.membership.upsert({ where: { userId_courseId: { userId: user.id, courseId } }, create: { userId: user.id, courseId, role: r.role }, update: { role: r.role } });
        if (r.role !== CourseRole.STUDENT) await tx.teamMember.deleteMany({ where: { courseId, userId: user.id } });
        if (r.team) {
          const team = await tx.team.upsert({ where: { courseId_name: { courseId, name: r.team } }, create: { courseId, name: r.team }, update: {} });
          await tx.teamMember.deleteMany({ where: { courseId, userId: user.id, teamId: { not: team.id } } });
          await tx.teamMember.upsert({ where: { teamId_userId: { teamId: team.id, userId: user.id } }, create: { teamId: team.id, userId: user.id, courseId }, update: {} });
        }
      }
    }, { timeout: 60_000 });
    return { created: newAccounts.length, updated, newAccounts };
  }

  private async lastInstructorGuard(courseId: string, userId: string) {
    const m = !isUuid(userId) ? null : await this.deps.db.membership.findUnique({ where: { userId_courseId: { userId, courseId } } });
    if (!m) throw new NotFound("That person is not in this course.");
    if (m.role === CourseRole.INSTRUCTOR && (await this.deps.db.membership.count({ where: { courseId, role: CourseRole.INSTRUCTOR } })) === 1) {
      throw new Conflict("This is the course's only instructor. Add another instructor first.");
    }
    return m;
  }

  /** Gives a member another role; false when it is their role already (nothing to do, nothing refused). */
  async setRole(courseId: string, userId: string, role: CourseRole, actingUserId: string): Promise<boolean> {
    const current = !isUuid(userId) ? null : await this.deps.db.membership.findUnique({ where: { userId_courseId: { userId, courseId } } });
    if (current?.role === role) return false;
    if (userId === actingUserId) throw new Conflict("You cannot change your own role; ask another instructor.");
    const m = await this.lastInstructorGuard(courseId, userId);
    await this.deps.db.$transaction([
      this.deps.db.membership.update({ where: { id: m.id }, data: { role } }),
      ...(role !== CourseRole.STUDENT ? [this.deps.db.teamMember.deleteMany({ where: { courseId, userId } })] : []),
    ]);
    return true;
  }

  /**
   * What removing someone would do, for the confirmation page: who they are, their role and
   * team, and why it cannot be done (yourself; the course's only instructor), if so.
   */
  async removal(courseId: string, userId: string, actingUserId: string): Promise<Removal> {
    const m = !isUuid(userId) ? null : await this.deps.db.membership.findUnique({
      where: { userId_courseId: { userId, courseId } },
      include: { user: { select: { name: true, email: true, teamMembers: { where: { courseId }, select: { team: { select: { id: true, name: true } } } } } } },
    });
    if (!m) throw new NotFound("That person is not in this course (anymore). Go back to People to see who is.");
    let problem: string | null = null;
    if (userId === actingUserId) problem = "You cannot remove yourself from the course: ask another instructor to do it.";
    else if (m.role === CourseRole.INSTRUCTOR && (await this.deps.db.membership.count({ where: { courseId, role: CourseRole.INSTRUCTOR } })) === 1) {
      problem = "This is the course's only instructor, who cannot be removed. Add another instructor first.";
    }
    const team = m.user.teamMembers[0]?.team ?? null;
    return { userId, name: m.user.name, email: m.user.email, role: m.role, team, problem };
  }

  /** Removes someone from the course (their work stays); returns what restore() needs to undo it. */
  async remove(courseId: string, userId: string, actingUserId: string): Promise<Removal> {
    if (userId === actingUserId) throw new Conflict("You cannot remove yourself from the course; ask another instructor.");
    const m = await this.lastInstructorGuard(courseId, userId);
    const before = await this.removal(courseId, userId, actingUserId);
    await this.deps.db.$transaction([this.deps.db.teamMember.deleteMany({ where: { courseId, userId } }), this.deps.db.membership.delete({ where: { id: m.id } })]);
    return before;
  }

  /**
   * Undoes a removal: back in the course with the role and team they had (the team made again
   * by name if it was deleted meanwhile). Refused when they are in the course again already.
   */
  async restore(courseId: string, r: Pick<Removal, "userId" | "name" | "role" | "team">): Promise<void> {
    await this.deps.db.$transaction(async (tx) => {
      if (await tx.membership.findUnique({ where: { userId_courseId: { userId: r.userId, courseId } } })) {
        throw new Conflict(`${r.name} is in the course again already (added back since), so nothing was undone. Check their role and team on People.`);
      }
      await tx.membership.create({ data: { userId: r.userId, courseId, role: r.role } });
      if (r.team && r.role === CourseRole.STUDENT) {
        const team = await tx.team.upsert({ where: { courseId_name: { courseId, name: r.team.name } }, create: { courseId, name: r.team.name }, update: {} });
        await tx.teamMember.deleteMany({ where: { courseId, userId: r.userId } });
        await tx.teamMember.create({ data: { teamId: team.id, userId: r.userId, courseId } });
      }
    });
  }
}

/** Someone as they were in the course before being removed. */
export interface Removal {
  userId: string;
  name: string;
  email: string;
  role: CourseRole;
  team: { id: string; name: string } | null;
  /** Why they cannot be removed, or null. */
  problem: string | null;
}
