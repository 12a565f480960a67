// LTI 1.3 launches (IMS LTI Core 1.3 with OpenID Connect third-party login): the
// platform starts a login, we answer with a state and a nonce, the platform posts back
// a signed id_token, and we verify it against the platform's published keys before
// signing the person in — to an account linked to the platform's id for them, in the
// course the link names, with the role the platform gives them there.
import crypto from "node:crypto";
import { createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTPayload } from "jose";
import { CourseRole, type Db } from "../platform/db/prisma.js";
import { BadRequest, Forbidden, HttpError, NotFound, TooManyRequests } from "../platform/errors.js";
import { AGS_SCORE_SCOPE, backfillLineItem } from "./lti.grades.js";
import type { LtiPlatform } from "./lti.platforms.js";

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
}

export interface Launch {
  userId: string;
  courseSlug: string;
  /** Where in this tool the link points (a path), when it names one of ours. */
  target: string;
}

/**
 * The course role the LTI roles give (LIS vocabulary, full or short names). Only
 * context (membership) roles count: an institution's "Instructor" who is a learner in
 * this course is a student here.
 */
export function roleFromLti(roles: unknown): CourseRole | null {
  const list = (Array.isArray(roles) ? roles : []).filter((r): r is string => typeof r === "string" && (!r.includes("://") || r.includes("/lis/v2/membership")));
  const has = (name: string) => list.some((r) => r === name || r.endsWith(`#${name}`) || r.endsWith(`/${name}`));
  if (has("TeachingAssistant")) return CourseRole.GRADER;
  if (has("Instructor") || has("Administrator") || has("ContentDeveloper")) return CourseRole.INSTRUCTOR;
  if (has("Learner")) return CourseRole.STUDENT;
  return null;
}

export class LtiService {
  private readonly keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(private readonly deps: { db: Db; platforms: LtiPlatform[]; clock: () => Date }) {}

  get enabled(): boolean {
    return this.deps.platforms.length > 0;
  }

  private platform(issuer: string, clientId?: string): LtiPlatform | undefined {
    return this.deps.platforms.find((p) => p.issuer === issuer && (!clientId || p.clientId === clientId));
  }

  /**
   * Step 1: the platform's login initiation. Returns the platform's authorisation URL
   * to send the browser to, with a fresh state and nonce remembered for step 2.
   */
  async beginLogin(req: LoginRequest, redirectUri: string): Promise<string> {
    const platform = this.platform(req.iss, req.client_id);
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
    await this.deps.db.ltiLaunchState.create({ data: { state, nonce, issuer: platform.issuer, clientId: platform.clientId, createdAt: now } });
    const url = new URL(platform.authLoginUrl);
    const params: Record<string, string> = {
      scope: "openid", response_type: "id_token", response_mode: "form_post", prompt: "none",
      client_id: platform.clientId, redirect_uri: redirectUri, login_hint: req.login_hint, state, nonce,
    };
    if (req.lti_message_hint) params.lti_message_hint = req.lti_message_hint;
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.toString();
  }

