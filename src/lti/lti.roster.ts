// Roster sync from the LMS (LTI Names and Role Provisioning Services 2.0): the members of a
// connected LMS course, read page by page (Link: rel="next"), become members of the course here
// with the roles the LMS gives — so dashboards list students who never launched, and grades can
// be sent for them. Adds and promotions apply; a student the LMS no longer lists (or lists as
// Inactive/Deleted) leaves the course unless another connected LMS course still lists them.
// Staff are never removed or demoted by a sync, nor is the person running it.
import crypto from "node:crypto";
import { CourseRole, type Db } from "../platform/db/prisma.js";
import { BadRequest, NotFound } from "../platform/errors.js";
import type { ToolKey } from "./lti.keys.js";
import { PrivateHost, type LtiEgress } from "./lti.egress.js";
import type { LtiPlatform } from "./lti.platforms.js";
import { roleFromLti } from "./lti.service.js";
import { LtiPlatforms } from "./lti.registry.js";
import { LtiTokens, pagedGet } from "./lti.tokens.js";

export const NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
const MEMBERSHIP_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";
/** A guard against a platform whose "next" links never end. */
const MAX_PAGES = 500;
const RANK: Record<CourseRole, number> = { STUDENT: 0, GRADER: 1, INSTRUCTOR: 2 };

interface NrpsMember {
  user_id?: unknown;
  roles?: unknown;
  status?: unknown;
  name?: unknown;
  given_name?: unknown;
  family_name?: unknown;
  email?: unknown;
}

export interface RosterResult {
  listed: number;
  added: number;
  changed: number;
  removed: number;
  /** Members not added, with why (an email that belongs to an account here is linked only by its owner). */
  skipped: string[];
}

export class LtiRoster {
  private readonly tokens: LtiTokens;
  private readonly registry: LtiPlatforms;

  constructor(private readonly deps: { db: Db; platforms: LtiPlatform[]; toolKey: () => Promise<ToolKey>; clock: () => Date; /** Where requests to platforms may connect (default: the checks production makes). */ egress?: LtiEgress }) {
    this.tokens = new LtiTokens(deps);
    this.registry = new LtiPlatforms({ db: deps.db, file: deps.platforms });
  }

  /** Reads the LMS course's whole roster and applies it; records what it did (or why it failed) on the LMS course. */
  async sync(contextRowId: string, actingUserId: string): Promise<RosterResult> {
    const { db, clock } = this.deps;
    const ctx = await db.ltiContext.findUnique({ where: { id: contextRowId } });
    if (!ctx) throw new NotFound("There is no such LMS course here.");
    if (!ctx.courseId) throw new BadRequest("Connect this LMS course to a course here before syncing its roster.");
    if (!ctx.membershipsUrl) throw new BadRequest("The LMS has not offered its roster service (Names and Role Provisioning) in a launch from this course. An LMS administrator can enable it for the tool; then open the activity once.");
    try {
      const members = await this.fetchAll(ctx.issuer, ctx.clientId, ctx.membershipsUrl);
      const result = await this.apply({ ...ctx, courseId: ctx.courseId }, members, actingUserId);
      await db.ltiContext.update({ where: { id: ctx.id }, data: { rosterSyncedAt: clock(), rosterSummary: `${result.listed} listed: ${result.added} added, ${result.changed} role changes, ${result.removed} removed${result.skipped.length ? `, ${result.skipped.length} not added` : ""}.` } });
      return result;
    } catch (e) {
      await db.ltiContext.update({ where: { id: ctx.id }, data: { rosterSummary: `The last sync failed: ${(e as Error).message}` } });
      if (e instanceof PrivateHost) throw new BadRequest(`The roster sync stopped: ${e.message}. An LMS administrator can check the tool's registration; if the LMS really is on a private network, register it in LTI_PLATFORMS_FILE instead.`);
      throw e instanceof BadRequest ? e : new BadRequest(`The roster sync stopped: ${(e as Error).message}. Members already processed keep their changes; run it again to finish.`);
    }
  }

  private async fetchAll(issuer: string, clientId: string, url: string): Promise<NrpsMember[]> {
    const p = LtiTokens.usable(await this.registry.find(issuer, clientId), issuer, clientId, "its roster cannot be read");
    return pagedGet<NrpsMember>(url, {
      get: async (next) => {
        const res = await this.tokens.egress.fetch(p, next, { headers: { Authorization: `Bearer ${await this.tokens.token(p, NRPS_SCOPE)}`, Accept: MEMBERSHIP_TYPE }, signal: AbortSignal.timeout(30_000) });
        if (res.status === 401) this.tokens.forget(p, NRPS_SCOPE);
        if (!res.ok) throw new Error(`${p.name} answered HTTP ${res.status} ${res.statusText}`);
        return res;
      },
      items: (body) => {
        const members = (body as { members?: unknown } | null)?.members;
        if (!Array.isArray(members)) throw new Error(`${p.name} sent a roster page without a members list`);
        return members as NrpsMember[];
      },
      maxPages: MAX_PAGES,
      tooMany: () => new Error(`the LMS kept sending further pages (over ${MAX_PAGES})`),
    });
  }

