// LTI 1.3 launches (IMS LTI Core 1.3 with OpenID Connect third-party login): the
// platform starts a login, we answer with a state and a nonce, the platform posts back
// a signed id_token, and we verify it against the platform's published keys before
// signing the person in — to an account linked to the platform's id for them, in the
// course the link names, with the role the platform gives them there.
import crypto from "node:crypto";
import { jwtVerify, SignJWT, errors as joseErrors, type CryptoKey, type JWTPayload } from "jose";
import { CourseRole, type Db } from "../platform/db/prisma.js";
import { BadRequest, Forbidden, HttpError, NotFound, TooManyRequests } from "../platform/errors.js";
import { AGS_SCORE_SCOPE, backfillLineItem } from "./lti.grades.js";
import { LtiEgress, PrivateHost } from "./lti.egress.js";
import type { LtiPlatform } from "./lti.platforms.js";
import { LtiHandoffs } from "./lti.frames.js";
import type { DeepLinking, PendingLaunch } from "./lti.plan.js";
import { frameOriginsOf, LtiPlatforms, type TrustedPlatform } from "./lti.registry.js";

const CLAIM = "https://purl.imsglobal.org/spec/lti/claim/";
/** How long a login may take between the platform's two requests. */
const STATE_MINUTES = 10;
/** Logins begun and not yet launched (kept an hour) beyond which new ones are refused with a 429. */
export const MAX_PENDING_LOGINS = 5_000;

class LaunchRefused extends HttpError {
  constructor(message: string) {
    super(401, `${message} Open the activity again from your course in the LMS; if it keeps failing, tell your instructor.`, "lti_refused");
  }
}

export interface LoginRequest {
  iss: string;
  login_hint: string;
  target_link_uri?: string;
  lti_message_hint?: string;
  client_id?: string;
  lti_deployment_id?: string;
  /** LTI Platform Storage: the platform frame that keeps data for the tool when cookies are blocked ("_parent" or a frame's name). */
  lti_storage_target?: string;
}

/** The deep_linking_settings claim, checked: this tool returns LTI resource links. */
function deepLinkingSettings(claims: Record<string, unknown>): Omit<DeepLinking, "deploymentId"> {
  const dl = claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] as Record<string, unknown> | undefined;
  const returnUrl = typeof dl?.deep_link_return_url === "string" ? dl.deep_link_return_url : "";
  let url: URL | null = null;
  try {
    url = new URL(returnUrl);
  } catch { /* refused below */ }
  if (!url || (url.protocol !== "https:" && !(url.protocol === "http:" && ["localhost", "127.0.0.1"].includes(url.hostname)))) {
    throw new BadRequest("The content selection request has no valid return address (deep_link_return_url). Your LMS administrator can check the tool's placement.");
  }
  if (!Array.isArray(dl!.accept_types) || !dl!.accept_types.includes("ltiResourceLink")) {
    throw new BadRequest("The LMS asks for a kind of content this tool does not make: it offers links to its quizzes, readings and case studies (ltiResourceLink).");
  }
  return { returnUrl, acceptMultiple: dl!.accept_multiple !== false, data: typeof dl!.data === "string" ? dl!.data : null };
}

/** Something of a course an LMS can link to (Deep Linking); graded ones carry their scale. */
export interface LinkableItem {
  key: string;
  kind: "quiz" | "case study" | "module" | "reading";
  title: string;
  /** Below /courses/<course>/. */
  path: string;
  scoreMaximum: number | null;
}

export type LaunchOutcome =
  /** Signed in to the course the LMS course is connected to, at this page. */
  | { kind: "signedIn"; userId: string; courseSlug: string; target: string; frameOrigins?: string[] }
  /** An LMS instructor whose LMS course is not connected yet: signed in, to connect it (or ask for it to be). */
  | { kind: "connect"; userId: string; contextRowId: string; deepLinking?: DeepLinking; frameOrigins?: string[] }
  /** An LMS instructor choosing this tool's content for their LMS course (Deep Linking). */
  | { kind: "deepLink"; userId: string; contextRowId: string; deepLinking: DeepLinking; frameOrigins?: string[] }
  /** An account here has the launch's email: the person links it with its password, or makes a separate one. */
  | { kind: "chooseAccount"; pending: PendingLaunch; email: string }
  /**
   * The browser sent no cookie for this login, which began with LTI Platform Storage: a page of the tool must first
   * read the state back from the platform frame (postMessage), then post the launch again, marked as checked.
   */
  | { kind: "checkStorage"; target: string; platformOrigin: string };

const MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#";
const MEMBERSHIP_SUB = "http://purl.imsglobal.org/vocab/lis/v2/membership/";
/** LIS context roles whose simple names the LTI 1.3 core spec (§A.2.2) lets platforms send bare. */
const CONTEXT_ROLES = new Set(["Administrator", "ContentDeveloper", "Instructor", "Learner", "Mentor", "Manager", "Member", "Officer"]);

/**
 * The course role the LTI roles give. Only context (membership) roles count, in the spec's long
 * (`…/membership#Instructor`) or short (`Instructor`) form, and sub-roles (`…/membership/Learner#Instructor`)
 * count as their principal role: a learner's sub-role is a learner, and an Instructor's
 * TeachingAssistant sub-role is a grader here. Institution and system roles and LTI 1.1 URNs are ignored.
 */
export function roleFromLti(roles: unknown): CourseRole | null {
  const principals = new Set<string>();
  let assistant = false;
  for (const r of Array.isArray(roles) ? roles : []) {
    if (typeof r !== "string") continue;
    if (r.startsWith(MEMBERSHIP)) principals.add(r.slice(MEMBERSHIP.length));
    else if (CONTEXT_ROLES.has(r)) principals.add(r);
    else if (r.startsWith(MEMBERSHIP_SUB)) {
      const [principal, sub] = r.slice(MEMBERSHIP_SUB.length).split("#");
      if (!principal || !sub || !CONTEXT_ROLES.has(principal)) continue;
      // Instructor's TeachingAssistant* (Section, Offering, Group, …) and Grader sub-roles grade here; any other
      // sub-role is its principal: Instructor#Lecturer an instructor, Learner#Instructor a learner.
      if (principal === "Instructor" && (sub.startsWith("TeachingAssistant") || sub === "Grader")) assistant = true;
      else principals.add(principal);
    }
  }
  if (assistant) return CourseRole.GRADER;
  if (principals.has("Instructor") || principals.has("Administrator") || principals.has("ContentDeveloper")) return CourseRole.INSTRUCTOR;
  if (principals.has("Learner")) return CourseRole.STUDENT;
  return null;
}

/**
 * The origin of the LMS site a launch names (tool_platform.url, signed by the platform), for framing: Canvas's
 * issuer and login endpoint are shared by every school, while its pages come from the school's own domain.
 */
function lmsSiteOrigin(toolPlatform: unknown): string[] {
  const url = (toolPlatform as { url?: unknown } | undefined)?.url;
  if (typeof url !== "string") return [];
  try {
    const u = new URL(url);
    return u.protocol === "https:" ? [u.origin] : [];
  } catch {
    return [];
  }
}

export class LtiService {
  private readonly keySets = new Map<string, ReturnType<LtiEgress["keySet"]>>();
  readonly platforms: LtiPlatforms;
  /** Verified launches waiting to be opened in a new window (the browser kept no cookie in the LMS frame). */
  readonly handoffs: LtiHandoffs;

  /** `publicOrigin`: the site's own origin from PUBLIC_URL; without it LTI stays off (a redirect_uri is never built from a Host header). */
  private readonly egress: LtiEgress;

  constructor(private readonly deps: { db: Db; platforms: LtiPlatform[]; clock: () => Date; publicOrigin: string | null; /** Where requests to platforms may connect (default: the checks production makes). */ egress?: LtiEgress }) {
    this.egress = deps.egress ?? new LtiEgress();
    this.platforms = new LtiPlatforms({ db: deps.db, file: deps.platforms });
    this.handoffs = new LtiHandoffs({ db: deps.db, clock: deps.clock });
  }

  async userName(id: string): Promise<string | null> {
    return (await this.deps.db.user.findUnique({ where: { id }, select: { name: true } }))?.name ?? null;
  }

  /** Platforms are registered (LTI_PLATFORMS_FILE or Dynamic Registration). */
  enabled(): Promise<boolean> {
    return this.platforms.any();
  }

