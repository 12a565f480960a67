// Reads a content folder (content/<module>/module.yaml + *.md) into validated,
// rendered modules, without touching the database: used by the sync at start-up
// and by `npm run content:check`. Every problem is reported for its own file and
// line; one bad file never stops the others.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { DateTime } from "luxon";
import { z } from "zod";
import { courseDateTime, resolveCourseDate, type CourseTime } from "../platform/course-dates.js";
import { parseYamlFile, type FileIssue } from "../platform/yaml-file.js";
import { renderReading, type RenderedReading } from "../platform/markdown.js";

/** Bump when rendering changes, so cached HTML is rebuilt. */
export const RENDERER_VERSION = "2";

export const ModuleSettings = z
  .object({
    course: z.string({ message: "must name the course by its slug, e.g. cnn" }).regex(/^[a-z0-9-]+$/, "must be a course slug (lowercase letters, digits, dashes)"),
    title: z.string({ message: "is required" }).min(1, "must not be empty"),
    position: z.number().int().default(0),
    timeZone: z.string().refine((tz) => DateTime.now().setZone(tz).isValid, "is not a time zone; use an IANA name such as America/Denver").optional(),
    theoryDue: courseDateTime().describe("when Theory is due: the Friday preparation quiz"),
    practicalDue: courseDateTime("2026-11-30T09:00").describe("when Practical is due: the Monday case-study start"),
    urlRoot: z.string().regex(/^(\/|https:\/\/)/, "must start with / or https://").optional(),
    readings: z.array(z.string().regex(/^[\w-]+$/, "must be a reading's file name without .md")).optional(),
  })
  .strict();
export type ModuleSettings = z.infer<typeof ModuleSettings>;

export type { FileIssue };

export interface LoadedReading {
  slug: string;
  path: string;
  position: number;
  hash: string;
  rendered: RenderedReading;
  /** True when the file has errors and must not replace what students see. */
  broken: boolean;
}

export interface LoadedModule {
  slug: string;
  dir: string;
  settings: ModuleSettings;
  timeZone: string;
  urlRoot: string;
  theoryDueAt: Date;
  practicalDueAt: Date;
  readings: LoadedReading[];
}

export interface LoadedContent {
  modules: LoadedModule[];
  issues: FileIssue[];
}

export function readingBase(courseSlug: string, moduleSlug: string) {
  return `/courses/${courseSlug}/modules/${moduleSlug}/readings`;
}

export function parseModuleSettings(text: string, file: string): { settings?: ModuleSettings; issues: FileIssue[]; lineOf: (p: PropertyKey[]) => number } {
  const { data, issues, lineOf } = parseYamlFile(ModuleSettings, text, file, { knownKeys: () => Object.keys(ModuleSettings.shape) });
  return { settings: data, issues, lineOf };
}

/**
 * Loads every module under `contentDir`. `courseTime` supplies a course's time zone (used
 * when a module.yaml names none) and its start (where relative dates count from); without
 * a database, UTC and now.
 */
export function loadContent(contentDir: string, courseTime: (courseSlug: string) => CourseTime = () => ({ timeZone: "UTC", startsAt: new Date() })): LoadedContent {
  const issues: FileIssue[] = [];
  const modules: LoadedModule[] = [];
  const rel = (p: string) => path.relative(path.dirname(path.resolve(contentDir)), p);
  if (!fs.existsSync(contentDir)) return { modules, issues: [{ path: contentDir, severity: "error", message: "The content folder does not exist." }] };

  for (const entry of fs.readdirSync(contentDir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const dir = path.join(contentDir, entry.name);
    const settingsFile = path.join(dir, "module.yaml");
    const mdFiles = fs.readdirSync(dir).filter((f) => f.endsWith(".md")).sort();
    if (!fs.existsSync(settingsFile)) {
      if (mdFiles.length) issues.push({ path: rel(dir), severity: "error", message: "This folder has readings but no module.yaml, so none of them is shown. Add module.yaml (see README)." });
      continue;
    }
    if (!/^[a-z0-9-]+$/.test(entry.name)) {
      issues.push({ path: rel(dir), severity: "error", message: "A module folder's name must be lowercase letters, digits and dashes (it becomes the address)." });
      continue;
    }
    const { settings, issues: settingIssues, lineOf: settingsLine } = parseModuleSettings(fs.readFileSync(settingsFile, "utf8"), rel(settingsFile));
    issues.push(...settingIssues);
    // A module whose settings are invalid cannot load, but its readings are still checked
    // (with the default addresses) so authors see every problem at once.
    const urlRoot = settings?.urlRoot ?? `/content/${entry.name}`;
    const base = readingBase(settings?.course ?? "course", entry.name);
    const slugs = mdFiles.map((f) => f.slice(0, -3));
    const known = new Set(slugs);
    const listed = settings?.readings ?? [];
    for (const [i, name] of listed.entries()) {
      if (!known.has(name)) issues.push({ path: rel(settingsFile), line: settingsLine(["readings", i]), severity: "warning", message: `readings: "${name}" has no file ${name}.md in this folder.` });
    }
    const order = (slug: string) => {
      const i = listed.indexOf(slug);
      return i >= 0 ? i : listed.length + slugs.indexOf(slug);
    };
    const readings: LoadedReading[] = [];
    for (const slug of slugs) {
      if (!/^[\w-]+$/.test(slug)) {
        issues.push({ path: rel(path.join(dir, `${slug}.md`)), severity: "error", message: "A reading's file name may only have letters, digits, dashes and underscores (it becomes the address)." });
        continue;
      }
      const file = path.join(dir, `${slug}.md`);
      const source = fs.readFileSync(file, "utf8");
      const rendered = renderReading(source, { urlRoot, readingBase: base, knownReadings: known });
      const fileIssues = rendered.issues.map((i) => ({ ...i, path: rel(file) }));
      issues.push(...fileIssues);
      const hash = crypto.createHash("sha256").update(JSON.stringify([RENDERER_VERSION, source, urlRoot, base, [...known].sort()])).digest("hex");
      readings.push({ slug, path: rel(file), position: order(slug), hash, rendered, broken: fileIssues.some((i) => i.severity === "error") });
    }
    if (!settings) continue;
    readings.sort((a, b) => a.position - b.position);
    const course = courseTime(settings.course);
    const timeZone = settings.timeZone ?? course.timeZone;
    const due = (s: string) => resolveCourseDate(s, { timeZone, startsAt: course.startsAt });
    modules.push({ slug: entry.name, dir, settings, timeZone, urlRoot, theoryDueAt: due(settings.theoryDue), practicalDueAt: due(settings.practicalDue), readings });
  }
  return { modules, issues };
}

export function formatIssues(issues: FileIssue[]): string {
  return issues.map((i) => `${i.path}${i.line ? `:${i.line}` : ""}: ${i.severity}: ${i.message}`).join("\n");
}