  private async apply(ctx: { id: string; issuer: string; courseId: string; clientId: string }, members: NrpsMember[], actingUserId: string): Promise<RosterResult> {
    const { db, clock } = this.deps;
    const now = clock();
    const platform = await this.registry.find(ctx.issuer, ctx.clientId);
    const str = (v: unknown) => (typeof v === "string" && v.trim() ? v.trim() : null);
    const result: RosterResult = { listed: 0, added: 0, changed: 0, removed: 0, skipped: [] };
    const active = new Set<string>();
    for (const m of members) {
      const sub = str(m.user_id);
      const role = roleFromLti(m.roles);
      if (!sub || !role || (m.status !== undefined && m.status !== "Active")) continue;
      result.listed++;
      const email = str(m.email)?.toLowerCase() ?? null;
      const name = str(m.name) ?? ([str(m.given_name), str(m.family_name)].filter(Boolean).join(" ") || email || "LMS user");
      const userId = await db.$transaction(async (tx) => {
        // The same lock as a launch of this person, so a sync and a first launch make one account.
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`lti:${ctx.issuer}:${sub}`}, 0))`;
        const link = await tx.ltiIdentity.findUnique({ where: { issuer_sub: { issuer: ctx.issuer, sub } } });
        if (link) return link.userId;
        const existing = email ? await tx.user.findUnique({ where: { email }, include: { memberships: { select: { role: true } } } }) : null;
        if (existing) {
          const trusted = platform?.trustEmail && !existing.isAdmin && existing.memberships.every((x) => x.role === CourseRole.STUDENT);
          if (!trusted) return null; // linked by its owner at their first launch, never by a roster
          await tx.ltiIdentity.create({ data: { issuer: ctx.issuer, sub, userId: existing.id } });
          return existing.id;
        }
        const user = await tx.user.create({ data: { email: email ?? `${crypto.createHash("sha256").update(`${ctx.issuer} ${sub}`).digest("hex").slice(0, 24)}@lti.invalid`, name, passwordHash: null } });
        await tx.ltiIdentity.create({ data: { issuer: ctx.issuer, sub, userId: user.id } });
        return user.id;
      });
      if (!userId) {
        result.skipped.push(`${name}: an account here has their email; it is linked when they first open the activity`);
        continue;
      }
      active.add(userId);
      const current = await db.membership.findUnique({ where: { userId_courseId: { userId, courseId: ctx.courseId } } });
      if (!current) {
        await db.membership.create({ data: { userId, courseId: ctx.courseId, role } });
        result.added++;
      } else if (RANK[role] > RANK[current.role] && userId !== actingUserId) {
        // Only raises: a sync never demotes anyone (a co-instructor listed as a TA in the LMS stays an instructor).
        await db.membership.update({ where: { id: current.id }, data: { role } });
        result.changed++;
      }
      await db.ltiContextMember.upsert({ where: { contextId_userId: { contextId: ctx.id, userId } }, create: { contextId: ctx.id, userId, sub, seenAt: now }, update: { sub, seenAt: now } });
    }
    // Drops: people this LMS course had and no longer lists.
    const gone = await db.ltiContextMember.findMany({ where: { contextId: ctx.id, userId: { notIn: [...active] } } });
    for (const g of gone) {
      await db.ltiContextMember.delete({ where: { contextId_userId: { contextId: ctx.id, userId: g.userId } } });
      const elsewhere = await db.ltiContextMember.count({ where: { userId: g.userId, context: { courseId: ctx.courseId } } });
      const m = await db.membership.findUnique({ where: { userId_courseId: { userId: g.userId, courseId: ctx.courseId } } });
      if (elsewhere || m?.role !== CourseRole.STUDENT) continue; // still listed by another LMS course, or staff
      // Their attempts, submissions and grades stay (as with removing a person on People).
      await db.$transaction([db.teamMember.deleteMany({ where: { courseId: ctx.courseId, userId: g.userId } }), db.membership.delete({ where: { id: m.id } })]);
      result.removed++;
    }
    return result;
  }
}
