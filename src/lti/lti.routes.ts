// LTI 1.3 endpoints an LMS administrator registers: the login initiation URL
// (/lti/login), the redirect / launch URL (/lti/launch), and a page listing them; then the
// pages a launch may lead to: choosing the account to link, and connecting an LMS course.
// No CSRF token on the launch: it is a cross-site POST by design, and what protects it
// is the signed id_token, bound to a one-time state and nonce and to the browser that began
// the login (a cookie set at login initiation, or the LMS's Platform Storage when the browser
// blocks cookies in its frame).
import { Router, type Request, type Response } from "express";
import { ipKeyGenerator, rateLimit } from "express-rate-limit";
import { z } from "zod";
import type { Config } from "../platform/config.js";
import { BadRequest, Forbidden, NotFound, TooManyRequests } from "../platform/errors.js";
import { csrfProtection, flash, parseForm, readCookie, regenerateSession, requireUser, saveSession } from "../platform/http.js";
import { pageContext } from "../platform/page-context.js";
import { allowFraming, HANDOFF_MINUTES, LtiHandoffs } from "./lti.frames.js";
import type { ToolKey } from "./lti.keys.js";
import type { LtiLineItems } from "./lti.lineitems.js";
import type { LtiRoster } from "./lti.roster.js";
import type { DeepLinking, PendingLaunch, SessionPlan } from "./lti.plan.js";
import type { LaunchOutcome, LtiService } from "./lti.service.js";

declare module "express-session" {
  interface SessionData {
    /** A verified launch waiting for the person to choose the account it links to. */
    ltiPending?: PendingLaunch;
    /** A content selection (Deep Linking) request being answered, for the LMS course `contextRowId`. */
    ltiDeepLink?: DeepLinking & { contextRowId: string };
  }
}

const LoginParams = z.object({
  iss: z.string("The platform's issuer (iss) is missing.").min(1, "The platform's issuer (iss) is missing."),
  login_hint: z.string("The login_hint is missing.").min(1, "The login_hint is missing."),
  target_link_uri: z.string().optional(),
  lti_message_hint: z.string().optional(),
  client_id: z.string().optional(),
  lti_deployment_id: z.string().optional(),
  lti_storage_target: z.string().max(200).optional(),
});
const LaunchBody = z.object({
  id_token: z.string("The id_token is missing.").min(1, "The id_token is missing."),
  state: z.string("The state is missing.").min(1, "The state is missing."),
});
const LinkBody = z.object({
  choice: z.enum(["link", "new"], "Choose whether to link your account or make a new one."),
  password: z.string().max(1024).default(""),
});
const ConnectBody = z.object({ course: z.string().trim().min(1, "Choose a course.").max(200) });

/** Login initiations per address per 10 minutes. */
export const LTI_LOGINS_PER_ADDRESS = 600;
/** The cookie naming the login this browser began: `lti-state-<first 12 characters of the state>`. */
export const STATE_COOKIE_PREFIX = "lti-state-";
const AGAIN = "This is not a valid LTI request: open the activity from your course in the LMS.";
/** The header the tool's own page adds when it has read the state back from the platform's storage (a cross-site form cannot add it). */
export const STORAGE_CHECKED_HEADER = "X-LTI-Storage-Checked";

