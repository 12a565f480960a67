import { DateTime } from "luxon";
import type { Db } from "../platform/db/prisma.js";
import { ChecklistSection } from "../platform/db/prisma.js";

export type Clock = () => Date;

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

export function dueAtFor(module: ModuleRef, section: ChecklistSection): Date | null {
  return section === ChecklistSection.THEORY ? module.theoryDueAt : module.practicalDueAt;
}

/** "due Friday 9:00" within the coming week, "due Fri, Dec 4, 9:00" further out, in the course's time zone. */
export function dueLabel(due: Date, timeZone: string, now: Date): string {
  const d = DateTime.fromJSDate(due).setZone(timeZone);
  const n = DateTime.fromJSDate(now).setZone(timeZone);
  const days = d.diff(n, "days").days;
  // With the zone's abbreviation (MST, GMT+1), so a student in another zone can convert it.
  if (days >= 0 && days < 6) return `due ${d.toFormat("cccc H:mm ZZZZ")}`;
  return `${days < 0 ? "was due" : "due"} ${d.toFormat("ccc, LLL d, H:mm ZZZZ")}`;
}

export class ChecklistService {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  /** Every current item of a module with the user's ticks, in reading then document order. */
  async items(module: ModuleRef, userId: string): Promise<ItemView[]> {
    const now = this.deps.clock();
    const rows = await this.deps.db.checklistItem.findMany({
      where: { moduleId: module.id, archivedAt: null, reading: { archivedAt: null } },
      include: { reading: { select: { slug: true, title: true, position: true } }, ticks: { where: { userId } } },
    });
    rows.sort((a, b) => a.reading.position - b.reading.position || a.position - b.position);
    return rows.map((r) => {
      const tick = r.ticks[0];
      const dueAt = dueAtFor(module, r.section);
      return {
        id: r.id, key: r.key, title: r.title, section: r.section, readingSlug: r.reading.slug, readingTitle: r.reading.title,
        anchor: r.anchor, href: r.href, done: Boolean(tick), completedAt: tick?.completedAt ?? null, dueAt,
        overdue: !tick && dueAt !== null && dueAt < now,
      };
    });
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
    const { db } = this.deps;
    if (done) {
      // One INSERT … ON CONFLICT DO NOTHING: safe when two tabs or a double click tick at once
      // (an upsert's read-then-write fails under that race).
      await db.checklistTick.createMany({ data: [{ itemId, userId, completedAt: this.deps.clock() }], skipDuplicates: true });
    } else {
      await db.checklistTick.deleteMany({ where: { itemId, userId } });
    }
  }
}
