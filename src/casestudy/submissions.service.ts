// Case-study submissions: limits (daily, total, cooldown — failed runs never count; they
// have a daily budget of their own, with refused uploads), storing uploads, final choices, point overrides, the one rule for a team's points
// (countedSubmissions) and the standings every page, export and LMS send reads from it.
import { DateTime } from "luxon";
import fs from "node:fs";
import path from "node:path";
import type { Clock } from "../platform/clock.js";
import { readCaseStudySettings, type CaseStudyFile } from "./casestudy.definition.js";
import { SubmissionStatus, type Db } from "../platform/db/prisma.js";
import { BadRequest, Conflict, Forbidden, TooManyRequests } from "../platform/errors.js";
import { DEFAULT_RETENTION_DAYS } from "./retention.js";
import { PUBLIC_MISCLASSIFIED_PATH, readMisclassifiedImage, type MisclassifiedImage } from "./scoring.result.js";

export type CaseStudyRow = NonNullable<Awaited<ReturnType<Db["caseStudy"]["findFirst"]>>>;
export type SubmissionRow = NonNullable<Awaited<ReturnType<Db["submission"]["findFirst"]>>>;

/** The case study's settings, checked when read (CaseStudySettings in casestudy.definition.ts). */
export function settingsOf(cs: Pick<CaseStudyRow, "settings">): CaseStudyFile {
  return readCaseStudySettings(cs.settings);
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
  /** Today's failed or refused uploads (the grader's own failures are not the team's and do not count). */
  failedToday: number;
  /** The daily budget of failed or refused uploads. */
  failuresPerDay: number;
  /** Uploads not decided yet (being checked, queued or being scored): each may still fail, so each holds a place in the budget. */
  pending: number;
  /** Why the team cannot upload now because of that budget, or null. */
  failuresBlocked: string | null;
}

/** A default of 10 failed or refused uploads per team and day (FAILED_UPLOADS_PER_DAY). */
export const DEFAULT_FAILURES_PER_DAY = 10;
/** An upload's reservation older than this is one whose process died: it no longer holds a place. */
const SLOT_MINUTES = 30;
/** The failures a team is answerable for: all but the grader's own. */
const teamFailure = { status: SubmissionStatus.FAILED, OR: [{ errorCode: null }, { errorCode: { not: "grader_error" } }] };

/** Private scores are shown after the deadline, or once an instructor reveals them. */
export function privateVisible(cs: CaseStudyRow, now: Date): boolean {
  return now >= cs.deadlineAt || cs.revealedAt !== null;
}

/** What the points rule reads of a submission: its status, final mark, current result and newest override first. */
export interface RuleSubmission {
  id: string;
  number: number;
  status: SubmissionStatus;
  final: boolean;
  results: { publicScore: number; privateScore: number; publicPoints: number; privatePoints: number }[];
  overrides: { points: number | null }[];
}

export interface SubmissionPoints {
  public: number;
  private: number;
  /** The points are a grader's, not the scores'. */
  overridden: boolean;
}

/**
 * A submission's points: those its newest override sets (the same on the public and the
 * private half), else those its scores earned; an override cleared (no points) gives the
 * scored points back. Null until it is scored: only scored submissions have points. One
 * being rescored (queued or running again) keeps its current result's points until the new
 * result replaces them, so a rescore never drops a team's grade in between.
 */
export function submissionPoints(sub: RuleSubmission): SubmissionPoints | null {
  const r = sub.results[0];
  if (sub.status === SubmissionStatus.FAILED || !r) return null;
  const set = sub.overrides[0]?.points;
  if (set === null || set === undefined) return { public: r.publicPoints, private: r.privatePoints, overridden: false };
  return { public: set, private: set, overridden: true };
}

export interface Counted<S> {
  submission: S;
  points: number;
  score: number;
  overridden: boolean;
}

export interface TeamCount<S> {
  /** The submission behind the team's public (leaderboard) points. */
  public: Counted<S> | null;
  /** The submission behind the team's grade: its private points. */
  private: Counted<S> | null;
}

/**
 * The one rule for a team's points; every page, export and LMS send reads it from here.
 * Each scored submission's points are taken with its override applied (submissionPoints),
 * then: public — the submission with the most public points; private (the grade) — of the
 * team's final submissions the one with the most private points, or, without a final
 * choice, the public one. Ties go to the higher score on that half, then to the earlier
 * submission (lower number), so the same data always gives the same answer.
 */
