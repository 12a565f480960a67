import { DateTime } from "luxon";
import type pg from "pg";
import type { Clock } from "../platform/clock.js";
import type { Db } from "../platform/db/prisma.js";
import { ChecklistSection } from "../platform/db/prisma.js";
import { ContentCache } from "../platform/content-cache.js";
import { readParts, utc, type SqlPart } from "../platform/sql-parts.js";
import { courseScopedPart, courseScopedValue, type SessionContextPart, type SessionUser } from "../platform/session-user.js";


export interface ModuleRef {
  id: string;
  timeZone: string;
  theoryDueAt: Date | null;
  practicalDueAt: Date | null;
}

export interface ItemView {
  id: string;
  key: string;
  title: string;
  section: ChecklistSection;
  readingSlug: string;
  readingTitle: string;
  anchor: string;
  href: string | null;
  done: boolean;
  completedAt: Date | null;
  dueAt: Date | null;
  overdue: boolean;
}

export interface SectionProgress {
  section: ChecklistSection;
  label: string;
  done: number;
  total: number;
  percent: number;
  dueAt: Date | null;
  dueLabel: string | null;
  overdue: boolean;
}

export const SECTION_LABEL: Record<ChecklistSection, string> = { THEORY: "Theory", PRACTICAL: "Practical" };

const TICKS_PART = "checklistTicks";

/** A tick as itemsPart reads it (its value: a JSON array of these). */
const TICK_JSON = `json_build_object('itemId', t."itemId", 'completedAt', t."completedAt")`;

/**
 * The signed-in user's ticks in every module of the course whose slug `args` gives, read with the
 * session's statement (a page that shows them then needs no statement of its own: ticksFromSession).
 */
export function checklistTicksInSession(args: NonNullable<SessionContextPart["args"]>): SessionContextPart {
  return courseScopedPart(TICKS_PART, `(SELECT COALESCE(json_agg(${TICK_JSON}), '[]'::json)
       FROM "ChecklistTick" t JOIN "ChecklistItem" i ON i.id = t."itemId" JOIN "Module" m ON m.id = i."moduleId" JOIN "Course" c ON c.id = m."courseId"
       WHERE t."userId" = u.id AND c.slug = $1::text)`, args);
}

/** The value of itemsPart for any modules of the course, when the session's statement read it (else undefined). */
export function ticksFromSession(user: SessionUser, courseSlug: string): unknown {
  return courseScopedValue(user, TICKS_PART, courseSlug);
}

export function dueAtFor(module: ModuleRef, section: ChecklistSection): Date | null {
  return section === ChecklistSection.THEORY ? module.theoryDueAt : module.practicalDueAt;
}

/** Labels by due time, zone, minute of "now" and whether it has passed: working in a zone costs more than the rest of a page's checklist. */
const dueLabels = new Map<string, string>();

/**
 * "due Friday 9:00 MST" within the coming six days, "due Fri, Dec 4, 9:00 MST" further out, "was due …"
 * once passed, in the course's time zone (with the zone's abbreviation, so a student elsewhere can
 * convert it). Kept per minute of `now`: which of the two wordings of the same time a page shows may
 * switch up to a minute late; whether the time has passed is exact.
 */
export function dueLabel(due: Date, timeZone: string, now: Date): string {
  const passed = due.getTime() < now.getTime();
  const key = `${due.getTime()} ${timeZone} ${Math.floor(now.getTime() / 60_000)} ${passed}`;
  let label = dueLabels.get(key);
  if (label === undefined) {
    const at = DateTime.fromJSDate(due).setZone(timeZone);
    const days = at.diff(DateTime.fromJSDate(now).setZone(timeZone), "days").days;
    label = !passed && days < 6 ? `due ${at.toFormat("cccc H:mm ZZZZ")}` : `${passed ? "was due" : "due"} ${at.toFormat("ccc, LLL d, H:mm ZZZZ")}`;
    if (dueLabels.size >= 2000) dueLabels.clear();
    dueLabels.set(key, label);
  }
  return label;
}

export class ChecklistService {
  private readonly content: ContentCache;

  constructor(private readonly deps: { db: Db; sql: pg.Pool; clock: Clock; content?: ContentCache }) {
    this.content = deps.content ?? new ContentCache();
  }

  /** A module's current items in reading then document order: content, cached until the next sync. */
  private moduleItems(moduleId: string) {
    return this.content.get(`checklist:${moduleId}`, async () => {
      const rows = await this.deps.db.checklistItem.findMany({
        where: { moduleId, archivedAt: null, reading: { archivedAt: null } },
        include: { reading: { select: { slug: true, title: true, position: true } } },
      });
      return rows.sort((a, b) => a.reading.position - b.reading.position || a.position - b.position);
    });
  }

