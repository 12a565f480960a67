// content/<module>/case-study.yaml → CaseStudy rows, with the readings sync. A file
// with errors keeps the last good settings; errors go to the Content status page.
import { DateTime } from "luxon";
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import type { Db } from "../platform/db/prisma.js";
import { parseYamlFile, type FileIssue } from "../platform/yaml-file.js";
import type { LoadedModule } from "../readings/content.js";
import { CaseStudyFile } from "./casestudy.definition.js";
import { dataPaths, holdoutVersion, prepareData } from "./casestudy.data.js";

export async function syncCaseStudies(opts: { db: Db; modules: LoadedModule[]; contentDir: string; dataDir: string; logger: Logger; prepare?: boolean }): Promise<FileIssue[]> {
  const { db, modules, dataDir, logger } = opts;
  const issues: FileIssue[] = [];
  for (const m of modules) {
    const file = path.join(m.dir, "case-study.yaml");
    if (!fs.existsSync(file)) continue;
    const rel = path.relative(path.dirname(path.resolve(opts.contentDir)), file);
    const { data, issues: fileIssues, lineOf } = parseYamlFile(CaseStudyFile, fs.readFileSync(file, "utf8"), rel, { knownKeys: (p) => (p.length ? undefined : Object.keys(CaseStudyFile.shape)) });
    issues.push(...fileIssues);
    if (!data) continue;
    if (data.brief && !m.readings.some((r) => r.slug === data.brief)) issues.push({ path: rel, line: lineOf(["brief"]), severity: "warning", message: `brief: there is no reading "${data.brief}" in this module.` });
    const course = await db.course.findUnique({ where: { slug: m.settings.course } });
    const mod = course && (await db.module.findUnique({ where: { courseId_slug: { courseId: course.id, slug: m.slug } } }));
    if (!course || !mod) continue;
    const at = (s: string) => DateTime.fromISO(s, { zone: m.timeZone }).toJSDate();
    const paths = dataPaths(data, dataDir);
    if (!paths.generated && !fs.existsSync(path.join(paths.holdout, "labels.csv"))) {
      issues.push({ path: rel, line: lineOf(["data", "holdoutDir"]), severity: "error", message: `data.holdoutDir: ${paths.holdout} has no labels.csv, so submissions cannot be scored.` });
    }
    const row = { title: data.title, settings: data as object, opensAt: data.opens ? at(data.opens) : null, deadlineAt: at(data.deadline), holdoutVersion: holdoutVersion(data, paths), moduleId: mod.id };
    await db.caseStudy.upsert({ where: { courseId_slug: { courseId: course.id, slug: m.slug } }, create: { courseId: course.id, slug: m.slug, ...row }, update: row });
    if (opts.prepare !== false) prepareData(data, paths, logger).catch((err) => logger.error({ err }, "the case-study dataset could not be generated"));
  }
  return issues;
}