  /** Step 2: the platform's signed launch. Verifies it and returns whom to sign in where. */
  async launch(idToken: string, state: string, publicOrigin: string): Promise<Launch> {
    // The state is used once, and only within minutes of the login that made it: claimed by one
    // DELETE … RETURNING, so of two launches racing on it exactly one gets it.
    const [pending] = await this.deps.db.$queryRaw<{ issuer: string; clientId: string; nonce: string; createdAt: Date }[]>`
      DELETE FROM "LtiLaunchState" WHERE state = ${state} RETURNING issuer, "clientId", nonce, "createdAt"`;
    if (!pending || this.deps.clock().getTime() - pending.createdAt.getTime() > STATE_MINUTES * 60_000) {
      throw new LaunchRefused("This launch has expired or was already used.");
    }
    const platform = this.platform(pending.issuer, pending.clientId);
    if (!platform) throw new LaunchRefused("The platform of this launch is no longer registered.");

    let claims: JWTPayload & Record<string, unknown>;
    try {
      const keys = this.keySets.get(platform.keySetUrl) ?? createRemoteJWKSet(new URL(platform.keySetUrl));
      this.keySets.set(platform.keySetUrl, keys);
      ({ payload: claims } = await jwtVerify(idToken, keys, {
        issuer: platform.issuer, audience: platform.clientId, algorithms: ["RS256", "RS384", "RS512", "ES256", "ES384"],
        currentDate: this.deps.clock(), clockTolerance: 60,
      }));
    } catch (e) {
      const why = e instanceof joseErrors.JWTExpired ? "the launch token has expired"
        : e instanceof joseErrors.JWTClaimValidationFailed ? `the launch token's "${e.claim}" does not match this tool's registration`
        : e instanceof joseErrors.JWSSignatureVerificationFailed || e instanceof joseErrors.JWKSNoMatchingKey ? "the launch token is not signed by the platform's keys"
        : e instanceof joseErrors.JWKSTimeout || (e as { code?: string }).code === "ERR_JOSE_GENERIC" ? "the platform's keys could not be fetched"
        : "the launch token could not be read";
      throw new LaunchRefused(`${platform.name} sent a launch this tool cannot trust: ${why}.`);
    }
    // A token's azp, when there are several audiences, must be this tool.
    if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== platform.clientId) throw new LaunchRefused("The launch token is meant for another tool.");
    if (claims.nonce !== pending.nonce) throw new LaunchRefused("The launch does not belong to the login that started it.");
    if (claims[`${CLAIM}version`] !== "1.3.0") throw new LaunchRefused("The launch is not LTI 1.3.");
    const messageType = claims[`${CLAIM}message_type`];
    if (messageType !== "LtiResourceLinkRequest") throw new BadRequest(`This tool opens resource links only; the platform sent a ${String(messageType)}.`);
    const deployment = claims[`${CLAIM}deployment_id`];
    if (typeof deployment !== "string" || !platform.deployments.includes(deployment)) throw new Forbidden(`The deployment "${String(deployment)}" of ${platform.name} is not registered with this tool. An administrator can add it to LTI_PLATFORMS_FILE.`);
    if (typeof claims.sub !== "string" || !claims.sub) throw new BadRequest("The launch does not say who you are (anonymous launches are not supported). Open it from your course while signed in to the LMS.");

    const role = roleFromLti(claims[`${CLAIM}roles`]);
    if (!role) throw new Forbidden("Your role in this LMS course (not learner, teaching assistant or instructor) has no access to this tool.");
    const custom = (claims[`${CLAIM}custom`] ?? {}) as Record<string, unknown>;
    const courseSlug = typeof custom.course === "string" && custom.course ? custom.course : platform.course;
    if (!courseSlug) throw new BadRequest("This LMS link does not say which course to open. Your instructor can add the custom parameter course=<course id> to it.");
    const course = await this.deps.db.course.findUnique({ where: { slug: courseSlug } });
    if (!course) throw new NotFound(`This LMS link opens the course "${courseSlug}", which does not exist here. Your instructor can correct the link's course parameter.`);