export function ltiRoutes({ lti, roster, lineItems, config, toolKey, checkPassword }: {
  lti: LtiService;
  lineItems: LtiLineItems;
  roster: LtiRoster;
  config: Config;
  toolKey: () => Promise<ToolKey>;
  /** The account whose email and password these are, or null (the sign-in form's check, with its limits). */
  checkPassword: (email: string, password: string) => Promise<string | null>;
}) {
  const router = Router();
  const handoffs = lti.handoffs;
  const requireEnabled = async (): Promise<string> => {
    if (!(await lti.enabled())) throw new NotFound("LTI is not set up on this server. An administrator registers LMS platforms in LTI_PLATFORMS_FILE (see the README).");
    // The redirect_uri and the launch's target are checked against the site's own address, never a Host header.
    if (!lti.publicOrigin) throw new NotFound("LTI is not available until this server knows its public address: an administrator sets PUBLIC_URL (see the README).");
    return lti.publicOrigin;
  };

  // Each login initiation stores a state row until its launch: bounded per address here (generous, as a
  // lecture hall behind one NAT opens the activity together) and in total by the service.
  const loginLimiter = rateLimit({
    windowMs: 10 * 60_000,
    limit: LTI_LOGINS_PER_ADDRESS,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? ""),
    handler: (_req, _res, next) => next(new TooManyRequests("Too many LTI sign-ins from your network in the last few minutes. Wait ten minutes, then open the activity from your LMS again.")),
  });
  const linkLimiter = rateLimit({
    windowMs: 15 * 60_000,
    limit: config.LOGIN_RATE_LIMIT,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    keyGenerator: (req) => `${ipKeyGenerator(req.ip ?? "")}|${req.session.ltiPending?.email ?? ""}`,
    handler: (_req, _res, next) => next(new TooManyRequests("Too many wrong passwords for this account from your network. Wait 15 minutes, or continue with a separate account.")),
  });

  // Platforms send the login initiation as a GET or a POST.
  router.all("/lti/login", loginLimiter, async (req, res) => {
    const origin = await requireEnabled();
    if (req.method !== "GET" && req.method !== "POST") throw new BadRequest("Use GET or POST.");
    const params = parseForm(LoginParams, req.method === "GET" ? req.query : req.body, AGAIN);
    const url = new URL(await lti.beginLogin(params, `${origin}/lti/launch`));
    const state = url.searchParams.get("state")!;
    // Binds the login to this browser. SameSite=None (the launch is a cross-site POST), Secure (which
    // None requires), Partitioned (kept when the LMS shows the tool in a frame and third-party cookies are blocked).
    res.cookie(`${STATE_COOKIE_PREFIX}${state.slice(0, 12)}`, state, { httpOnly: true, secure: true, sameSite: "none", partitioned: true, path: "/lti", maxAge: 10 * 60_000 });
    if (!params.lti_storage_target) return res.redirect(302, url.toString());
    // The LMS offers Platform Storage (LTI Client Side postMessages): a page stores the state in the platform's
    // frame too, for a browser that drops the cookie, then goes on to the platform.
    res.render("lti-storage", {
      title: "Signing in from your LMS", mode: "put", target: params.lti_storage_target, platformOrigin: url.origin,
      key: `${STATE_COOKIE_PREFIX}${state}`, value: state, next: url.toString(),
    });
  });

  /**
   * Signs the launch's account in (a new session id defeats session fixation) and says where to go. Over https the
   * session cookie is SameSite=None; Secure; Partitioned, so it works inside the LMS frame. A launch inside a frame
   * first goes to /lti/opened, which checks the cookie arrived, else offers to open the launch in a new window.
   */
  async function startSession(req: Request, plan: SessionPlan, framed: boolean): Promise<string> {
    // Only a framed launch needs the cross-site cookie (and the account choice that follows one, in the same frame);
    // a whole-page session keeps the site's default (SameSite=Lax).
    const crossSite = framed || req.session.cookie.sameSite === "none";
    await regenerateSession(req);
    applyPlan(req, plan);
    if (req.secure && crossSite) Object.assign(req.session.cookie, { sameSite: "none", secure: true, partitioned: true });
    if (!framed) {
      await saveSession(req);
      return plan.dest;
    }
    const { ticket, hash } = await handoffs.create(plan);
    req.session.ltiTicket = hash;
    await saveSession(req);
    return `/lti/opened?ticket=${encodeURIComponent(ticket)}`;
  }

  function applyPlan(req: Request, plan: SessionPlan) {
    if (plan.userId) req.session.userId = plan.userId;
    if (plan.ltiPending) req.session.ltiPending = plan.ltiPending;
    if (plan.ltiDeepLink) req.session.ltiDeepLink = plan.ltiDeepLink;
    req.session.ltiFrameOrigins = plan.frameOrigins;
    if (plan.contextRowId) req.session.ltiContextId = plan.contextRowId;
    if (plan.flash) flash(req, plan.flash.kind, plan.flash.text);
  }

  /** What the outcome of a launch puts in the session, and where it goes. */
  async function planFor(outcome: Exclude<LaunchOutcome, { kind: "checkStorage" }>): Promise<SessionPlan> {
    if (outcome.kind === "chooseAccount") return { ltiPending: outcome.pending, frameOrigins: outcome.pending.frameOrigins ?? [], dest: "/lti/link", who: outcome.email };
    const frameOrigins = outcome.frameOrigins ?? [];
    const who = (await lti.userName(outcome.userId)) ?? "your LMS account";
    const ltiDeepLink = outcome.kind !== "signedIn" && outcome.deepLinking ? { ...outcome.deepLinking, contextRowId: outcome.contextRowId } : undefined;
    if (outcome.kind === "deepLink") return { userId: outcome.userId, ltiDeepLink, frameOrigins, contextRowId: outcome.contextRowId, dest: "/lti/deep-link", who };
    if (outcome.kind === "connect") {
      return { userId: outcome.userId, ltiDeepLink, frameOrigins, contextRowId: outcome.contextRowId, dest: `/lti/contexts/${outcome.contextRowId}`, who, flash: { kind: "info", text: "Signed in from your LMS. This LMS course is not connected to a course here yet." } };
    }
    return { userId: outcome.userId, frameOrigins, dest: outcome.target, who, flash: { kind: "success", text: "Signed in from your LMS." } };
  }

  /** A same-origin request from the tool's own page: a cross-site form post has neither this Origin nor a custom header. */
  function fromOwnPage(req: Request, origin: string): boolean {
    const site = req.get("sec-fetch-site");
    const from = req.get("origin");
    return (site === undefined || site === "same-origin") && (from === undefined || from === origin);
  }

  router.post("/lti/launch", async (req, res) => {
    const origin = await requireEnabled();
    const { id_token, state } = parseForm(LaunchBody, req.body, AGAIN);
    const cookieName = `${STATE_COOKIE_PREFIX}${state.slice(0, 12)}`;
    const browserState = readCookie(req, cookieName);
    res.clearCookie(cookieName, { httpOnly: true, secure: true, sameSite: "none", partitioned: true, path: "/lti" });
    const storageChecked = req.get(STORAGE_CHECKED_HEADER) === "1";
    if (storageChecked && !fromOwnPage(req, origin)) throw new Forbidden("This launch was not sent by this tool's own page. Open the activity again from your course in the LMS.");
    const outcome = await lti.launch(id_token, state, browserState, { storageChecked });
    if (outcome.kind === "checkStorage") {
      // No cookie came back: this tool's page reads the state from the platform's storage and posts the launch again.
      return res.render("lti-storage", { title: "Signing in from your LMS", mode: "get", target: outcome.target, platformOrigin: outcome.platformOrigin, key: `${STATE_COOKIE_PREFIX}${state}`, value: state, token: id_token });
    }
    // In a frame (the browser says so; a launch checked through Platform Storage is one), make sure the session cookie arrives.
    const framed = storageChecked || req.get("sec-fetch-dest") === "iframe";
    const location = await startSession(req, await planFor(outcome), framed);
    if (storageChecked) return res.json({ location });
    res.redirect(303, location);
  });

  // After a launch in a frame: the session cookie arrived (go on), or the browser dropped it (offer a new window).
  router.get("/lti/opened", async (req, res) => {
    const ticket = typeof req.query.ticket === "string" ? req.query.ticket : "";
    if (ticket && LtiHandoffs.matches(ticket, req.session.ltiTicket)) {
      delete req.session.ltiTicket;
      // The cookie works: the ticket is not needed, and is used up so that it cannot sign anyone in later.
      const plan = await handoffs.claim(ticket);
      return res.redirect(303, plan?.dest ?? "/");
    }
    const plan = ticket ? await handoffs.peek(ticket) : null;
    // Opened as a whole page, a ticket is never needed (cookies work there): only a frame is offered the new window.
    // A browser that does not say (no Sec-Fetch-Dest) gets no ticket either: a page of another site must not get one to sign a browser in.
    const inFrame = req.get("sec-fetch-dest") === "iframe";
    // Framed only by the LMS that launched (the plan's origins), never by every registered platform.
    if (plan && inFrame) allowFraming(res, plan.frameOrigins);
    res.status(plan && inFrame ? 200 : 410).render("lti-new-window", { title: "Open in a new window", plan: plan && inFrame ? plan : null, ticket, minutes: HANDOFF_MINUTES });
  });

  // The new window: the ticket signs the launch in there (a top-level page, where the browser keeps the cookie).
  router.post("/lti/continue", async (req, res) => {
    const origin = await requireEnabled();
    // Only this tool's own page (the new-window button) may use a ticket: a cross-site form cannot sign a browser in as someone else.
    if (!fromOwnPage(req, origin) || (!req.get("origin") && !req.get("sec-fetch-site"))) throw new Forbidden("Use the button on this tool's page in your LMS to open the activity in a new window.");
    const ticket = parseForm(z.object({ ticket: z.string().min(1).max(100) }), req.body, AGAIN).ticket;
    const plan = await handoffs.claim(ticket);
    if (!plan) throw new Forbidden(`This link to open the activity in a new window has expired (after ${HANDOFF_MINUTES} minutes) or was already used. Open the activity again from your course in the LMS.`);
    await regenerateSession(req);
    applyPlan(req, plan);
    await saveSession(req);
    res.redirect(303, plan.dest);
  });

  // An account here has the launch's email: link it by proving it is yours, or make a separate one.
  router.get("/lti/link", (req, res) => {
    const p = req.session.ltiPending;
    if (!p) throw new NotFound("There is no LMS launch waiting here (it may have expired). Open the activity again from your LMS.");
    res.render("lti-link", { title: "Link your LMS sign-in", email: p.email, csrfToken: res.locals.csrfToken });
  });

  router.post("/lti/link", csrfProtection, linkLimiter, async (req, res) => {
    const p = req.session.ltiPending;
    if (!p) throw new NotFound("There is no LMS launch waiting here (it may have expired). Open the activity again from your LMS.");
    const body = parseForm(LinkBody, req.body);
    let userId: string | null = null;
    if (body.choice === "link") {
      userId = p.email && body.password ? await checkPassword(p.email, body.password) : null;
      if (!userId) {
        res.status(401).render("lti-link", { title: "Link your LMS sign-in", email: p.email, csrfToken: res.locals.csrfToken, error: "That is not the password of this account. Try again, or continue with a separate account." });
        return;
      }
    }
    const outcome = await lti.finish(p, userId);
    delete req.session.ltiPending;
    if (outcome.kind === "chooseAccount" || outcome.kind === "checkStorage") throw new BadRequest(AGAIN);
    res.redirect(303, await startSession(req, await planFor(outcome), false));
  });

  // An LMS course waiting to be connected: an instructor of a course here, or an administrator, connects it.
  router.get("/lti/contexts/:id", requireUser, async (req, res) => {
    await requireEnabled();
    const ctx = await lti.context(String(req.params.id));
    if (!ctx) throw new NotFound("There is no such LMS course here.");
    const { user } = pageContext(res, "user");
    const courses = await lti.connectableCourses(user);
    const suggested = await lti.suggestedCourse(ctx.issuer, ctx.clientId);
    const manages = Boolean(ctx.course) && (user.isAdmin || courses.some((c) => c.slug === ctx.course!.slug));
    res.render("lti-connect", {
      title: "Connect an LMS course",
      ctx, connected: ctx.course, manages, csrfToken: res.locals.csrfToken,
      columns: manages ? await lti.columns(ctx.id, ctx.courseId!) : [],
      canManageColumns: ctx.agsScopes.includes("https://purl.imsglobal.org/spec/lti-ags/scope/lineitem") && Boolean(ctx.lineitemsUrl),
      rosterSyncedAt: ctx.rosterSyncedAt?.toISOString(),
      courses: courses.map((c) => ({ ...c, selected: c.slug === suggested })),
      shareUrl: `${lti.publicOrigin ?? ""}/lti/contexts/${ctx.id}`,
    });
  });

  router.post("/lti/contexts/:id", requireUser, csrfProtection, async (req, res) => {
    await requireEnabled();
    // In a frame, only the session launched from this very LMS course may connect it (another LMS's frame must not get the click).
    if (req.get("sec-fetch-dest") === "iframe" && req.session.ltiContextId !== String(req.params.id)) {
      throw new Forbidden("This LMS course can be connected only from its own launch, or on this site in a window of its own: open this page in a new window (its address is on the page) and connect it there.");
    }
    const { course } = parseForm(ConnectBody, req.body);
    const { user } = pageContext(res, "user");
    if (!user.isAdmin && !(await lti.connectableCourses(user)).some((c) => c.slug === course)) {
      throw new Forbidden("Only an instructor of that course here, or a site administrator, can connect an LMS course to it.");
    }
    const { slug } = await lti.connect(String(req.params.id), course, user);
    flash(req, "success", "The LMS course is connected: its launches now open this course, with the roles the LMS gives.");
    // Connected in the middle of choosing content for it: back to the choice.
    res.redirect(303, req.session.ltiDeepLink?.contextRowId === String(req.params.id) ? "/lti/deep-link" : `/courses/${slug}`);
  });

  /** A connected LMS course that the signed-in user manages (an instructor of its course here, or an administrator). */
  async function managedContext(req: Request, res: Response, what: string) {
    await requireEnabled();
    const ctx = await lti.context(String(req.params.id));
    if (!ctx?.course || !ctx.courseId) throw new NotFound("There is no such connected LMS course here.");
    const { user } = pageContext(res, "user");
    if (!user.isAdmin && !(await lti.connectableCourses(user)).some((c) => c.slug === ctx.course!.slug)) {
      throw new Forbidden(`Only an instructor of the connected course, or a site administrator, can ${what}.`);
    }
    return { ...ctx, courseId: ctx.courseId, course: ctx.course };
  }

  // The tool's gradebook column for a quiz or case study in the LMS course (AGS line items): found by its resource id and updated, or created.
  router.post("/lti/contexts/:id/columns", requireUser, csrfProtection, async (req, res) => {
    const ctx = await managedContext(req, res, "manage its gradebook columns");
    const { item } = parseForm(z.object({ item: z.string("Choose a quiz or case study.").min(1, "Choose a quiz or case study.") }), req.body);
    const found = (await lti.linkableContent(ctx.courseId)).find((i) => i.key === item && i.scoreMaximum !== null);
    if (!found) throw new BadRequest("That quiz or case study is not part of this course any more. Reload the page and choose again.");
    const r = await lineItems.publish(ctx, found);
    const said = { created: "made in the LMS gradebook", updated: "brought up to date in the LMS gradebook (its title and maximum)", unchanged: "already in the LMS gradebook, up to date" }[r.action];
    flash(req, "success", `The column for ${found.title} was ${said}; its grades are sent there.`);
    res.redirect(303, `/lti/contexts/${ctx.id}`);
  });

  // What the LMS holds in a column (AGS results), beside the grades sent from here.
  router.get("/lti/contexts/:id/columns/:lineItemId", requireUser, async (req, res) => {
    const ctx = await managedContext(req, res, "read its gradebook");
    const { label, rows } = await lineItems.compare(ctx, String(req.params.lineItemId));
    res.render("lti-results", { title: `LMS gradebook: ${label}`, ctx, label, rows, different: rows.filter((r) => r.status !== "same").length });
  });

  // The LMS courses connected to a course here, with their columns and roster status (for its instructors).
  router.get("/lti/courses/:slug", requireUser, async (req, res) => {
    await requireEnabled();
    const { user } = pageContext(res, "user");
    const slug = String(req.params.slug);
    if (!user.isAdmin && !(await lti.connectableCourses(user)).some((c) => c.slug === slug)) throw new Forbidden("Only an instructor of this course, or a site administrator, sees its LMS connections.");
    const course = await lti.courseConnections(slug);
    if (!course) throw new NotFound(`There is no course "${slug}" here.`);
    res.render("lti-course", { title: `LMS connections: ${course.title}`, course });
  });

  // Roster sync (NRPS 2.0): an instructor of the connected course, or an administrator.
  router.post("/lti/contexts/:id/roster", requireUser, csrfProtection, async (req, res) => {
    const ctx = await managedContext(req, res, "sync its roster");
    const { user } = pageContext(res, "user");
    const r = await roster.sync(ctx.id, user.id);
    flash(req, "success", `Roster synced from the LMS: ${r.listed} listed, ${r.added} added, ${r.changed} role changes, ${r.removed} removed.${r.skipped.length ? ` Not added: ${r.skipped.join("; ")}.` : ""}`);
    res.redirect(303, `/lti/contexts/${ctx.id}`);
  });

  // Content selection (Deep Linking 2.0): the LMS instructor picks quizzes, case studies or readings; the
  // answer is a JWT signed by the tool's key, posted by the browser back to the LMS.
  async function deepLinkContext(req: Request, res: Response) {
    const dl = req.session.ltiDeepLink;
    if (!dl) throw new NotFound("There is no content selection from your LMS waiting here (it may have expired). Start it again from the LMS.");
    const ctx = await lti.context(dl.contextRowId);
    if (!ctx) throw new NotFound("The LMS course of this content selection is gone. Start it again from the LMS.");
    const { user } = pageContext(res, "user");
    if (ctx.courseId && !user.isAdmin && !(await lti.connectableCourses(user)).some((c) => c.slug === ctx.course!.slug)) {
      throw new Forbidden("Only an instructor of the connected course can choose its content for the LMS.");
    }
    return { dl, ctx };
  }

  router.get("/lti/deep-link", requireUser, async (req, res) => {
    await requireEnabled();
    const { dl, ctx } = await deepLinkContext(req, res);
    if (!ctx.course) return res.redirect(303, `/lti/contexts/${ctx.id}`);
    const items = await lti.linkableContent(ctx.courseId!);
    res.render("lti-deep-link", { title: "Add to your LMS course", ctx, items, multiple: dl.acceptMultiple, csrfToken: res.locals.csrfToken });
  });

  router.post("/lti/deep-link", requireUser, csrfProtection, async (req, res) => {
    const origin = await requireEnabled();
    const { dl, ctx } = await deepLinkContext(req, res);
    if (!ctx.course) return res.redirect(303, `/lti/contexts/${ctx.id}`);
    const raw = (req.body as { item?: unknown } | undefined)?.item;
    const keys = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String);
    const available = await lti.linkableContent(ctx.courseId!);
    const chosen = keys.map((k) => available.find((i) => i.key === k));
    if (chosen.some((i) => !i)) throw new BadRequest("Something chosen is not part of this course any more. Reload the page and choose again.");
    if (!dl.acceptMultiple && chosen.length > 1) throw new BadRequest("Your LMS accepts one item here: choose one.");
    const jwt = await lti.deepLinkingResponse(dl, ctx, ctx.course.slug, chosen as NonNullable<(typeof chosen)[number]>[], await toolKey());
    delete req.session.ltiDeepLink;
    // This one page may post a form to the LMS (the site's policy allows forms to itself only).
    const csp = String(res.getHeader("Content-Security-Policy") ?? "");
    res.setHeader("Content-Security-Policy", csp.replace(/form-action [^;]*/, (v) => `${v} ${new URL(dl.returnUrl).origin}`));
    res.render("lti-deep-link-return", { title: "Back to your LMS", returnUrl: dl.returnUrl, jwt, count: chosen.length, origin });
  });

  // The tool's public key: platforms check the assertions it signs for access tokens (grades).
  router.get("/lti/jwks", async (_req, res) => {
    res.set("Cache-Control", "public, max-age=3600").json({ keys: (await toolKey()).publishedJwks });
  });

  // Canvas's "Paste JSON" configuration for an LTI 1.3 developer key (the redirect URI is entered beside it).
  router.get("/lti/canvas.json", async (_req, res) => {
    const o = await requireEnabled();
    const launch = `${o}/lti/launch`;
    const placement = (name: string, messageType: string) => ({ placement: name, message_type: messageType, target_link_uri: launch, text: "CNN course module" });
    res.json({
      title: "CNN course module",
      description: "Readings, checklist, the preparation quiz and the case-study leaderboard of the CNN module; quiz grades and case-study points go to the gradebook.",
      oidc_initiation_url: `${o}/lti/login`,
      target_link_uri: launch,
      public_jwk_url: `${o}/lti/jwks`,
      scopes: [
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem", "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
        "https://purl.imsglobal.org/spec/lti-ags/scope/score", "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
      ],
      extensions: [{
        platform: "canvas.instructure.com",
        privacy_level: "public",
        settings: { placements: [placement("link_selection", "LtiDeepLinkingRequest"), placement("assignment_selection", "LtiDeepLinkingRequest"), placement("course_navigation", "LtiResourceLinkRequest")] },
      }],
      custom_fields: {},
    });
  });

  // What an LMS administrator enters when registering this tool.
  router.get("/lti", async (_req, res) => {
    const o = lti.publicOrigin;
    // Without PUBLIC_URL there are no addresses to give (the page says how to set it), not addresses beginning "null".
    const urls = o ? { registerUrl: `${o}/lti/register`, loginUrl: `${o}/lti/login`, launchUrl: `${o}/lti/launch`, jwksUrl: `${o}/lti/jwks` } : {};
    res.render("lti", { title: "LTI 1.3 registration", enabled: await lti.enabled(), hasOrigin: Boolean(o), origin: o, ...urls });
  });

  return router;
}
