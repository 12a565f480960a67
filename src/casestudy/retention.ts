// What is kept of uploads on disk. Scored submissions keep their file (the graded artefact,
// downloadable by staff); a refused upload's file is deleted at once (its row keeps the name,
// size and reason); a failed submission's file is deleted once it has been failed for the
// retention period (FAILED_UPLOAD_RETENTION_DAYS), its row kept. Files of the grader's own
// failures stay: they are not the team's fault and staff may rescore them.
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { SubmissionStatus, type Db } from "../platform/db/prisma.js";

/** Failed submissions' files are kept this many days by default. */
export const DEFAULT_RETENTION_DAYS = 7;
/** How often a worker looks for files past their retention. */
export const SWEEP_EVERY_MS = 60 * 60_000;

/** A submission's own folder under DATA_DIR (where create() put its file). */
export function submissionDir(dataDir: string, submissionId: string): string {
  return path.join(dataDir, "submissions", submissionId);
}

/**
 * Deletes the files of submissions that failed (for the team's model, not the grader's
 * problem) more than `retentionDays` before `now`, and marks their rows. Returns their ids.
 */
export async function sweepFailedUploads(deps: { db: Db; dataDir: string; logger?: Logger }, { now = new Date(), retentionDays = DEFAULT_RETENTION_DAYS }: { now?: Date; retentionDays?: number } = {}): Promise<string[]> {
  const { db } = deps;
  const before = new Date(now.getTime() - retentionDays * 24 * 60 * 60_000);
  const due = await db.submission.findMany({
    where: {
      status: SubmissionStatus.FAILED, fileRemovedAt: null, results: { none: {} }, // a file that was ever scored is the graded artefact
      AND: [{ OR: [{ errorCode: null }, { errorCode: { not: "grader_error" } }] }, { OR: [{ finishedAt: { lt: before } }, { finishedAt: null, createdAt: { lt: before } }] }],
    },
    select: { id: true },
  });
  const removed: string[] = [];
  for (const { id } of due) {
    // Marked first, and only while still failed: a submission rescored meanwhile keeps its file.
    const n = await db.submission.updateMany({ where: { id, status: SubmissionStatus.FAILED, fileRemovedAt: null }, data: { fileRemovedAt: now } });
    if (!n.count) continue;
    fs.rmSync(submissionDir(deps.dataDir, id), { recursive: true, force: true });
    removed.push(id);
  }
  if (removed.length) deps.logger?.info({ removed: removed.length, retentionDays }, "files of failed submissions past their retention deleted");
  return removed;
}
