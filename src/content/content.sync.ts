// Content files → database, at start-up and (in development) on change.
// A reading with errors keeps its last good version; items that disappear are
// archived, never deleted, so no student's ticks are lost.
import fs from "node:fs";
import type { Logger } from "pino";
import type { Db } from "../platform/db/prisma.js";
import type { GradeEvents } from "../platform/grade-events.js";
import { syncCaseStudies } from "../casestudy/casestudy.sync.js";
import { syncQuizzes } from "../quiz/quiz.sync.js";
import { loadContent, type FileIssue } from "./content.files.js";

export interface SyncResult {
  modules: number;
  readings: number;
  quizzes: number;
  issues: FileIssue[];
}

export interface SyncOptions {
  db: Db;
  contentDir: string;
  /** Quiz files (quizzes/); synced after the modules they may belong to. */
  quizDir?: string;
  /** Where generated case-study data goes (DATA_DIR); case studies are synced when set. */
  dataDir?: string;
  /** Generate missing case-study datasets in the background (default true). */
  prepareData?: boolean;
  /** Scales the sizes of generated case-study datasets (GENERATED_DATA_SCALE; default 1). */
  dataScale?: number;
  logger: Logger;
  /** Where quiz grades changed by a sync (a new grading method or pass mark) are published: the LMS passback. */
  grades?: GradeEvents;
}

/** Syncs the course content: modules and readings, then quizzes; every problem lands on the Content status page. */
export async function syncContent({ db, contentDir, quizDir, dataDir, prepareData, dataScale, logger, grades }: SyncOptions): Promise<SyncResult> {
  const courses = new Map((await db.course.findMany()).map((c) => [c.slug, c]));
  const { modules, issues } = loadContent(contentDir, (slug) => courses.get(slug) ?? { timeZone: "UTC", startsAt: new Date() });
  let readingCount = 0;
  const now = new Date();

  for (const m of modules) {
    const course = courses.get(m.settings.course);
    if (!course) {
      issues.push({ path: `${m.slug}/module.yaml`, line: 1, severity: "error", message: `course: there is no course "${m.settings.course}", so this module is not shown.` });
      continue;
    }
    await db.$transaction(async (tx) => {
      const data = {
        title: m.settings.title, position: m.settings.position, timeZone: m.timeZone, urlRoot: m.urlRoot,
        theoryDueAt: m.theoryDueAt, practicalDueAt: m.practicalDueAt, syncedAt: now,
      };
      const mod = await tx.module.upsert({
        where: { courseId_slug: { courseId: course.id, slug: m.slug } },
        create: { courseId: course.id, slug: m.slug, ...data },
        update: data,
      });
      const existing = new Map((await tx.reading.findMany({ where: { moduleId: mod.id } })).map((r) => [r.slug, r]));
      const present = new Set<string>();
      for (const r of m.readings) {
        const old = existing.get(r.slug);
        if (r.broken) {
          if (old) {
            present.add(r.slug);
            issues.push({ path: r.path, severity: "warning", message: "Students still see the last version of this file that loaded without errors." });
          }
          continue;
        }
        present.add(r.slug);
        readingCount++;
        const fields = {
          title: r.rendered.title, sourcePath: r.path, position: r.position, archivedAt: null,
          ...(old?.contentHash === r.hash
            ? {}
            : { contentHash: r.hash, html: r.rendered.html, tocHtml: r.rendered.tocHtml, minutesMin: r.rendered.estimatedMinutes.min, minutesMax: r.rendered.estimatedMinutes.max }),
        };
        const reading = old
          ? await tx.reading.update({ where: { id: old.id }, data: fields })
          : await tx.reading.create({
              data: { moduleId: mod.id, slug: r.slug, contentHash: r.hash, html: r.rendered.html, tocHtml: r.rendered.tocHtml, minutesMin: r.rendered.estimatedMinutes.min, minutesMax: r.rendered.estimatedMinutes.max, ...fields },
            });
        const keys = r.rendered.items.map((i) => i.key);
        for (const [position, item] of r.rendered.items.entries()) {
          const itemData = { section: item.section, title: item.title, anchor: item.anchor, href: item.href ?? null, position, archivedAt: null };
          await tx.checklistItem.upsert({
            where: { readingId_key: { readingId: reading.id, key: item.key } },
            create: { moduleId: mod.id, readingId: reading.id, key: item.key, ...itemData },
            update: itemData,
          });
        }
        await tx.checklistItem.updateMany({ where: { readingId: reading.id, key: { notIn: keys }, archivedAt: null }, data: { archivedAt: now } });
      }
      const gone = [...existing.values()].filter((r) => !present.has(r.slug) && !r.archivedAt).map((r) => r.id);
      if (gone.length) {
        await tx.reading.updateMany({ where: { id: { in: gone } }, data: { archivedAt: now } });
        await tx.checklistItem.updateMany({ where: { readingId: { in: gone }, archivedAt: null }, data: { archivedAt: now } });
      }
    });
  }

  if (dataDir) issues.push(...(await syncCaseStudies({ db, modules, contentDir, dataDir, logger, prepare: prepareData, dataScale })));

  let quizzes = 0;
  if (quizDir) {
    const q = await syncQuizzes({ db, quizDir, logger, grades });
    quizzes = q.quizzes;
    issues.push(...q.issues);
  }

  await db.$transaction([
    db.contentIssue.deleteMany({}),
    db.contentIssue.createMany({ data: issues.map((i) => ({ path: i.path, line: i.line ?? null, severity: i.severity, message: i.message })) }),
    // Last, after every content row is written: each web process sees the new number on its next
    // course request and drops its cached content rows (platform/content-cache.ts).
    db.contentVersion.upsert({ where: { id: 1 }, create: { id: 1, version: 1, syncedAt: now }, update: { version: { increment: 1 }, syncedAt: now } }),
  ]);
  for (const i of issues) logger[i.severity === "error" ? "error" : "warn"]({ file: i.path, line: i.line }, `content: ${i.message}`);
  logger.info({ modules: modules.length, readings: readingCount, problems: issues.length }, "content synced");
  return { modules: modules.length, readings: readingCount, quizzes, issues };
}

/** Re-syncs shortly after any change under the content or quiz folder (development). Returns a function that stops watching. */
export function watchContent(opts: SyncOptions): () => void {
  let timer: NodeJS.Timeout | undefined;
  let running = Promise.resolve();
  const onChange = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(() => syncContent(opts).then(() => undefined, (err) => opts.logger.error({ err }, "content sync failed")));
    }, 200);
  };
  const watchers = [opts.contentDir, opts.quizDir].filter((d): d is string => !!d && fs.existsSync(d)).map((d) => fs.watch(d, { recursive: true }, onChange));
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
