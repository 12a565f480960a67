// LTI Assignment and Grade Services 2.0, line items: the tool's own gradebook columns in a connected LMS
// course — found (by resource link, tag or resource id), created and updated through the course's lineitems
// URL — and the results the LMS holds for them, compared with the grades sent from here. A column made here
// is linked to its quiz or case study like a column a launch brought, so grades go there too.
import { CourseRole, type Db } from "../platform/db/prisma.js";
import { BadRequest } from "../platform/errors.js";
import { backfillLineItem } from "./lti.grades.js";
import type { ToolKey } from "./lti.keys.js";
import { PrivateHost, type LtiEgress } from "./lti.egress.js";
import type { LtiPlatform } from "./lti.platforms.js";
import { LtiPlatforms } from "./lti.registry.js";
import type { LinkableItem } from "./lti.service.js";
import { LtiTokens, pagedGet } from "./lti.tokens.js";

export const AGS_LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem";
export const AGS_LINEITEM_READ_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly";
export const AGS_RESULT_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly";
const LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json";
const CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json";
const RESULTS_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json";
const MAX_PAGES = 100;

export interface LineItem {
  id?: string;
  label: string;
  scoreMaximum: number;
  resourceId?: string;
  tag?: string;
  resourceLinkId?: string;
}

export interface LmsResult {
  userId: string;
  resultScore?: number;
  resultMaximum?: number;
}

/** One student's grade for a column, there and here. */
export interface ResultRow {
  name: string;
  lms: number | null;
  here: number | null;
  status: "same" | "different" | "only in the LMS" | "not in the LMS yet";
}

interface Ctx {
  id: string;
  issuer: string;
  clientId: string;
  courseId: string | null;
  lineitemsUrl: string | null;
  agsScopes: string[];
}

/** The URL of a line item's sub-resource (scores, results): after its path, before its query. */
function below(lineitem: string, what: string): URL {
  const url = new URL(lineitem);
  url.pathname = `${url.pathname.replace(/\/$/, "")}/${what}`;
  return url;
}

export class LtiLineItems {
  private readonly tokens: LtiTokens;
  private readonly registry: LtiPlatforms;

  constructor(private readonly deps: { db: Db; platforms: LtiPlatform[]; toolKey: () => Promise<ToolKey>; clock: () => Date; /** Where requests to platforms may connect (default: the checks production makes). */ egress?: LtiEgress }) {
    this.tokens = new LtiTokens(deps);
    this.registry = new LtiPlatforms({ db: deps.db, file: deps.platforms });
  }

  /** The platform and the lineitems URL of an LMS course whose launches granted `scope`, or a 400 saying what is missing. */
  private async service(ctx: Ctx, scope: string) {
    if (!ctx.lineitemsUrl) throw new BadRequest("The LMS has not offered its gradebook service (AGS line items) in a launch from this course. An LMS administrator can enable it for the tool; then open the activity once.");
    const granted = ctx.agsScopes.includes(scope) || (scope === AGS_LINEITEM_READ_SCOPE && ctx.agsScopes.includes(AGS_LINEITEM_SCOPE));
    if (!granted) throw new BadRequest(`The LMS has not allowed this tool ${scope === AGS_RESULT_SCOPE ? "to read results" : scope === AGS_LINEITEM_SCOPE ? "to manage gradebook columns" : "to read gradebook columns"} in this course (scope ${scope}). An LMS administrator can grant it in the tool's registration.`);
    const p = LtiTokens.usable(await this.registry.find(ctx.issuer, ctx.clientId), ctx.issuer, ctx.clientId, "its gradebook cannot be reached");
    return { p, scope: scope === AGS_LINEITEM_READ_SCOPE && !ctx.agsScopes.includes(scope) ? AGS_LINEITEM_SCOPE : scope };
  }

