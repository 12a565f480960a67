import type { Db } from "../platform/db/prisma.js";
import { ContentCache } from "../platform/content-cache.js";

/**
 * Modules and readings. Content rows change only at a sync, so they are cached in-process
 * by content version (platform/content-cache.ts); what is a person's own (ticks, grades) never is.
 */
export class ReadingsService {
  private readonly content: ContentCache;

  constructor(private readonly deps: { db: Db; content?: ContentCache }) {
    this.content = deps.content ?? new ContentCache();
  }

  /** Other rows that only a sync changes (quiz and case-study lists), cached the same way. */
  cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    return this.content.get(`other:${key}`, load);
  }

  modules(courseId: string) {
    return this.content.get(`modules:${courseId}`, () => this.deps.db.module.findMany({
      where: { courseId },
      orderBy: [{ position: "asc" }, { title: "asc" }],
      include: { readings: { where: { archivedAt: null }, orderBy: { position: "asc" }, select: { slug: true, title: true, minutesMin: true, minutesMax: true } } },
    }));
  }

  module(courseId: string, slug: string) {
    return this.content.get(`module:${courseId}:${slug}`, () => this.deps.db.module.findUnique({ where: { courseId_slug: { courseId, slug } } }));
  }

  readings(moduleId: string) {
    return this.content.get(`readings:${moduleId}`, () => this.deps.db.reading.findMany({
      where: { moduleId, archivedAt: null },
      orderBy: { position: "asc" },
      select: { id: true, slug: true, title: true, minutesMin: true, minutesMax: true },
    }));
  }

  reading(moduleId: string, slug: string) {
    return this.content.get(`reading:${moduleId}:${slug}`, () => this.deps.db.reading.findFirst({ where: { moduleId, slug, archivedAt: null } }));
  }

  contentIssues() {
    return this.deps.db.contentIssue.findMany({ orderBy: [{ path: "asc" }, { line: "asc" }] });
  }
}

export function minutesLabel(min: number, max: number): string {
  const fmt = (m: number) => (m >= 90 ? `${Math.round((m / 60) * 10) / 10} h` : `${m} min`);
  return min === max ? `about ${fmt(min)}` : `${fmt(min)}–${fmt(max)}`;
}
