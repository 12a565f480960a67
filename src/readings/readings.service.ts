import type { Db } from "../platform/db/prisma.js";

export class ReadingsService {
  constructor(private readonly deps: { db: Db }) {}

  modules(courseId: string) {
    return this.deps.db.module.findMany({
      where: { courseId },
      orderBy: [{ position: "asc" }, { title: "asc" }],
      include: { readings: { where: { archivedAt: null }, orderBy: { position: "asc" }, select: { slug: true, title: true, minutesMin: true, minutesMax: true } } },
    });
  }

  module(courseId: string, slug: string) {
    return this.deps.db.module.findUnique({ where: { courseId_slug: { courseId, slug } } });
  }

  readings(moduleId: string) {
    return this.deps.db.reading.findMany({
      where: { moduleId, archivedAt: null },
      orderBy: { position: "asc" },
      select: { id: true, slug: true, title: true, minutesMin: true, minutesMax: true },
    });
  }

  reading(moduleId: string, slug: string) {
    return this.deps.db.reading.findFirst({ where: { moduleId, slug, archivedAt: null } });
  }

  item(moduleId: string, itemId: string) {
    return this.deps.db.checklistItem.findFirst({ where: { id: itemId, moduleId, archivedAt: null, reading: { archivedAt: null } } });
  }

  contentIssues() {
    return this.deps.db.contentIssue.findMany({ orderBy: [{ path: "asc" }, { line: "asc" }] });
  }
}

export function minutesLabel(min: number, max: number): string {
  const fmt = (m: number) => (m >= 90 ? `${Math.round((m / 60) * 10) / 10} h` : `${m} min`);
  return min === max ? `about ${fmt(min)}` : `${fmt(min)}–${fmt(max)}`;
}