export function countedSubmissions<S extends RuleSubmission>(subs: S[]): TeamCount<S> {
  const scored = subs.flatMap((s) => {
    const p = submissionPoints(s);
    return p ? [{ s, p, r: s.results[0]! }] : [];
  });
  type Entry = (typeof scored)[number];
  const score = (e: Entry, half: "public" | "private") => (half === "public" ? e.r.publicScore : e.r.privateScore);
  /** > 0 when `e` beats `b`: more points, then a higher score, then an earlier submission. */
  const beats = (e: Entry, b: Entry, half: "public" | "private") => e.p[half] - b.p[half] || score(e, half) - score(b, half) || b.s.number - e.s.number;
  const best = (list: Entry[], half: "public" | "private") => list.reduce<Entry | null>((b, e) => (!b || beats(e, b, half) > 0 ? e : b), null);
  const counted = (e: Entry | null, half: "public" | "private"): Counted<S> | null => e && { submission: e.s, points: e.p[half], score: score(e, half), overridden: e.p.overridden };
  const pub = best(scored, "public");
  const finals = scored.filter((e) => e.s.final);
  return { public: counted(pub, "public"), private: counted(finals.length ? best(finals, "private") : pub, "private") };
}

/** A team's standing in a case study: its submissions' count and time, and what counts (countedSubmissions). */
export interface Standing {
  teamId: string;
  team: string;
  /** Submissions that were not refused (failed ones do not count against limits either). */
  submissions: number;
  lastAt: Date | null;
  counted: TeamCount<RuleSubmission & { createdAt: Date }>;
}

/** Each team's submissions to the case study, as the points rule reads them, oldest first. */
export function teamsWithSubmissions(db: Pick<Db, "team">, cs: Pick<CaseStudyRow, "id" | "courseId">, teamId?: string) {
  return db.team.findMany({
    where: { courseId: cs.courseId, ...(teamId ? { id: teamId } : {}) },
    orderBy: { name: "asc" },
    select: {
      id: true, name: true,
      submissions: {
        where: { caseStudyId: cs.id }, orderBy: { number: "asc" },
        select: {
          id: true, number: true, status: true, final: true, createdAt: true,
          results: { where: { current: true }, select: { publicScore: true, privateScore: true, publicPoints: true, privatePoints: true } },
          overrides: { orderBy: { createdAt: "desc" }, take: 1, select: { points: true } },
        },
      },
    },
  });
}

/** Every team of the course that has submitted to the case study, with what counts for it. */
export async function standings(db: Pick<Db, "team">, cs: Pick<CaseStudyRow, "id" | "courseId">): Promise<Standing[]> {
  return (await teamsWithSubmissions(db, cs)).flatMap((t) => {
    const kept = t.submissions.filter((s) => s.status !== SubmissionStatus.FAILED);
    if (!kept.length) return [];
    const lastAt = t.submissions.reduce<Date | null>((d, s) => (!d || s.createdAt > d ? s.createdAt : d), null);
    return [{ teamId: t.id, team: t.name, submissions: kept.length, lastAt, counted: countedSubmissions(t.submissions) }];
  });
}

/** What a team's points would become with an override: the rule run on the team as it is and as it would be. */
export interface OverridePreview {
  before: TeamCount<RuleSubmission>;
  after: TeamCount<RuleSubmission>;
  /** The submission's own points, as they are and as they would be (null while it is not scored). */
  submission: { number: number; before: SubmissionPoints | null; after: SubmissionPoints | null; final: boolean };
  /** The team's final choices (numbers), which alone can give the grade when there are any. */
  finals: number[];
  /** Identifies the "after" shown; saving checks it still holds. */
  key: string;
}

/** How many submissions the staff's list shows at once (the newest; filters by team and status reach the others). */
export const SUBMISSIONS_SHOWN = 500;

export class SubmissionsService {
  constructor(private readonly deps: { db: Db; clock: Clock; dataDir: string; timeZone?: string; failuresPerDay?: number; failedRetentionDays?: number }) {}

  now() {
    return this.deps.clock();
  }