  private async call(ctx: Ctx, scope: string, url: string | URL, init: { method?: string; accept: string; body?: unknown; contentType?: string }): Promise<Response> {
    const { p, scope: asked } = await this.service(ctx, scope);
    let res: Response;
    try {
      res = await this.tokens.egress.fetch(p, url, {
        method: init.method ?? "GET",
        headers: { Authorization: `Bearer ${await this.tokens.token(p, asked)}`, Accept: init.accept, ...(init.body !== undefined ? { "Content-Type": init.contentType ?? LINEITEM_TYPE } : {}) },
        body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
        signal: AbortSignal.timeout(20_000),
      });
    } catch (e) {
      // Its token endpoint or its gradebook.
      if (e instanceof PrivateHost) throw new BadRequest(`${p.name} named an address on this server or a private network (${e.host}), which this tool does not reach for a platform registered through Dynamic Registration. An LMS administrator can check the tool's registration; if the LMS really is on a private network, register it in LTI_PLATFORMS_FILE instead.`);
      throw e;
    }
    if (res.status === 401) this.tokens.forget(p, asked);
    if (!res.ok) throw new BadRequest(`${p.name} refused the request to its gradebook (HTTP ${res.status} ${res.statusText}). Try again later; if it keeps failing, an LMS administrator can check the tool's gradebook access.`);
    return res;
  }

  /** The LMS course's columns, filtered as AGS allows: by resource link, tag or resource id (every page). */
  async find(ctx: Ctx, filter: { resourceLinkId?: string; tag?: string; resourceId?: string } = {}): Promise<LineItem[]> {
    const first = new URL(ctx.lineitemsUrl ?? "http://invalid/");
    if (filter.resourceLinkId) first.searchParams.set("resource_link_id", filter.resourceLinkId);
    if (filter.tag) first.searchParams.set("tag", filter.tag);
    if (filter.resourceId) first.searchParams.set("resource_id", filter.resourceId);
    return this.pages<LineItem>(ctx, AGS_LINEITEM_READ_SCOPE, first.toString(), CONTAINER_TYPE, { items: "columns", unreadable: "a list of gradebook columns" });
  }

  async create(ctx: Ctx, item: LineItem): Promise<LineItem> {
    const res = await this.call(ctx, AGS_LINEITEM_SCOPE, ctx.lineitemsUrl!, { method: "POST", accept: LINEITEM_TYPE, body: item });
    const made = (await res.json().catch(() => null)) as LineItem | null;
    if (!made?.id) throw new BadRequest("The LMS made the column but did not say its address. Look for it in the LMS gradebook before trying again.");
    return made;
  }

  async update(ctx: Ctx, item: LineItem & { id: string }): Promise<LineItem> {
    const res = await this.call(ctx, AGS_LINEITEM_SCOPE, item.id, { method: "PUT", accept: LINEITEM_TYPE, body: item });
    return ((await res.json().catch(() => null)) as LineItem | null) ?? item;
  }

  /** The results the LMS holds for a column (every page). */
  async results(ctx: Ctx, lineitem: string): Promise<LmsResult[]> {
    return this.pages<LmsResult>(ctx, AGS_RESULT_SCOPE, below(lineitem, "results").toString(), RESULTS_TYPE, { items: "results", unreadable: "results" });
  }

  /** Every page of a list the LMS gradebook sends (a JSON array per page); `what` names it in the errors. */
  private pages<T>(ctx: Ctx, scope: string, url: string, accept: string, what: { items: string; unreadable: string }): Promise<T[]> {
    return pagedGet<T>(url, {
      get: (next) => this.call(ctx, scope, next, { accept }),
      items: (body) => {
        if (!Array.isArray(body)) throw new BadRequest(`The LMS sent ${what.unreadable} this tool cannot read.`);
        return body as T[];
      },
      maxPages: MAX_PAGES,
      tooMany: () => new BadRequest(`The LMS kept sending further pages of ${what.items} (over ${MAX_PAGES}).`),
    });
  }

