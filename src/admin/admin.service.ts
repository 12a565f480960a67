// The site administrator and courses: the first-run set-up, `npm run admin:create`,
// and course creation (page and `npm run course:create`). Used by admin.routes.ts and the scripts.
import { DateTime, IANAZone } from "luxon";
import { z } from "zod";
import { hashPassword } from "../auth/password.js";
import { CourseRole, type Db } from "../platform/db/prisma.js";
import { BadRequest, Conflict } from "../platform/errors.js";

export const MIN_PASSWORD = 8;

export const AdminInput = z.object({
  name: z.string().trim().min(1, "Enter the administrator's name.").max(200, "The name is too long (at most 200 characters)."),
  email: z
    .string()
    .trim()
    .toLowerCase()
    .max(320, "The email is too long.")
    .pipe(z.email({ message: "Enter a valid email address, such as ada@university.edu." })),
  password: z.string().min(MIN_PASSWORD, `The password must have at least ${MIN_PASSWORD} characters.`).max(1024, "The password is too long (at most 1024 characters)."),
});
export type AdminInput = z.infer<typeof AdminInput>;

/** The course slug as content files name it (content/content.files.ts checks `course:` with the same characters). */
const SLUG = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

export const CourseInput = z.object({
  slug: z
    .string()
    .trim()
    .min(1, "Enter the course's short name (its address, e.g. cnn-2027).")
    .max(64, "The short name is too long (at most 64 characters).")
    .regex(SLUG, "The short name may only have lowercase letters, digits and dashes (not at either end), e.g. cnn-2027."),
  title: z.string().trim().min(1, "Enter the course's title.").max(200, "The title is too long (at most 200 characters)."),
  timeZone: z
    .string()
    .trim()
    .min(1, "Enter the course's time zone, e.g. America/Denver.")
    .refine((tz) => IANAZone.isValidZone(tz), { message: "That is not a time zone name. Use an IANA name such as America/Denver, Europe/Berlin or UTC." }),
  startsOn: z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "Enter the start date as YYYY-MM-DD, e.g. 2027-01-11.")
    .refine((d) => DateTime.fromISO(d).isValid, { message: "The start date is not a real date." }),
});
export type CourseInput = z.infer<typeof CourseInput>;

/** Validates input with its schema; a BadRequest whose message lists every problem, in the schema's own words. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw new BadRequest(r.error.issues.map((i) => i.message).join(" "));
  return r.data;
}

export interface AdminServiceDeps {
  db: Db;
  /** Syncs the content files (the start-up sync), so modules naming a new course appear. */
  syncContent?: () => Promise<unknown>;
}

export interface CourseRow {
  slug: string;
  title: string;
  timeZone: string;
  startsAt: Date;
  modules: number;
  members: number;
}

const isUniqueViolation = (e: unknown) => (e as { code?: string }).code === "P2002";

export class AdminService {
  /** Once an administrator exists there is always one (none is removed through the platform), so it is asked once. */
  private adminKnown = false;
  private syncing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: AdminServiceDeps) {}

  async hasAdmin(): Promise<boolean> {
    if (!this.adminKnown) this.adminKnown = (await this.deps.db.user.count({ where: { isAdmin: true } })) > 0;
    return this.adminKnown;
  }

  /**
   * The first-run set-up: makes the site administrator unless one exists. Two set-ups at once
   * are serialised by a transaction-scoped lock, so exactly one succeeds.
   */
  async createFirstAdmin(input: AdminInput): Promise<{ id: string; name: string }> {
    const passwordHash = await hashPassword(input.password);
    const user = await this.deps.db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended('site-admin-setup', 0))`;
      if (await tx.user.count({ where: { isAdmin: true } })) {
        throw new Conflict("This platform already has an administrator, so set-up is closed. Sign in instead.");
      }
      if (await tx.user.findUnique({ where: { email: input.email } })) {
        throw new Conflict(`An account with the email ${input.email} already exists. Use another email here, or make that account the administrator with: npm run admin:create -- --email ${input.email} --promote`);
      }
      return tx.user.create({ data: { email: input.email, name: input.name, passwordHash, isAdmin: true } });
    });
    this.adminKnown = true;
    return { id: user.id, name: user.name };
  }

  /**
   * `npm run admin:create`: a new administrator, or (with `promote`) an existing account made one
   * (its name kept; its password replaced only when one is given).
   */
  async createAdmin(input: { name?: string; email: string; password?: string; promote: boolean }): Promise<{ created: boolean }> {
    const email = input.email.trim().toLowerCase();
    const existing = await this.deps.db.user.findUnique({ where: { email } });
    if (existing && !input.promote) {
      throw new Conflict(`An account with the email ${email} already exists. To make it an administrator, run the command again with --promote.`);
    }
    const passwordHash = input.password ? await hashPassword(input.password) : undefined;
    if (existing) {
      await this.deps.db.user.update({ where: { id: existing.id }, data: { isAdmin: true, ...(passwordHash ? { passwordHash } : {}) } });
      this.adminKnown = true;
      return { created: false };
    }
    if (!input.name || !passwordHash) throw new BadRequest("A new administrator needs a name and a password.");
    try {
      await this.deps.db.user.create({ data: { email, name: input.name, passwordHash, isAdmin: true } });
    } catch (e) {
      if (isUniqueViolation(e)) throw new Conflict(`An account with the email ${email} was created meanwhile. Run the command again with --promote to make it an administrator.`);
      throw e;
    }
    this.adminKnown = true;
    return { created: true };
  }

  /** Every course, newest first, with how many modules and people it has. */
  async courses(): Promise<CourseRow[]> {
    const rows = await this.deps.db.course.findMany({
      orderBy: [{ createdAt: "desc" }, { slug: "asc" }],
      include: { _count: { select: { modules: true, memberships: true } } },
    });
    return rows.map((c) => ({ slug: c.slug, title: c.title, timeZone: c.timeZone, startsAt: c.startsAt, modules: c._count.modules, members: c._count.memberships }));
  }

  /**
   * A new course, its creator (when given) its instructor; then the content is synced, so modules
   * and quizzes that name the course appear. The start date is midnight in the course's time zone.
   * Returns the sync's failure, if any: the course exists either way.
   */
  async createCourse(input: CourseInput, creator: { id: string } | null): Promise<{ slug: string; syncError: Error | null }> {
    const startsAt = DateTime.fromISO(input.startsOn, { zone: input.timeZone }).startOf("day").toJSDate();
    try {
      await this.deps.db.$transaction(async (tx) => {
        const course = await tx.course.create({ data: { slug: input.slug, title: input.title, timeZone: input.timeZone, startsAt } });
        if (creator) await tx.membership.create({ data: { courseId: course.id, userId: creator.id, role: CourseRole.INSTRUCTOR } });
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw new Conflict(`A course with the short name "${input.slug}" already exists. Choose another short name (it is the course's address, /courses/${input.slug}).`);
      throw e;
    }
    const sync = this.deps.syncContent;
    // One sync at a time: two courses created at once must not write the same modules together.
    const run = sync ? this.syncing.then(() => sync()).then(() => null, (e: unknown) => e as Error) : Promise.resolve(null);
    this.syncing = run.then(() => undefined);
    return { slug: input.slug, syncError: await run };
  }
}