  /** The budget of failed or refused uploads per team and day, and how long failed submissions' files are kept. */
  failurePolicy() {
    return { failuresPerDay: this.deps.failuresPerDay ?? DEFAULT_FAILURES_PER_DAY, retentionDays: this.deps.failedRetentionDays ?? DEFAULT_RETENTION_DAYS };
  }

  caseStudy(courseId: string, slug: string) {
    return this.deps.db.caseStudy.findFirst({ where: { courseId, slug } });
  }

  caseStudies(courseId: string) {
    return this.deps.db.caseStudy.findMany({ where: { courseId }, orderBy: { deadlineAt: "asc" } });
  }

  /** The team's limits as they stand at `now` (an upload is judged at the time it was received). */
  async limits(cs: CaseStudyRow, teamId: string, timeZone: string, db: Pick<Db, "submission" | "uploadSlot"> = this.deps.db, now: Date = this.now()): Promise<LimitState> {
    const s = settingsOf(cs).limits;
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
    const mine = { caseStudyId: cs.id, teamId };
    const failuresPerDay = this.deps.failuresPerDay ?? DEFAULT_FAILURES_PER_DAY;
    const failedToday = await db.submission.count({ where: { ...mine, ...teamFailure, createdAt: { gte: dayStart.toJSDate() } } });
    const pending =
      (await db.uploadSlot.count({ where: { ...mine, createdAt: { gte: new Date(now.getTime() - SLOT_MINUTES * 60_000) } } })) +
      // A submission with a result being rescored by staff cannot become a team failure (it stays scored).
      (await db.submission.count({ where: { ...mine, status: { in: [SubmissionStatus.QUEUED, SubmissionStatus.RUNNING] }, createdAt: { gte: dayStart.toJSDate() }, results: { none: { current: true } } } }));
    const resets = DateTime.fromJSDate(resetsAt, { zone: timeZone }).toFormat("ccc d LLL, HH:mm ZZZZ");
    let failuresBlocked: string | null = null;
    if (failedToday >= failuresPerDay) {
      failuresBlocked = `Your team has had ${failedToday} failed or refused uploads today, its budget of ${failuresPerDay} for the day; uploads are accepted again from ${resets}. Read the reasons on your submissions' pages and check your model on the mini holdout before the next upload.`;
    } else if (failedToday + pending >= failuresPerDay) {
      failuresBlocked = `Your team has had ${failedToday} of its ${failuresPerDay} failed or refused uploads for today, and ${pending} upload${pending === 1 ? " is" : "s are"} still being checked or scored and could fail too. Wait until ${pending === 1 ? "it is" : "they are"} scored, then upload again.`;
    }
    return { usedToday, perDay: s.perDay, usedTotal, total: s.total, resetsAt, cooldownUntil: cooldownUntil && cooldownUntil > now ? cooldownUntil : null, blocked, failedToday, failuresPerDay, pending, failuresBlocked };
  }