  /**
   * The tool's column for a quiz or case study in this LMS course: found by its resource id (the item's key,
   * as Deep Linking sets it) and brought up to date, or created; then linked, so its grades go there.
   */
  async publish(ctx: Ctx & { courseId: string }, item: LinkableItem): Promise<{ action: "created" | "updated" | "unchanged"; lineitem: string }> {
    if (item.scoreMaximum === null) throw new BadRequest(`${item.title} is not graded, so it has no gradebook column.`);
    const wanted: LineItem = { label: item.title, scoreMaximum: item.scoreMaximum, resourceId: item.key, tag: item.kind === "quiz" ? "quiz" : "case-study" };
    const [found] = await this.find(ctx, { resourceId: item.key });
    let action: "created" | "updated" | "unchanged";
    let url: string;
    if (!found?.id) {
      url = (await this.create(ctx, wanted)).id!;
      action = "created";
    } else if (found.label !== wanted.label || found.scoreMaximum !== wanted.scoreMaximum || found.tag !== wanted.tag) {
      url = (await this.update(ctx, { ...found, ...wanted, id: found.id })).id ?? found.id;
      action = "updated";
    } else {
      url = found.id;
      action = "unchanged";
    }
    const [kind, slug] = [item.key.slice(0, item.key.indexOf(":")), item.key.slice(item.key.indexOf(":") + 1)];
    const where = { courseId_slug: { courseId: ctx.courseId, slug } };
    const thing = kind === "quiz"
      ? { quizId: (await this.deps.db.quiz.findUniqueOrThrow({ where, select: { id: true } })).id, caseStudyId: null }
      : { caseStudyId: (await this.deps.db.caseStudy.findUniqueOrThrow({ where, select: { id: true } })).id, quizId: null };
    // A column the tool made has no resource link of its own: keyed by the LMS course and the item instead.
    const key = { issuer: ctx.issuer, clientId: ctx.clientId, resourceLinkId: `column:${ctx.id}:${item.key}` };
    const row = await this.deps.db.ltiLineItem.upsert({ where: { issuer_clientId_resourceLinkId: key }, create: { ...key, lineitem: url, contextId: ctx.id, ...thing }, update: { lineitem: url, contextId: ctx.id, ...thing } });
    if (thing.quizId) await backfillLineItem(this.deps.db, row.id, this.deps.clock());
    return { action, lineitem: url };
  }

  /** The LMS's results for a linked column beside the grades sent from here, by student (scores on the column's scale). */
  async compare(ctx: Ctx, lineItemId: string): Promise<{ label: string; rows: ResultRow[] }> {
    const { db } = this.deps;
    const li = await db.ltiLineItem.findFirst({ where: { id: lineItemId, contextId: ctx.id }, include: { quiz: { select: { title: true } }, caseStudy: { select: { title: true, settings: true } } } });
    if (!li) throw new BadRequest("That column is not linked to this LMS course.");
    const max = li.caseStudy ? Number((li.caseStudy.settings as { points?: { max?: unknown } }).points?.max ?? 100) : 100;
    const results = await this.results(ctx, li.lineitem);
    const members = await db.ltiContextMember.findMany({ where: { contextId: ctx.id }, include: { user: { select: { name: true, memberships: { where: { courseId: ctx.courseId ?? undefined }, select: { role: true } } } } } });
    const bySub = new Map(members.map((m) => [m.sub, m]));
    const sent = new Map((await db.ltiScoreSync.findMany({ where: { lineItemId: li.id } })).map((s) => [s.userId, s.percent]));
    const rows: ResultRow[] = [];
    const seen = new Set<string>();
    for (const r of results) {
      const m = bySub.get(r.userId);
      const lms = typeof r.resultScore === "number" ? Math.round((r.resultScore * max) / (r.resultMaximum || max) * 100) / 100 : null;
      const here = m ? sent.get(m.userId) ?? null : null;
      if (m) seen.add(m.userId);
      rows.push({ name: m?.user.name ?? `LMS user ${r.userId}`, lms, here, status: here === null ? "only in the LMS" : lms !== null && Math.abs(lms - here) < 0.01 ? "same" : "different" });
    }
    for (const m of members) {
      const here = sent.get(m.userId);
      if (seen.has(m.userId) || here === undefined || m.user.memberships[0]?.role !== CourseRole.STUDENT) continue;
      rows.push({ name: m.user.name, lms: null, here, status: "not in the LMS yet" });
    }
    return { label: li.quiz?.title ?? li.caseStudy?.title ?? li.lineitem, rows: rows.sort((a, b) => a.name.localeCompare(b.name)) };
  }
}