  get publicOrigin(): string | null {
    return this.deps.publicOrigin;
  }

  private platform(issuer: string, clientId?: string): Promise<TrustedPlatform | undefined> {
    return this.platforms.find(issuer, clientId);
  }

  /**
   * Step 1: the platform's login initiation. Returns the platform's authorisation URL
   * to send the browser to, with a fresh state and nonce remembered for step 2.
   */
  async beginLogin(req: LoginRequest, redirectUri: string): Promise<string> {
    const platform = await this.platform(req.iss, req.client_id);
    if (!platform) throw new BadRequest(`This tool has no LTI registration for the platform "${req.iss}"${req.client_id ? ` with client id ${req.client_id}` : ""}. An administrator registers platforms in LTI_PLATFORMS_FILE.`);
    if (req.lti_deployment_id && !platform.deployments.includes(req.lti_deployment_id)) throw new Forbidden(`The deployment "${req.lti_deployment_id}" of ${platform.name} is not registered with this tool. An administrator can add it to LTI_PLATFORMS_FILE.`);
    const state = crypto.randomBytes(24).toString("base64url");
    const nonce = crypto.randomBytes(24).toString("base64url");
    const now = this.deps.clock();
    await this.deps.db.ltiLaunchState.deleteMany({ where: { createdAt: { lt: new Date(now.getTime() - 60 * 60_000) } } });
    // A ceiling on logins begun and not finished, so a flood of initiations cannot grow the table without bound.
    if ((await this.deps.db.ltiLaunchState.count()) >= MAX_PENDING_LOGINS) {
      throw new TooManyRequests("Too many LTI sign-ins are in progress on this server. Wait a few minutes, then open the activity from your LMS again.");
    }
    const storageTarget = req.lti_storage_target?.trim().slice(0, 200) || null;
    await this.deps.db.ltiLaunchState.create({ data: { state, nonce, issuer: platform.issuer, clientId: platform.clientId, createdAt: now, storageTarget } });
    const url = new URL(platform.authLoginUrl);
    const params: Record<string, string> = {
      scope: "openid", response_type: "id_token", response_mode: "form_post", prompt: "none",
      client_id: platform.clientId, redirect_uri: redirectUri, login_hint: req.login_hint, state, nonce,
    };
    if (req.lti_message_hint) params.lti_message_hint = req.lti_message_hint;
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.toString();
  }

