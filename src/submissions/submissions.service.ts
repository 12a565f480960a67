// Case-study submissions: limits (daily, total, cooldown — failed runs never count),
// storing uploads, final choices, the leaderboard and what each person may see of it.
import { DateTime } from "luxon";
import fs from "node:fs";
import path from "node:path";
import type { Clock } from "../checklist/checklist.service.js";
import type { CaseStudyFile } from "../casestudy/casestudy.definition.js";
import { SubmissionStatus, type Db } from "../platform/db/prisma.js";
import { Forbidden, TooManyRequests } from "../platform/errors.js";

export type CaseStudyRow = NonNullable<Awaited<ReturnType<Db["caseStudy"]["findFirst"]>>>;
export type SubmissionRow = NonNullable<Awaited<ReturnType<Db["submission"]["findFirst"]>>>;

export function settingsOf(cs: CaseStudyRow): CaseStudyFile {
  return cs.settings as unknown as CaseStudyFile;
}

export interface LimitState {
  usedToday: number;
  perDay: number;
  usedTotal: number;
  total: number;
  resetsAt: Date;
  cooldownUntil: Date | null;
  /** Why the team cannot submit now, or null. */
  blocked: string | null;
}

/** Private scores are shown after the deadline, or once an instructor reveals them. */
export function privateVisible(cs: CaseStudyRow, now: Date): boolean {
  return now >= cs.deadlineAt || cs.revealedAt !== null;
}

export class SubmissionsService {
  constructor(private readonly deps: { db: Db; clock: Clock; dataDir: string; timeZone?: string }) {}

  now() {
    return this.deps.clock();
  }

  caseStudy(courseId: string, slug: string) {
    return this.deps.db.caseStudy.findFirst({ where: { courseId, slug } });
  }

  caseStudies(courseId: string) {
    return this.deps.db.caseStudy.findMany({ where: { courseId }, orderBy: { deadlineAt: "asc" } });
  }

  async limits(cs: CaseStudyRow, teamId: string, timeZone: string, db: Pick<Db, "submission"> = this.deps.db): Promise<LimitState> {
    const s = settingsOf(cs).limits;
    const now = this.now();
    const dayStart = DateTime.fromJSDate(now, { zone: timeZone }).startOf("day");
    const counted = { caseStudyId: cs.id, teamId, status: { not: SubmissionStatus.FAILED } };
    const usedToday = await db.submission.count({ where: { ...counted, createdAt: { gte: dayStart.toJSDate() } } });
    const usedTotal = await db.submission.count({ where: counted });
    const last = await db.submission.findFirst({ where: counted, orderBy: { createdAt: "desc" }, select: { createdAt: true } });
    const cooldownUntil = last && s.cooldownMinutes ? new Date(last.createdAt.getTime() + s.cooldownMinutes * 60_000) : null;
    const resetsAt = dayStart.plus({ days: 1 }).toJSDate();
    let blocked: string | null = null;
    if (cs.opensAt && now < cs.opensAt) blocked = `The case study opens ${DateTime.fromJSDate(cs.opensAt, { zone: timeZone }).toFormat("cccc d LLLL 'at' HH:mm ZZZZ")}.`;
    else if (now >= cs.deadlineAt) blocked = "The deadline has passed; no more submissions are accepted.";
    else if (usedTotal >= s.total) blocked = `Your team has used all ${s.total} submissions.`;
    else if (usedToday >= s.perDay) blocked = `Your team has used today's ${s.perDay} submissions; more from ${DateTime.fromJSDate(resetsAt, { zone: timeZone }).toFormat("ccc d LLL, HH:mm ZZZZ")}.`;
    else if (cooldownUntil && now < cooldownUntil) blocked = `Please wait until ${DateTime.fromJSDate(cooldownUntil, { zone: timeZone }).toFormat("HH:mm:ss ZZZZ")} before the next submission (a ${s.cooldownMinutes}-minute pause between submissions keeps the holdout from being probed).`;
    return { usedToday, perDay: s.perDay, usedTotal, total: s.total, resetsAt, cooldownUntil: cooldownUntil && cooldownUntil > now ? cooldownUntil : null, blocked };
  }