    const userId = await this.provision(platform, claims, course.id, role);
    const target = this.targetPath(claims[`${CLAIM}target_link_uri`], publicOrigin, courseSlug);
    await this.linkGradebook(platform, claims, course.id, target);
    return { userId, courseSlug, target };
  }

  /** The account for the platform's user: linked before, or found by email, or created; its role in the course set as the LMS says. */
  private async provision(platform: LtiPlatform, claims: Record<string, unknown>, courseId: string, role: CourseRole): Promise<string> {
    const sub = String(claims.sub);
    const str = (k: string) => (typeof claims[k] === "string" && (claims[k] as string).trim() ? (claims[k] as string).trim() : null);
    const email = str("email")?.toLowerCase() ?? null;
    const claimedName = str("name") ?? ([str("given_name"), str("family_name")].filter(Boolean).join(" ") || null);
    const name = claimedName ?? email ?? "LMS user";
    return this.deps.db.$transaction(async (tx) => {
      // One launch at a time per platform user (two tabs launching at once make one account).
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`lti:${platform.issuer}:${sub}`}, 0))`;
      let link = await tx.ltiIdentity.findUnique({ where: { issuer_sub: { issuer: platform.issuer, sub } } });
      if (!link) {
        // The platform vouches for the email, so an account with it is the same person.
        const existing = email ? await tx.user.findUnique({ where: { email } }) : null;
        if (existing?.isAdmin) throw new Forbidden("This email belongs to a site administrator, whose account is not linked to LMS launches. Sign in with your password instead.");
        const user = existing ?? (await tx.user.create({ data: { email: email ?? `${crypto.createHash("sha256").update(`${platform.issuer} ${sub}`).digest("hex").slice(0, 24)}@lti.invalid`, name, passwordHash: null } }));
        link = await tx.ltiIdentity.create({ data: { issuer: platform.issuer, sub, userId: user.id } });
      } else if (claimedName) {
        await tx.user.update({ where: { id: link.userId }, data: { name: claimedName } });
      }
      await tx.membership.upsert({ where: { userId_courseId: { userId: link.userId, courseId } }, create: { userId: link.userId, courseId, role }, update: { role } });
      await tx.user.update({ where: { id: link.userId }, data: { lastSeenAt: this.deps.clock() } });
      return link.userId;
    });
  }

  /**
   * A link to one of our quizzes or case studies whose launch offers a gradebook column
   * (AGS line item with the score scope): remembered, so the quiz's grades or the case
   * study's points are sent there.
   */
  private async linkGradebook(platform: LtiPlatform, claims: Record<string, unknown>, courseId: string, target: string): Promise<void> {
    const ags = claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] as { lineitem?: unknown; scope?: unknown } | undefined;
    const link = claims[`${CLAIM}resource_link`] as { id?: unknown } | undefined;
    if (typeof ags?.lineitem !== "string" || !Array.isArray(ags.scope) || !ags.scope.includes(AGS_SCORE_SCOPE) || typeof link?.id !== "string") return;
    const [, kind, slug] = /^\/courses\/[^/]+\/(quizzes|case-studies)\/([^/?#]+)/.exec(target) ?? [];
    if (!kind || !slug) return;
    const where = { courseId_slug: { courseId, slug } };
    const thing = kind === "quizzes"
      ? await this.deps.db.quiz.findUnique({ where, select: { id: true } }).then((q) => q && { quizId: q.id, caseStudyId: null })
      : await this.deps.db.caseStudy.findUnique({ where, select: { id: true } }).then((c) => c && { quizId: null, caseStudyId: c.id });
    if (!thing) return;
    const key = { issuer: platform.issuer, clientId: platform.clientId, resourceLinkId: link.id };
    const item = await this.deps.db.ltiLineItem.upsert({ where: { issuer_clientId_resourceLinkId: key }, create: { ...key, lineitem: ags.lineitem, ...thing }, update: { lineitem: ags.lineitem, ...thing } });
    // Quiz grades earned before the link was used; case-study points follow from the leaderboard (reconcileCaseStudies).
    if (thing.quizId) await backfillLineItem(this.deps.db, item.id, this.deps.clock());
  }

  /** The link's target when it is a page of this course on this site, else the course page. */
  private targetPath(target: unknown, publicOrigin: string, courseSlug: string): string {
    const home = `/courses/${courseSlug}`;
    if (typeof target !== "string") return home;
    try {
      const url = new URL(target, publicOrigin);
      if (url.origin !== publicOrigin) return home;
      return url.pathname === home || url.pathname.startsWith(`${home}/`) ? `${url.pathname}${url.search}` : home;
    } catch {
      return home;
    }
  }
}