  /**
   * Step 2: the platform's signed launch. Verifies it (signature, issuer, audience, azp, exp and
   * bounded iat, nonce, deployment, context, resource link) and says what happens next. The course
   * is the one the LMS course (issuer, client, deployment, context) was connected to here — never a
   * launch parameter — and the account is the one linked to the platform's id for the person.
   */
  async launch(idToken: string, state: string, browserState: string | undefined, opts: { storageChecked?: boolean } = {}): Promise<LaunchOutcome> {
    const cookieMatches = Boolean(browserState) && browserState!.length === state.length && crypto.timingSafeEqual(Buffer.from(browserState!), Buffer.from(state));
    if (!cookieMatches && !opts.storageChecked) {
      // No cookie, but the login used Platform Storage: the state is not used up until a page has read it back from the platform.
      const row = await this.deps.db.ltiLaunchState.findUnique({ where: { state } });
      const p = row?.storageTarget ? await this.platform(row.issuer, row.clientId) : undefined;
      if (row?.storageTarget && p) return { kind: "checkStorage", target: row.storageTarget, platformOrigin: new URL(p.authLoginUrl).origin };
    }
    // The state is used once, and only within minutes of the login that made it: claimed by one
    // DELETE … RETURNING, so of two launches racing on it exactly one gets it.
    const [pending] = await this.deps.db.$queryRaw<{ issuer: string; clientId: string; nonce: string; createdAt: Date; storageTarget: string | null }[]>`
      DELETE FROM "LtiLaunchState" WHERE state = ${state} RETURNING issuer, "clientId", nonce, "createdAt", "storageTarget"`;
    if (!pending || this.deps.clock().getTime() - pending.createdAt.getTime() > STATE_MINUTES * 60_000) {
      throw new LaunchRefused("This launch has expired or was already used.");
    }
    // The login began in this browser: a cookie set then, or (cookies blocked in the LMS frame) the state
    // read back by the tool's own page from the platform's storage, which keeps it per browser and per tool.
    // An id_token posted from another browser cannot sign this one in (login CSRF).
    if (!cookieMatches && !(opts.storageChecked && pending.storageTarget)) {
      throw new LaunchRefused("This launch did not start in this browser, or your browser did not keep this tool's sign-in cookie (it may block cookies in frames: open the activity in a new window).");
    }
    const platform = await this.platform(pending.issuer, pending.clientId);
    if (!platform) throw new LaunchRefused("The platform of this launch is no longer registered.");

    let claims: JWTPayload & Record<string, unknown>;
    try {
      // A platform from Dynamic Registration has its keys fetched on checked connections: its own key set.
      const keyed = `${platform.publicOnly ? "checked " : ""}${platform.keySetUrl}`;
      const keys = this.keySets.get(keyed) ?? this.egress.keySet(platform);
      this.keySets.set(keyed, keys);
      ({ payload: claims } = await jwtVerify(idToken, keys, {
        issuer: platform.issuer, audience: platform.clientId, algorithms: ["RS256", "RS384", "RS512", "ES256", "ES384"],
        currentDate: this.deps.clock(), clockTolerance: 60, requiredClaims: ["exp", "iat", "sub", "nonce"], maxTokenAge: `${STATE_MINUTES} minutes`,
      }));
    } catch (e) {
      const why = e instanceof joseErrors.JWTExpired ? (e.claim === "iat" ? "the launch token was issued too long ago" : "the launch token has expired")
        : e instanceof joseErrors.JWTClaimValidationFailed ? (e.reason === "missing" ? `the launch token has no "${e.claim}"` : `the launch token's "${e.claim}" does not match this tool's registration`)
        : e instanceof joseErrors.JWSSignatureVerificationFailed || e instanceof joseErrors.JWKSNoMatchingKey ? "the launch token is not signed by the platform's keys"
        : e instanceof PrivateHost ? "its keys are at an address on this server or a private network, which this tool does not fetch for a platform registered through Dynamic Registration"
        : e instanceof joseErrors.JWKSTimeout || (e as { code?: string }).code === "ERR_JOSE_GENERIC" ? "the platform's keys could not be fetched"
        : "the launch token could not be read";
      throw new LaunchRefused(`${platform.name} sent a launch this tool cannot trust: ${why}.`);
    }
    // azp, when present, must be this tool; with several audiences it must be present (OIDC Core §3.1.3.7).
    if (claims.azp !== undefined ? claims.azp !== platform.clientId : Array.isArray(claims.aud) && claims.aud.length > 1) throw new LaunchRefused("The launch token is meant for another tool.");
    if (claims.nonce !== pending.nonce) throw new LaunchRefused("The launch does not belong to the login that started it.");
    if (claims[`${CLAIM}version`] !== "1.3.0") throw new LaunchRefused("The launch is not LTI 1.3.");
    const messageType = claims[`${CLAIM}message_type`];
    if (messageType !== "LtiResourceLinkRequest" && messageType !== "LtiDeepLinkingRequest") throw new BadRequest(`This tool opens resource links and answers content selection (Deep Linking) only; the platform sent a ${String(messageType)}.`);
    const deepLinking = messageType === "LtiDeepLinkingRequest" ? deepLinkingSettings(claims) : null;
    const deployment = claims[`${CLAIM}deployment_id`];
    if (typeof deployment !== "string" || !platform.deployments.includes(deployment)) throw new Forbidden(`The deployment "${String(deployment)}" of ${platform.name} is not registered with this tool. An administrator can add it to LTI_PLATFORMS_FILE.`);
    if (typeof claims.sub !== "string" || !claims.sub) throw new BadRequest("The launch does not say who you are (anonymous launches are not supported). Open it from your course while signed in to the LMS.");
    const link = claims[`${CLAIM}resource_link`] as { id?: unknown } | undefined;
    if (!deepLinking && (typeof link?.id !== "string" || !link.id)) throw new BadRequest("The launch names no resource link (resource_link.id), which LTI 1.3 requires. Your LMS administrator can check the tool's placement.");
    const context = claims[`${CLAIM}context`] as { id?: unknown; title?: unknown; label?: unknown } | undefined;
    if (typeof context?.id !== "string" || !context.id) throw new BadRequest("This launch does not come from an LMS course (it has no context). Open the activity from your course in the LMS.");

    const role = roleFromLti(claims[`${CLAIM}roles`]);
    if (!role) throw new Forbidden("Your role in this LMS course (not learner, teaching assistant or instructor) has no access to this tool.");
    if (deepLinking && role !== CourseRole.INSTRUCTOR) throw new Forbidden("Only an instructor of the LMS course can choose this tool's content for it.");
    const title = [context.title, context.label, context.id].find((x): x is string => typeof x === "string" && x.trim() !== "")!.trim().slice(0, 200);
    const key = { issuer: platform.issuer, clientId: platform.clientId, deploymentId: deployment, contextId: context.id };
    // The LMS's roster service for this course (NRPS 2.0), when the launch offers it.
    const nrps = claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] as { context_memberships_url?: unknown; service_versions?: unknown } | undefined;
    const membershipsUrl = typeof nrps?.context_memberships_url === "string" && (!Array.isArray(nrps.service_versions) || nrps.service_versions.includes("2.0")) ? nrps.context_memberships_url : undefined;
    const ags = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] as { lineitem?: unknown; lineitems?: unknown; scope?: unknown } | undefined;
    // The LMS course's gradebook (AGS lineitems) and what the tool may do there, as this launch offers them.
    const agsScopes = Array.isArray(ags?.scope) ? ags.scope.filter((s): s is string => typeof s === "string") : [];
    const lineitemsUrl = typeof ags?.lineitems === "string" ? ags.lineitems : null;
    const gradebook = ags ? { lineitemsUrl, agsScopes } : {};
    const ctx = await this.deps.db.ltiContext.upsert({ where: { issuer_clientId_deploymentId_contextId: key }, create: { ...key, title, membershipsUrl, ...gradebook }, update: { title, membershipsUrl, ...gradebook } });

    const str = (k: string) => (typeof claims[k] === "string" && (claims[k] as string).trim() ? (claims[k] as string).trim() : null);
    const p: PendingLaunch = {
      issuer: platform.issuer, clientId: platform.clientId, sub: claims.sub, role, contextRowId: ctx.id,
      email: str("email")?.toLowerCase() ?? null,
      name: str("name") ?? ([str("given_name"), str("family_name")].filter(Boolean).join(" ") || null),
      targetLinkUri: typeof claims[`${CLAIM}target_link_uri`] === "string" ? (claims[`${CLAIM}target_link_uri`] as string) : null,
      resourceLinkId: typeof link?.id === "string" ? link.id : "",
      deepLinking: deepLinking ? { ...deepLinking, deploymentId: deployment } : undefined,
      lineitem: typeof ags?.lineitem === "string" && Array.isArray(ags.scope) && ags.scope.includes(AGS_SCORE_SCOPE) ? ags.lineitem : null,
      frameOrigins: [...new Set([...frameOriginsOf(platform), ...lmsSiteOrigin(claims[`${CLAIM}tool_platform`])])],
      at: this.deps.clock().getTime(),
    };
    // A learner of an LMS course nobody here has connected gets nothing (no account either).
    if (!ctx.courseId && role !== CourseRole.INSTRUCTOR) {
      throw new Forbidden(`The LMS course "${title}" is not connected to a course on this site yet. Your instructor connects it by opening this activity once from the LMS; try again after that.`);
    }
    const linked = await this.deps.db.ltiIdentity.findUnique({ where: { issuer_sub: { issuer: p.issuer, sub: p.sub } } });
    if (linked) return this.complete(p, linked.userId);
    if (p.email) {
      const existing = await this.deps.db.user.findUnique({ where: { email: p.email }, include: { memberships: { select: { role: true } } } });
      if (existing?.isAdmin) throw new Forbidden("This email belongs to a site administrator, whose account is not linked to LMS launches. Sign in with your password instead.");
      if (existing) {
        const staff = existing.memberships.some((m) => m.role !== CourseRole.STUDENT);
        // Only a platform trusted for emails links new identities by email, and never to staff accounts.
        if (!(platform.trustEmail && !staff)) return { kind: "chooseAccount", pending: p, email: p.email };
      }
    }
    return this.finish(p, null);
  }

  /**
   * The rest of a launch once the person is known: `userId` an account they proved is theirs (its
   * password), or null to link the launch's identity to an account found by email (trusted
   * platforms only) or made new.
   */
  async finish(p: PendingLaunch, userId: string | null): Promise<LaunchOutcome> {
    if (this.deps.clock().getTime() - p.at > STATE_MINUTES * 60_000) throw new LaunchRefused("This launch has expired.");
    const platform = await this.platform(p.issuer, p.clientId);
    if (!platform) throw new LaunchRefused("The platform of this launch is no longer registered.");
    const id = await this.deps.db.$transaction(async (tx) => {
      // One launch at a time per platform user (two tabs launching at once make one account).
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`lti:${p.issuer}:${p.sub}`}, 0))`;
      const link = await tx.ltiIdentity.findUnique({ where: { issuer_sub: { issuer: p.issuer, sub: p.sub } } });
      if (link) return link.userId;
      let owner = userId;
      if (!owner) {
        const existing = p.email ? await tx.user.findUnique({ where: { email: p.email }, include: { memberships: { select: { role: true } } } }) : null;
        const trusted = existing && platform.trustEmail && !existing.isAdmin && existing.memberships.every((m) => m.role === CourseRole.STUDENT);
        // A separate account when the email is taken by someone who did not prove it is theirs.
        const email = p.email && !existing ? p.email : `${crypto.createHash("sha256").update(`${p.issuer} ${p.sub}`).digest("hex").slice(0, 24)}@lti.invalid`;
        owner = trusted ? existing.id : (await tx.user.create({ data: { email, name: p.name ?? p.email ?? "LMS user", passwordHash: null } })).id;
      }
      await tx.ltiIdentity.create({ data: { issuer: p.issuer, sub: p.sub, userId: owner } });
      return owner;
    });
    return this.complete(p, id);
  }

  /** Membership in the connected course with the LMS's role there, the gradebook column, and where to go. */
  private async complete(p: PendingLaunch, userId: string): Promise<LaunchOutcome> {
    const { db } = this.deps;
    const now = this.deps.clock();
    const ctx = await db.ltiContext.findUniqueOrThrow({ where: { id: p.contextRowId }, include: { course: true } });
    if (p.name) await db.user.update({ where: { id: userId }, data: { name: p.name } });
    await db.user.update({ where: { id: userId }, data: { lastSeenAt: now } });
    if (!ctx.course) {
      if (p.role !== CourseRole.INSTRUCTOR) throw new Forbidden(`The LMS course "${ctx.title}" is not connected to a course on this site yet. Your instructor connects it by opening this activity once from the LMS; try again after that.`);
      return { kind: "connect", userId, contextRowId: ctx.id, deepLinking: p.deepLinking, frameOrigins: p.frameOrigins };
    }
    const courseId = ctx.course.id;
    await db.membership.upsert({ where: { userId_courseId: { userId, courseId } }, create: { userId, courseId, role: p.role }, update: { role: p.role } });
    await db.ltiContextMember.upsert({ where: { contextId_userId: { contextId: ctx.id, userId } }, create: { contextId: ctx.id, userId, sub: p.sub, seenAt: now }, update: { sub: p.sub, seenAt: now } });
    if (p.deepLinking) return { kind: "deepLink", userId, contextRowId: ctx.id, deepLinking: p.deepLinking, frameOrigins: p.frameOrigins };
    const target = this.targetPath(p.targetLinkUri, ctx.course.slug);
    await this.linkGradebook(p, ctx.id, courseId, target);
    return { kind: "signedIn", userId, courseSlug: ctx.course.slug, target, frameOrigins: p.frameOrigins };
  }

  /** LMS courses launched from, for the connect page: the one asked for and those the user may connect or has connected. */
  async context(id: string) {
    return this.deps.db.ltiContext.findUnique({ where: { id }, include: { course: { select: { slug: true, title: true, timeZone: true } } } });
  }

  /**
   * Connects an LMS course to a course here: only a site administrator or an instructor of that
   * course may, and a connected LMS course stays with its course (disconnect first).
   */
  async connect(contextRowId: string, courseSlug: string, by: { id: string; isAdmin: boolean }): Promise<{ slug: string }> {
    const { db } = this.deps;
    const course = await db.course.findUnique({ where: { slug: courseSlug } });
    if (!course) throw new NotFound(`There is no course "${courseSlug}" here.`);
    if (!by.isAdmin) {
      const m = await db.membership.findUnique({ where: { userId_courseId: { userId: by.id, courseId: course.id } } });
      if (m?.role !== CourseRole.INSTRUCTOR) throw new Forbidden(`Only an instructor of ${course.title} here, or a site administrator, can connect an LMS course to it.`);
    }
    const done = await db.ltiContext.updateMany({ where: { id: contextRowId, courseId: null }, data: { courseId: course.id, approvedById: by.id, approvedAt: this.deps.clock() } });
    if (!done.count) {
      const ctx = await db.ltiContext.findUnique({ where: { id: contextRowId }, include: { course: true } });
      if (!ctx) throw new NotFound("There is no such LMS course waiting to be connected.");
      if (ctx.courseId !== course.id) throw new Forbidden(`This LMS course is already connected to ${ctx.course?.title ?? "another course"}.`);
    }
    return { slug: course.slug };
  }

  /** What an instructor may put in an LMS course connected to `courseId`: quizzes, case studies, readings (with their module). */
  async linkableContent(courseId: string): Promise<LinkableItem[]> {
    const { db } = this.deps;
    const [quizzes, cases, modules] = await Promise.all([
      db.quiz.findMany({ where: { courseId }, select: { slug: true, title: true }, orderBy: { title: "asc" } }),
      db.caseStudy.findMany({ where: { courseId }, select: { slug: true, title: true, settings: true }, orderBy: { title: "asc" } }),
      db.module.findMany({ where: { courseId }, select: { slug: true, title: true, readings: { select: { slug: true, title: true }, orderBy: { position: "asc" } } }, orderBy: { position: "asc" } }),
    ]);
    return [
      ...quizzes.map((q) => ({ key: `quiz:${q.slug}`, kind: "quiz" as const, title: q.title, path: `quizzes/${q.slug}`, scoreMaximum: 100 })),
      ...cases.map((c) => ({ key: `case:${c.slug}`, kind: "case study" as const, title: c.title, path: `case-studies/${c.slug}`, scoreMaximum: Number((c.settings as { points?: { max?: unknown } }).points?.max ?? 100) })),
      ...modules.flatMap((m) => [
        { key: `module:${m.slug}`, kind: "module" as const, title: m.title, path: `modules/${m.slug}`, scoreMaximum: null },
        ...m.readings.map((r) => ({ key: `reading:${m.slug}/${r.slug}`, kind: "reading" as const, title: `${m.title}: ${r.title}`, path: `modules/${m.slug}/readings/${r.slug}`, scoreMaximum: null })),
      ]),
    ];
  }

  /**
   * The signed LtiDeepLinkingResponse (a JWT from the tool's key, LTI Deep Linking 2.0 §4.2) with the chosen
   * items as resource links; graded items (quizzes, case studies) carry a gradebook column (lineItem).
   */
  async deepLinkingResponse(dl: DeepLinking, p: { clientId: string; issuer: string }, courseSlug: string, items: LinkableItem[], key: { kid: string; privateKey: CryptoKey }): Promise<string> {
    const now = Math.floor(this.deps.clock().getTime() / 1000);
    const contentItems = items.map((i) => ({
      type: "ltiResourceLink", title: i.title,
      url: `${this.deps.publicOrigin}/courses/${courseSlug}/${i.path}`,
      ...(i.scoreMaximum !== null ? { lineItem: { scoreMaximum: i.scoreMaximum, label: i.title, resourceId: i.key, tag: i.kind === "quiz" ? "quiz" : "case-study" } } : {}),
    }));
    return new SignJWT({
      nonce: crypto.randomBytes(16).toString("base64url"),
      [`${CLAIM}message_type`]: "LtiDeepLinkingResponse", [`${CLAIM}version`]: "1.3.0", [`${CLAIM}deployment_id`]: dl.deploymentId,
      "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": contentItems,
      ...(dl.data !== null ? { "https://purl.imsglobal.org/spec/lti-dl/claim/data": dl.data } : {}),
      ...(items.length ? {} : { "https://purl.imsglobal.org/spec/lti-dl/claim/msg": "Nothing was chosen." }),
    })
      .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
      .setIssuer(p.clientId).setAudience(p.issuer).setIssuedAt(now).setExpirationTime(now + 300)
      .sign(key.privateKey);
  }

  /** The gradebook columns of an LMS course, beside the course's graded items (quizzes, case studies). */
  async columns(contextRowId: string, courseId: string) {
    const linked = await this.deps.db.ltiLineItem.findMany({ where: { contextId: contextRowId }, include: { quiz: { select: { slug: true } }, caseStudy: { select: { slug: true } } } });
    return (await this.linkableContent(courseId)).filter((i) => i.scoreMaximum !== null).map((i) => ({
      ...i,
      links: linked.filter((l) => (i.kind === "quiz" ? `quiz:${l.quiz?.slug}` : `case:${l.caseStudy?.slug}`) === i.key).map((l) => ({ id: l.id, lineitem: l.lineitem, madeHere: l.resourceLinkId.startsWith("column:") })),
    }));
  }

  /** A course's connected LMS courses, with their roster status and how many gradebook columns each has. */
  async courseConnections(slug: string) {
    return this.deps.db.course.findUnique({
      where: { slug },
      select: {
        slug: true, title: true, timeZone: true,
        ltiContexts: { orderBy: { createdAt: "asc" }, select: { id: true, title: true, issuer: true, deploymentId: true, approvedAt: true, rosterSyncedAt: true, rosterSummary: true, membershipsUrl: true, _count: { select: { lineItems: true, members: true } } } },
      },
    });
  }

  /** Courses this user may connect an LMS course to. */
  async connectableCourses(user: { id: string; isAdmin: boolean }) {
    return this.deps.db.course.findMany({
      where: user.isAdmin ? {} : { memberships: { some: { userId: user.id, role: CourseRole.INSTRUCTOR } } },
      select: { slug: true, title: true }, orderBy: { title: "asc" },
    });
  }

  /** The platform's suggestion for the course to connect (its `course` field), when there is one. */
  async suggestedCourse(issuer: string, clientId: string): Promise<string | undefined> {
    return (await this.platform(issuer, clientId))?.course;
  }

  /**
   * A link to one of our quizzes or case studies whose launch offers a gradebook column
   * (AGS line item with the score scope): remembered with the LMS course it was launched from,
   * so the quiz's grades or the case study's points go there — for that LMS course's members only.
   */
  private async linkGradebook(p: PendingLaunch, contextRowId: string, courseId: string, target: string): Promise<void> {
    if (!p.lineitem) return;
    const [, kind, slug] = /^\/courses\/[^/]+\/(quizzes|case-studies)\/([^/?#]+)/.exec(target) ?? [];
    if (!kind || !slug) return;
    const where = { courseId_slug: { courseId, slug } };
    const thing = kind === "quizzes"
      ? await this.deps.db.quiz.findUnique({ where, select: { id: true } }).then((q) => q && { quizId: q.id, caseStudyId: null })
      : await this.deps.db.caseStudy.findUnique({ where, select: { id: true } }).then((c) => c && { quizId: null, caseStudyId: c.id });
    if (!thing) return;
    const key = { issuer: p.issuer, clientId: p.clientId, resourceLinkId: p.resourceLinkId };
    const item = await this.deps.db.ltiLineItem.upsert({ where: { issuer_clientId_resourceLinkId: key }, create: { ...key, lineitem: p.lineitem, contextId: contextRowId, ...thing }, update: { lineitem: p.lineitem, contextId: contextRowId, ...thing } });
    // Quiz grades earned before the link was used; case-study points follow from the leaderboard (reconcileCaseStudies).
    if (thing.quizId) await backfillLineItem(this.deps.db, item.id, this.deps.clock());
  }

  /** The link's target when it is a page of this course on this site, else the course page. */
  private targetPath(target: string | null, courseSlug: string): string {
    const home = `/courses/${courseSlug}`;
    if (!target || !this.deps.publicOrigin) return home;
    try {
      const url = new URL(target, this.deps.publicOrigin);
      if (url.origin !== this.deps.publicOrigin) return home;
      return url.pathname === home || url.pathname.startsWith(`${home}/`) ? `${url.pathname}${url.search}` : home;
    } catch {
      return home;
    }
  }
}
