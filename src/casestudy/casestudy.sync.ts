// content/<module>/case-study.yaml → CaseStudy rows, called by the content sync (content/content.sync.ts). A file
// with errors keeps the last good settings; errors go to the Content status page.
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { resolveCourseDate } from "../platform/course-dates.js";
import type { Db } from "../platform/db/prisma.js";
import { parseYamlFile, type FileIssue } from "../platform/yaml-file.js";
import { CaseStudyFile } from "./casestudy.definition.js";
import { HoldoutSecretInvalid } from "../grading/dataset/secret.js";
import { dataPaths, holdoutVersion, prepareData, type DataPaths } from "./casestudy.data.js";

/** A generated dataset's sizes times `scale` (GENERATED_DATA_SCALE), keeping every class in each set. */
function scaled(data: CaseStudyFile, scale: number): CaseStudyFile {
  if (scale === 1 || !("generate" in data.data)) return data;
  const g = data.data.generate;
  const size = (n: number, least: number) => Math.max(least, Math.round(n * scale));
  return { ...data, data: { generate: { ...g, trainPerClass: size(g.trainPerClass, 2), miniHoldout: size(g.miniHoldout, 43), holdout: size(g.holdout, 43) } } };
}

/** What the case-study sync needs of a module folder that content/ loaded (its case-study.yaml sits beside module.yaml). */
export interface ModuleFolder {
  slug: string;
  dir: string;
  timeZone: string;
  settings: { course: string };
  readings: { slug: string }[];
}

export async function syncCaseStudies(opts: { db: Db; modules: ModuleFolder[]; contentDir: string; dataDir: string; logger: Logger; prepare?: boolean; dataScale?: number }): Promise<FileIssue[]> {
  const { db, modules, dataDir, logger } = opts;
  const issues: FileIssue[] = [];
  for (const m of modules) {
    const file = path.join(m.dir, "case-study.yaml");
    if (!fs.existsSync(file)) continue;
    const rel = path.relative(path.dirname(path.resolve(opts.contentDir)), file);
    const { data: parsed, issues: fileIssues, lineOf } = parseYamlFile(CaseStudyFile, fs.readFileSync(file, "utf8"), rel, { knownKeys: (p) => (p.length ? undefined : Object.keys(CaseStudyFile.shape)) });
    issues.push(...fileIssues);
    if (!parsed) continue;
    const data = scaled(parsed, opts.dataScale ?? 1);
    if (data.brief && !m.readings.some((r) => r.slug === data.brief)) issues.push({ path: rel, line: lineOf(["brief"]), severity: "warning", message: `brief: there is no reading "${data.brief}" in this module.` });
    const course = await db.course.findUnique({ where: { slug: m.settings.course } });
    const mod = course && (await db.module.findUnique({ where: { courseId_slug: { courseId: course.id, slug: m.slug } } }));
    if (!course || !mod) continue;
    const at = (s: string) => resolveCourseDate(s, { timeZone: m.timeZone, startsAt: course.startsAt });
    let paths: DataPaths;
    try {
      paths = dataPaths(data, dataDir);
    } catch (e) {
      if (!(e instanceof HoldoutSecretInvalid)) throw e;
      issues.push({ path: rel, line: lineOf(["data"]), severity: "error", message: `The holdout secret cannot be read, so this case study keeps its last settings: ${e.message}` });
      continue;
    }
    if (!paths.generated && !fs.existsSync(path.join(paths.holdout, "labels.csv"))) {
      issues.push({ path: rel, line: lineOf(["data", "holdoutDir"]), severity: "error", message: `data.holdoutDir: ${paths.holdout} has no labels.csv, so submissions cannot be scored.` });
    }
    const row = { title: data.title, settings: data as object, opensAt: data.opens ? at(data.opens) : null, deadlineAt: at(data.deadline), holdoutVersion: holdoutVersion(data, paths), moduleId: mod.id };
    const cs = await db.caseStudy.upsert({ where: { courseId_slug: { courseId: course.id, slug: m.slug } }, create: { courseId: course.id, slug: m.slug, ...row }, update: row });
    // A new holdout or rule (such as the move from the public-seed holdout to this
    // installation's secret one): results under the old one still count until rescored.
    const stale = await db.submissionResult.count({ where: { current: true, holdoutVersion: { not: cs.holdoutVersion }, submission: { caseStudyId: cs.id } } });
    if (stale) {
      issues.push({
        path: rel, line: lineOf(["data"]), severity: "warning",
        message: `The holdout or scoring rule has changed: ${stale} submission${stale === 1 ? " still counts" : "s still count"} with ${stale === 1 ? "its score" : "their scores"} on the previous one. On the case study's staff page, use "Rescore everything not scored under the current holdout and rule".`,
      });
    }
    if (opts.prepare !== false) prepareData(data, paths, logger).catch((err) => logger.error({ err }, "the case-study dataset could not be generated"));
  }
  return issues;
}
