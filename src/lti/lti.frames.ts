// LTI inside an LMS frame. The LMS shows the tool in an iframe: pages under /lti, and every page of a
// session that began with a launch, may be framed by the registered platforms' origins (CSP
// frame-ancestors; other pages keep allowing only this site). A browser that keeps no cookie in the
// frame gets a one-time handoff: a verified launch waits a few minutes to be opened in a new window.
import crypto from "node:crypto";
import type { RequestHandler, Response } from "express";
import type { Db } from "../platform/db/prisma.js";
import { handoffPayload, readHandoffPayload, type SessionPlan } from "./lti.plan.js";
import { frameOriginsOf, type LtiPlatforms } from "./lti.registry.js";

declare module "express-session" {
  interface SessionData {
    /** The origins of the LMS that launched this session, which may show its pages in a frame. */
    ltiFrameOrigins?: string[];
    /** The LMS course (LtiContext id) the launch that made this session came from: only its connect page may be framed. */
    ltiContextId?: string;
    /** The hash of the handoff ticket of the launch that made this session (its cookie arrived: the ticket is not needed). */
    ltiTicket?: string;
  }
}

/** How long a launch waits to be opened in a new window. */
export const HANDOFF_MINUTES = 5;

/** Lets the given origins frame this response (CSP frame-ancestors), and drops X-Frame-Options, which cannot name them. */
export function allowFraming(res: Response, origins: string[]): void {
  const csp = String(res.getHeader("Content-Security-Policy") ?? "");
  if (!csp) return;
  res.setHeader("Content-Security-Policy", csp.replace(/frame-ancestors [^;]*/, `frame-ancestors 'self' ${[...new Set(origins)].join(" ")}`));
  res.removeHeader("X-Frame-Options");
}

/** Only this site may frame this response (undoes allowFraming). */
export function denyFraming(res: Response): void {
  const csp = String(res.getHeader("Content-Security-Policy") ?? "");
  if (!csp) return;
  res.setHeader("Content-Security-Policy", csp.replace(/frame-ancestors [^;]*/, "frame-ancestors 'self'"));
  res.setHeader("X-Frame-Options", "SAMEORIGIN");
}

/** Any site may frame this response: only for a page with nothing to click that changes anything (the register page that points to a new window). */
export function allowAnyFraming(res: Response): void {
  const csp = String(res.getHeader("Content-Security-Policy") ?? "");
  if (!csp) return;
  res.setHeader("Content-Security-Policy", csp.replace(/frame-ancestors [^;]*/, "frame-ancestors *"));
  res.removeHeader("X-Frame-Options");
}

/** The pages every registered platform may frame: the steps of a launch (and the Platform Storage pages they render). */
const LAUNCH_PATHS = new Set(["/lti/login", "/lti/launch"]);

/** The connect page of an LMS course, and its forms: framed only by the session that launched that very course. */
export const CONTEXT_PAGE = /^\/lti\/contexts\/([^/]+)(\/|$)/;

/**
 * After the session middleware: the launch pages may be shown in any registered LMS's frame; the pages of an
 * LTI-launched session (the other /lti pages included) only in the frame of the LMS that launched it; an LMS
 * course's connect page only when the session was launched from that course (else another LMS's frame could
 * get a click that connects its course to a course here: clickjacking).
 */
export function ltiFraming(platforms: LtiPlatforms): RequestHandler {
  return (req, res, next) => {
    const fromSession = req.session?.ltiFrameOrigins ?? [];
    const context = CONTEXT_PAGE.exec(req.path);
    if (context) {
      if (fromSession.length && req.session?.ltiContextId === decodeURIComponent(context[1]!)) allowFraming(res, fromSession);
      return next();
    }
    if (!LAUNCH_PATHS.has(req.path)) {
      if (fromSession.length) allowFraming(res, fromSession);
      return next();
    }
    platforms.all().then((all) => {
      const origins = [...fromSession, ...all.flatMap(frameOriginsOf)];
      if (origins.length) allowFraming(res, origins);
      next();
    }, next);
  };
}

const hash = (ticket: string) => crypto.createHash("sha256").update(ticket).digest("base64url");

export class LtiHandoffs {
  constructor(private readonly deps: { db: Db; clock: () => Date }) {}

  /** Keeps the plan for a new window; returns the one-time ticket (only its hash is stored). */
  async create(plan: SessionPlan): Promise<{ ticket: string; hash: string }> {
    const now = this.deps.clock();
    await this.deps.db.ltiHandoff.deleteMany({ where: { createdAt: { lt: new Date(now.getTime() - HANDOFF_MINUTES * 60_000) } } });
    const ticket = crypto.randomBytes(24).toString("base64url");
    await this.deps.db.ltiHandoff.create({ data: { id: hash(ticket), payload: handoffPayload(plan), createdAt: now } });
    return { ticket, hash: hash(ticket) };
  }

  /** The plan, if the ticket is current (not used up) and its stored plan reads back (else null, as for an expired ticket). */
  async peek(ticket: string): Promise<SessionPlan | null> {
    const row = await this.deps.db.ltiHandoff.findUnique({ where: { id: hash(ticket) } });
    return row && this.current(row.createdAt) ? readHandoffPayload(row.payload) : null;
  }

  /** Uses the ticket up (one DELETE … RETURNING: of two racing uses, one gets it); null when it was used, is too old, or its plan does not read back. */
  async claim(ticket: string): Promise<SessionPlan | null> {
    const [row] = await this.deps.db.$queryRaw<{ payload: unknown; createdAt: Date }[]>`
      DELETE FROM "LtiHandoff" WHERE id = ${hash(ticket)} RETURNING payload, "createdAt"`;
    return row && this.current(row.createdAt) ? readHandoffPayload(row.payload) : null;
  }

  static matches(ticket: string, stored: string | undefined): boolean {
    const h = hash(ticket);
    return Boolean(stored) && stored!.length === h.length && crypto.timingSafeEqual(Buffer.from(stored!), Buffer.from(h));
  }

  private current(createdAt: Date): boolean {
    return this.deps.clock().getTime() - createdAt.getTime() <= HANDOFF_MINUTES * 60_000;
  }
}