  /**
   * Records an upload (already on disk at `tempFile`) as the team's next submission,
   * if the limits allow; serialised per team so two uploads at once cannot both slip
   * under a limit. Returns the new submission (QUEUED).
   */
  async create(cs: CaseStudyRow, team: { id: string }, userId: string, upload: { tempFile: string; filename: string; bytes: number }, timeZone: string): Promise<SubmissionRow> {
    const { db } = this.deps;
    return db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`submit:${cs.id}:${team.id}`}))`;
      const state = await this.limits(cs, team.id, timeZone, tx);
      if (state.blocked) throw new TooManyRequests(`${state.blocked} Nothing was uploaded.`);
      const last = await tx.submission.findFirst({ where: { caseStudyId: cs.id, teamId: team.id }, orderBy: { number: "desc" }, select: { number: true } });
      const sub = await tx.submission.create({
        data: { caseStudyId: cs.id, teamId: team.id, userId, number: (last?.number ?? 0) + 1, filename: upload.filename, storedPath: "", bytes: upload.bytes, createdAt: this.now() },
      });
      const dir = path.join(this.deps.dataDir, "submissions", sub.id);
      fs.mkdirSync(dir, { recursive: true });
      const stored = path.join(dir, upload.filename);
      fs.renameSync(upload.tempFile, stored);
      return tx.submission.update({ where: { id: sub.id }, data: { storedPath: stored } });
    }, { timeout: 20_000 });
  }

  submission(id: string) {
    return this.deps.db.submission.findUnique({ where: { id }, include: { results: { where: { current: true } }, overrides: { orderBy: { createdAt: "desc" }, include: { by: { select: { name: true } } } }, team: true, user: { select: { name: true } } } });
  }

  /** What the status poll needs: the submission's place (for the access check) and its progress. */
  submissionStatus(id: string) {
    return this.deps.db.submission.findUnique({ where: { id }, select: { id: true, caseStudyId: true, teamId: true, status: true, progress: true, errorMessage: true } });
  }

  teamSubmissions(caseStudyId: string, teamId: string) {
    return this.deps.db.submission.findMany({ where: { caseStudyId, teamId }, orderBy: { number: "desc" }, include: { results: { where: { current: true }, omit: { details: true } }, overrides: { orderBy: { createdAt: "desc" }, take: 1 } } });
  }

  /** Marks or unmarks a final submission (scored ones only), within the allowed number. */
  async setFinal(cs: CaseStudyRow, sub: SubmissionRow, final: boolean): Promise<void> {
    const { db } = this.deps;
    if (this.now() >= cs.deadlineAt) throw new Forbidden("Final submissions can only be changed before the deadline.");
    if (final && sub.status !== SubmissionStatus.SCORED) throw new Forbidden("Only a scored submission can be chosen as final.");
    await db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`final:${cs.id}:${sub.teamId}`}))`;
      const max = settingsOf(cs).limits.finalSubmissions;
      const chosen = await tx.submission.count({ where: { caseStudyId: cs.id, teamId: sub.teamId, final: true, id: { not: sub.id } } });
      if (final && chosen >= max) throw new Forbidden(`You can choose at most ${max} final submissions. Unmark one first.`);
      await tx.submission.update({ where: { id: sub.id }, data: { final } });
    });
  }

  /**
   * The leaderboard: per team, the best public score; the private score (of the final
   * submissions, or the best public one when none was chosen) only when visible.
   */
  async leaderboard(cs: CaseStudyRow, showPrivate: boolean) {
    const teams = await this.deps.db.team.findMany({
      where: { courseId: cs.courseId },
      // Scores only: a result's details (per-class tables, confusion matrix) are large.
      include: { submissions: { where: { caseStudyId: cs.id }, include: { results: { where: { current: true }, omit: { details: true } }, overrides: { orderBy: { createdAt: "desc" }, take: 1 } } } },
    });
    const rows = teams.map((t) => {
      const scored = t.submissions.filter((s) => s.status === SubmissionStatus.SCORED && s.results[0]);
      const counted = t.submissions.filter((s) => s.status !== SubmissionStatus.FAILED);
      const bestPublic = scored.reduce<(typeof scored)[number] | null>((b, s) => (!b || s.results[0]!.publicScore > b.results[0]!.publicScore ? s : b), null);
      const finals = scored.filter((s) => s.final);
      const candidates = finals.length ? finals : bestPublic ? [bestPublic] : [];
      const bestPrivate = candidates.reduce<(typeof scored)[number] | null>((b, s) => (!b || s.results[0]!.privateScore > b.results[0]!.privateScore ? s : b), null);
      const override = bestPrivate?.overrides[0];
      return {
        teamId: t.id, team: t.name, submissions: counted.length,
        lastAt: t.submissions.reduce<Date | null>((d, s) => (!d || s.createdAt > d ? s.createdAt : d), null),
        publicScore: bestPublic?.results[0]!.publicScore ?? null,
        publicPoints: bestPublic?.results[0]!.publicPoints ?? null,
        privateScore: showPrivate ? (bestPrivate?.results[0]!.privateScore ?? null) : null,
        privatePoints: showPrivate ? (override && override.points !== null ? override.points : (bestPrivate?.results[0]!.privatePoints ?? null)) : null,
        overridden: showPrivate && !!override,
      };
    }).filter((r) => r.submissions > 0);
    const key = (r: (typeof rows)[number]) => (showPrivate ? r.privateScore : r.publicScore) ?? -1;
    rows.sort((a, b) => key(b) - key(a) || (a.lastAt?.getTime() ?? 0) - (b.lastAt?.getTime() ?? 0));
    return rows.map((r, i) => ({ ...r, rank: i + 1 }));
  }

  /** Staff: every submission, newest first, with filters. */
  allSubmissions(cs: CaseStudyRow, filter: { status?: SubmissionStatus; teamId?: string }) {
    return this.deps.db.submission.findMany({
      where: { caseStudyId: cs.id, ...(filter.status ? { status: filter.status } : {}), ...(filter.teamId ? { teamId: filter.teamId } : {}) },
      orderBy: { createdAt: "desc" },
      include: { team: true, user: { select: { name: true } }, results: { where: { current: true }, omit: { details: true } }, overrides: { orderBy: { createdAt: "desc" }, take: 1 } },
      take: 500,
    });
  }

  override(subId: string, byId: string, points: number | null, reason: string) {
    return this.deps.db.pointsOverride.create({ data: { submissionId: subId, byId, points, reason } });
  }

  reveal(cs: CaseStudyRow, reveal: boolean) {
    return this.deps.db.caseStudy.update({ where: { id: cs.id }, data: { revealedAt: reveal ? this.now() : null } });
  }

  /**
   * Submissions without a result for the case study's current holdout version (a new
   * holdout or rule, or a grader failure) go back to the queue; results under older
   * versions are kept. Returns the ids to enqueue.
   */
  async rescore(cs: CaseStudyRow, ids?: string[]): Promise<string[]> {
    const subs = await this.deps.db.submission.findMany({
      where: { caseStudyId: cs.id, ...(ids ? { id: { in: ids } } : {}), OR: [{ status: { not: SubmissionStatus.FAILED } }, { errorCode: "grader_error" }] },
      include: { results: { where: { holdoutVersion: cs.holdoutVersion } } },
    });
    const todo = subs.filter((x) => x.results.length === 0 && x.status !== SubmissionStatus.RUNNING).map((x) => x.id);
    if (todo.length) await this.deps.db.submission.updateMany({ where: { id: { in: todo } }, data: { status: SubmissionStatus.QUEUED, progress: 0, errorCode: null, errorMessage: null } });
    return todo;
  }
}