  /**
   * Before an upload's file is read: refuses it (429) when the team's limits or its budget of
   * failed or refused uploads leave no room, else reserves a place in that budget for it (an
   * upload may be refused), checked and reserved under the team's lock so that uploads at
   * the same moment cannot all slip under the budget. Returns the reservation, which
   * create() or refuse() turns into a submission and releaseUpload() frees.
   */
  async reserveUpload(cs: CaseStudyRow, team: { id: string }, timeZone: string): Promise<string> {
    return this.deps.db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`submit:${cs.id}:${team.id}`}))`;
      await tx.uploadSlot.deleteMany({ where: { createdAt: { lt: new Date(this.now().getTime() - SLOT_MINUTES * 60_000) } } });
      const state = await this.limits(cs, team.id, timeZone, tx);
      const why = state.blocked ?? state.failuresBlocked;
      if (why) throw new TooManyRequests(`${why} Nothing was uploaded.`);
      return (await tx.uploadSlot.create({ data: { caseStudyId: cs.id, teamId: team.id, createdAt: this.now() } })).id;
    });
  }

  /** Frees an upload's reservation (done already when it became a submission). */
  async releaseUpload(slotId: string): Promise<void> {
    await this.deps.db.uploadSlot.deleteMany({ where: { id: slotId } });
  }

  /**
   * Records an upload refused at once (its file already deleted) as the team's next
   * submission — FAILED, refused, with its name, size and reason — in place of its
   * reservation. Returns the row and the team's failures today, this one included.
   */
  async refuse(cs: CaseStudyRow, team: { id: string }, userId: string, slotId: string, upload: { filename: string; bytes: number }, reason: { code: string; message: string }, timeZone: string) {
    return this.deps.db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`submit:${cs.id}:${team.id}`}))`;
      await tx.uploadSlot.deleteMany({ where: { id: slotId } });
      const last = await tx.submission.findFirst({ where: { caseStudyId: cs.id, teamId: team.id }, orderBy: { number: "desc" }, select: { number: true } });
      const now = this.now();
      const sub = await tx.submission.create({
        data: {
          caseStudyId: cs.id, teamId: team.id, userId, number: (last?.number ?? 0) + 1, filename: upload.filename, storedPath: "", bytes: upload.bytes,
          status: SubmissionStatus.FAILED, refused: true, errorCode: reason.code, errorMessage: reason.message, fileRemovedAt: now, createdAt: now, finishedAt: now,
        },
      });
      const state = await this.limits(cs, team.id, timeZone, tx);
      return { submission: sub, failedToday: state.failedToday, failuresPerDay: state.failuresPerDay };
    });
  }

  /**
   * Records an upload (already on disk at `tempFile`) as the team's next submission,
   * if the limits allow; serialised per team so two uploads at once cannot both slip
   * under a limit. Returns the new submission (QUEUED). `receivedAt`: when its file had
   * arrived, before it waited for its check: the limits (the deadline) are judged then,
   * and it is the submission's time.
   */
  async create(cs: CaseStudyRow, team: { id: string }, userId: string, upload: { tempFile: string; filename: string; bytes: number; receivedAt?: Date }, timeZone: string, slotId?: string): Promise<SubmissionRow> {
    const { db } = this.deps;
    const at = upload.receivedAt ?? this.now();
    return db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`submit:${cs.id}:${team.id}`}))`;
      if (slotId) await tx.uploadSlot.deleteMany({ where: { id: slotId } });
      const state = await this.limits(cs, team.id, timeZone, tx, at);
      if (state.blocked) throw new TooManyRequests(`${state.blocked} Nothing was uploaded.`);
      const last = await tx.submission.findFirst({ where: { caseStudyId: cs.id, teamId: team.id }, orderBy: { number: "desc" }, select: { number: true } });
      const sub = await tx.submission.create({
        data: { caseStudyId: cs.id, teamId: team.id, userId, number: (last?.number ?? 0) + 1, filename: upload.filename, storedPath: "", bytes: upload.bytes, createdAt: at },
      });
      const dir = path.join(this.deps.dataDir, "submissions", sub.id);
      fs.mkdirSync(dir, { recursive: true });
      const stored = path.join(dir, upload.filename);
      fs.renameSync(upload.tempFile, stored);
      return tx.submission.update({ where: { id: sub.id }, data: { storedPath: stored } });
    }, { timeout: 20_000 });
  }

  /** Takes back a submission just created whose scoring could not be queued: its row and its stored file. */
  async withdraw(sub: { id: string }): Promise<void> {
    await this.deps.db.submission.delete({ where: { id: sub.id } });
    fs.rmSync(path.join(this.deps.dataDir, "submissions", sub.id), { recursive: true, force: true });
  }

  submission(id: string) {
    return this.deps.db.submission.findUnique({ where: { id }, include: { results: { where: { current: true } }, overrides: { orderBy: { createdAt: "desc" }, include: { by: { select: { name: true } } } }, team: true, user: { select: { name: true } } } });
  }

  /**
   * The `n`th holdout image the submission's current result shows as misclassified (public half), read alone:
   * not the rest of the result's details, which can be large (a model's layers, three confusion matrices).
   */
  async misclassifiedImage(submissionId: string, n: number): Promise<MisclassifiedImage | null> {
    const rows = await this.deps.db.$queryRaw<{ item: unknown }[]>`
      SELECT details #> ${[...PUBLIC_MISCLASSIFIED_PATH, String(n)]}::text[] AS item
      FROM "SubmissionResult" WHERE "submissionId" = ${submissionId}::uuid AND current`;
    return rows.length === 1 ? readMisclassifiedImage(rows[0]!.item) : null;
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

  /** Every team that has submitted, with the submissions that count for it (the points rule). */
  standings(cs: CaseStudyRow): Promise<Standing[]> {
    return standings(this.deps.db, cs);
  }

  /** CaseStudyPoints (platform/grade-events.ts), read by the LMS grade sync: each team's private points, once they are shown. */
  async teamPoints(cs: CaseStudyRow, now: Date): Promise<Map<string, number | null | undefined> | null> {
    if (!privateVisible(cs, now)) return null;
    return new Map((await this.standings(cs)).map((r) => [r.teamId, r.counted.private?.points]));
  }

  /**
   * The leaderboard: per team, the counted public submission's score and points, and —
   * only when visible — the counted private one's. Ranked by the points shown, then that
   * score, then the earlier last submission.
   */
  async leaderboard(cs: CaseStudyRow, showPrivate: boolean) {
    const rows = (await this.standings(cs)).map(({ counted, ...t }) => {
      const shown = showPrivate ? counted.private : counted.public;
      return {
        ...t,
        publicScore: counted.public?.score ?? null,
        publicPoints: counted.public?.points ?? null,
        privateScore: showPrivate ? (counted.private?.score ?? null) : null,
        privatePoints: showPrivate ? (counted.private?.points ?? null) : null,
        /** The points shown were set by a grader. */
        overridden: shown?.overridden ?? false,
      };
    });
    const points = (r: (typeof rows)[number]) => (showPrivate ? r.privatePoints : r.publicPoints) ?? -1;
    const score = (r: (typeof rows)[number]) => (showPrivate ? r.privateScore : r.publicScore) ?? -1;
    rows.sort((a, b) => points(b) - points(a) || score(b) - score(a) || (a.lastAt?.getTime() ?? 0) - (b.lastAt?.getTime() ?? 0) || a.team.localeCompare(b.team));
    return rows.map((r, i) => ({ ...r, rank: i + 1 }));
  }

  /** The staff's list: the newest `SUBMISSIONS_SHOWN` submissions with the filters, and how many there are in all. By status as the list names it: "Failed" is failed while scored, "REFUSED" refused on arrival (stored as failed). */
  async allSubmissions(cs: CaseStudyRow, filter: { status?: SubmissionStatus | "REFUSED"; teamId?: string }) {
    const byStatus = filter.status === "REFUSED" ? { refused: true } : filter.status === SubmissionStatus.FAILED ? { status: filter.status, refused: false } : filter.status ? { status: filter.status } : {};
    const where = { caseStudyId: cs.id, ...byStatus, ...(filter.teamId ? { teamId: filter.teamId } : {}) };
    const [rows, total] = await Promise.all([
      this.deps.db.submission.findMany({
        where,
        orderBy: { createdAt: "desc" },
        include: { team: true, user: { select: { name: true } }, results: { where: { current: true }, omit: { details: true } }, overrides: { orderBy: { createdAt: "desc" }, take: 1 } },
        take: SUBMISSIONS_SHOWN,
      }),
      this.deps.db.submission.count({ where }),
    ]);
    return { rows, total };
  }

  /** Refuses points outside 0 to the case study's maximum (the LMS column's scale). */
  private checkPoints(cs: CaseStudyRow, points: number | null) {
    const max = settingsOf(cs).points.max;
    if (points !== null && (points < 0 || points > max)) throw new BadRequest(`Points must be from 0 to at most ${max}, this case study's maximum. Nothing was saved.`);
  }

  /** What the team's counted points become if `points` are set on the submission (null clears the override). */
  async previewOverride(cs: CaseStudyRow, sub: SubmissionRow, points: number | null): Promise<OverridePreview> {
    this.checkPoints(cs, points);
    const [team] = await teamsWithSubmissions(this.deps.db, cs, sub.teamId);
    const subs = team?.submissions ?? [];
    const changed = subs.map((s) => (s.id === sub.id ? { ...s, overrides: [{ points }] } : s));
    const after = countedSubmissions(changed);
    const own = (list: RuleSubmission[]) => {
      const s = list.find((x) => x.id === sub.id);
      return s ? submissionPoints(s) : null;
    };
    const half = (c: Counted<RuleSubmission> | null) => (c ? `${c.submission.number}:${c.points}` : "-");
    return {
      before: countedSubmissions(subs), after,
      submission: { number: sub.number, before: own(subs), after: own(changed), final: subs.some((s) => s.id === sub.id && s.final) },
      finals: subs.filter((s) => s.final).map((s) => s.number),
      key: `${half(after.public)}/${half(after.private)}`,
    };
  }

  /** Sets (or, with null, clears) a submission's points, with the grader's reason for the audit trail. */
  override(cs: CaseStudyRow, sub: SubmissionRow, actor: { id: string }, points: number | null, reason: string) {
    this.checkPoints(cs, points);
    return this.deps.db.pointsOverride.create({ data: { submissionId: sub.id, byId: actor.id, points, reason } });
  }

  reveal(cs: CaseStudyRow, reveal: boolean) {
    return this.deps.db.caseStudy.update({ where: { id: cs.id }, data: { revealedAt: reveal ? this.now() : null } });
  }

  /**
   * What "rescore everything" would queue: submissions without a result for the case
   * study's current holdout version (a new holdout or rule, or a grader failure), not
   * running now, whose file is kept (not refused, nor failed past the retention). Counted
   * for the confirmation page; changes nothing.
   */
  async rescorePlan(cs: CaseStudyRow): Promise<{ ids: string[]; teams: number; scored: number; rule: CaseStudyFile["points"]; holdoutVersion: string }> {
    const subs = await this.deps.db.submission.findMany({
      where: { caseStudyId: cs.id, fileRemovedAt: null, status: { not: SubmissionStatus.RUNNING }, OR: [{ status: { not: SubmissionStatus.FAILED } }, { errorCode: "grader_error" }], results: { none: { holdoutVersion: cs.holdoutVersion } } },
      select: { id: true, teamId: true, status: true },
    });
    return {
      ids: subs.map((x) => x.id), teams: new Set(subs.map((x) => x.teamId)).size,
      scored: subs.filter((x) => x.status === SubmissionStatus.SCORED).length,
      rule: settingsOf(cs).points, holdoutVersion: cs.holdoutVersion,
    };
  }

  /**
   * Queues every submission of rescorePlan (results under older versions are kept; each
   * keeps its current points until its new result arrives). A second call finds them
   * queued already and queues nothing. Returns the ids to enqueue.
   */
  async rescore(cs: CaseStudyRow): Promise<string[]> {
    const { ids } = await this.rescorePlan(cs);
    if (!ids.length) return [];
    const todo = await this.deps.db.submission.updateManyAndReturn({
      where: { id: { in: ids }, status: { notIn: [SubmissionStatus.QUEUED, SubmissionStatus.RUNNING] } },
      data: { status: SubmissionStatus.QUEUED, progress: 0, errorCode: null, errorMessage: null },
      select: { id: true },
    });
    // Queued ones already (waiting for data, or a job lost) are sent again: their job is idempotent.
    const queued = ids.filter((id) => !todo.some((x) => x.id === id));
    return [...todo.map((x) => x.id), ...(await this.deps.db.submission.findMany({ where: { id: { in: queued }, status: SubmissionStatus.QUEUED }, select: { id: true } })).map((x) => x.id)];
  }

  /**
   * Rescores this one submission under the current holdout and rule, even when it has a
   * result for them: a new scoring round (its results so far are kept as history, and the
   * current one counts until the new one arrives). Refused while it is queued or being
   * scored — so a double submit queues it once — and when its file is gone.
   */
  async rescoreOne(sub: SubmissionRow): Promise<"queued" | "already queued" | "running"> {
    if (sub.fileRemovedAt) {
      throw new Conflict(sub.refused
        ? `Submission #${sub.number} was refused when it arrived and its file was not kept, so it cannot be scored. The team can upload the file again.`
        : `Submission #${sub.number}'s file was deleted after it failed (failed submissions' files are kept ${this.failurePolicy().retentionDays} days), so it cannot be scored again. The team can upload the file again.`);
    }
    // Only the request that moves it from the round it was read in acts; a second one finds it queued.
    const moved = await this.deps.db.submission.updateMany({
      where: { id: sub.id, scoringRound: sub.scoringRound, status: { notIn: [SubmissionStatus.QUEUED, SubmissionStatus.RUNNING] } },
      data: { status: SubmissionStatus.QUEUED, progress: 0, errorCode: null, errorMessage: null, scoringRound: { increment: 1 } },
    });
    if (moved.count) return "queued";
    const now = await this.deps.db.submission.findUnique({ where: { id: sub.id }, select: { status: true } });
    return now?.status === SubmissionStatus.RUNNING ? "running" : "already queued";
  }
}