  /** A current item of the module, or null (archived, another module's, or never was). */
  async item(moduleId: string, itemId: string) {
    return (await this.moduleItems(moduleId)).find((i) => i.id === itemId) ?? null;
  }

  /**
   * Every current item of a module with the user's ticks, in reading then document order; `ticks`: the
   * ticks as the session's statement read them (ticksFromSession), when it did — else read here.
   */
  async items(module: ModuleRef, userId: string, ticks?: unknown): Promise<ItemView[]> {
    return (await this.itemsOf([module], userId, ticks)).get(module.id)!;
  }

  /** `items` for several modules: the ticks of all of them in one statement. */
  async itemsOf(modules: ModuleRef[], userId: string, ticks?: unknown): Promise<Map<string, ItemView[]>> {
    return (await readParts(this.deps.sql, { items: this.itemsPart(modules, userId) }, { items: ticks })).items;
  }

  /**
   * `itemsOf` as a part of a page's one statement (platform/sql-parts.ts): the user's ticks in the
   * modules, as JSON (times stored as UTC timestamps, as Prisma stores them), joined to the modules'
   * items from the content cache. Plain SQL on the pg pool: through Prisma the same read costs the
   * server about three times the CPU.
   */
  itemsPart(modules: ModuleRef[], userId: string): SqlPart<Map<string, ItemView[]>> {
    const now = this.deps.clock();
    const items = Promise.all(modules.map((m) => this.moduleItems(m.id)));
    items.catch(() => {}); // awaited in read(); a failure is reported there
    return {
      sql: `SELECT COALESCE(json_agg(${TICK_JSON}), '[]'::json)
       FROM "ChecklistTick" t JOIN "ChecklistItem" i ON i.id = t."itemId"
       WHERE t."userId" = $1 AND i."moduleId" = ANY($2::uuid[])`,
      values: [userId, modules.map((m) => m.id)],
      read: async (value) => {
        const rows = await items;
        const ticks = new Map((value as { itemId: string; completedAt: string }[]).map((t) => [t.itemId, utc(t.completedAt)]));
        return new Map(modules.map((module, k) => [module.id, rows[k]!.map((r) => {
          const completedAt = ticks.get(r.id) ?? null;
          const dueAt = dueAtFor(module, r.section);
          return {
            id: r.id, key: r.key, title: r.title, section: r.section, readingSlug: r.reading.slug, readingTitle: r.reading.title,
            anchor: r.anchor, href: r.href, done: completedAt !== null, completedAt, dueAt,
            overdue: completedAt === null && dueAt !== null && dueAt < now,
          };
        })]));
      },
    };
  }

  progress(module: ModuleRef, items: ItemView[]): SectionProgress[] {
    const now = this.deps.clock();
    return [ChecklistSection.THEORY, ChecklistSection.PRACTICAL].map((section) => {
      const mine = items.filter((i) => i.section === section);
      const done = mine.filter((i) => i.done).length;
      const dueAt = dueAtFor(module, section);
      return {
        section, label: SECTION_LABEL[section], done, total: mine.length,
        percent: mine.length ? Math.round((100 * done) / mine.length) : 0,
        dueAt, dueLabel: dueAt ? dueLabel(dueAt, module.timeZone, now) : null,
        overdue: dueAt !== null && dueAt < now && done < mine.length,
      };
    });
  }

  /** The first unfinished item, by due time then order. */
  nextDue(items: ItemView[]): ItemView | null {
    const open = items.filter((i) => !i.done);
    open.sort((a, b) => (a.dueAt?.getTime() ?? Infinity) - (b.dueAt?.getTime() ?? Infinity));
    return open[0] ?? null;
  }

  /** Ticks or unticks; repeating either is harmless and keeps the first completion time. */
  async setDone(itemId: string, userId: string, done: boolean): Promise<void> {
    const { sql } = this.deps;
    if (done) {
      // One INSERT … ON CONFLICT DO NOTHING: safe when two tabs or a double click tick at once
      // (an upsert's read-then-write fails under that race). Times are stored as UTC, as Prisma does.
      await sql.query({
        name: "checklist.tick",
        text: `INSERT INTO "ChecklistTick" ("itemId", "userId", "completedAt") VALUES ($1, $2, $3::timestamptz AT TIME ZONE 'UTC') ON CONFLICT DO NOTHING`,
        values: [itemId, userId, this.deps.clock().toISOString()],
      });
    } else {
      await sql.query({ name: "checklist.untick", text: `DELETE FROM "ChecklistTick" WHERE "itemId" = $1 AND "userId" = $2`, values: [itemId, userId] });
    }
  }
}
