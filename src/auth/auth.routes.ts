import { Router, type Request, type Response } from "express";
import { ipKeyGenerator, rateLimit } from "express-rate-limit";
import { z } from "zod";
import type { Config } from "../platform/config.js";
import { BadRequest, TooManyRequests } from "../platform/errors.js";
import { csrfProtection, destroySession, flash, readCookie, regenerateSession, RETURN_COOKIE, requireUser, saveSession, SESSION_COOKIE, sessionExpired } from "../platform/http.js";
import { readForm, type FormState } from "../platform/forms.js";
import { pageContext } from "../platform/page-context.js";
import { safeReturnTo } from "../platform/return-to.js";
import { newPasswordProblem, type AuthService } from "./auth.service.js";
import { formCsrf } from "./form-csrf.js";
import { PASSWORD_MAX, PASSWORD_MIN } from "./password.js";

const LoginBody = z.object({
  email: z.string().trim().max(320).default(""),
  password: z.string().max(1024).default(""),
});

const TOO_LONG = `Choose a password of at most ${PASSWORD_MAX} characters.`;
const NewPasswordFields = z.object({
  password: z.string().max(PASSWORD_MAX * 4, TOO_LONG).default(""),
  confirm: z.string().max(PASSWORD_MAX * 4, TOO_LONG).default(""),
});
/** A new password must pass the service's rules (length, typed twice the same): its message goes beside the password. */
const newPasswordRules = (b: { password: string; confirm: string }, ctx: z.RefinementCtx) => {
  const problem = newPasswordProblem(b.password, b.confirm);
  if (problem) ctx.addIssue({ code: "custom", message: problem, path: ["password"] });
};
const NewPasswordBody = NewPasswordFields.superRefine(newPasswordRules);
const ChangePasswordBody = NewPasswordFields.extend({ current: z.string().max(PASSWORD_MAX * 4, "Your current password is not right. Type it again.").default("") }).superRefine(newPasswordRules);

/** A refused password form's message: the first, as the page shows one above the form. */
const messageOf = (form: FormState) => Object.values(form.errors)[0] ?? "The form could not be read. Type the passwords again.";

/** The sign-in page's notes: ?expired=1 (the session ran out), ?passwordSet=1 (a password link was just used), ?signedOut=1 (Sign out); anything else: none. */
const LoginQuery = z.object({
  expired: z.literal("1").optional().catch(undefined),
  passwordSet: z.literal("1").optional().catch(undefined),
  signedOut: z.literal("1").optional().catch(undefined),
});

/** The limiter's and the hash queue's idea of "one client": the address Express derives under `trust proxy`. */
const clientKey = (req: Request) => ipKeyGenerator(req.ip ?? "");

/** Only a wrong email or password (401) counts against the limits: not a busy server (429), not a refused form (403, 400). */
const notAFailure = (_req: Request, res: Response) => res.statusCode !== 401;

export function authRoutes({ auth, config, secret }: { auth: AuthService; config: Config; secret: string }) {
  const router = Router();
  const forms = formCsrf(secret, config.cookieSecure);
  const windowMs = 15 * 60 * 1000;
  const minutes = Math.ceil(windowMs / 60000);
  // Per address: many accounts tried from one address (each a costly hash) stop here. Only
  // failures count, so a lecture hall behind one campus NAT signing in at once gets through.
  const addressLimiter = rateLimit({
    windowMs,
    limit: config.LOGIN_ADDRESS_RATE_LIMIT,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    requestWasSuccessful: notAFailure,
    identifier: "address",
    keyGenerator: clientKey,
    handler: (_req, _res, next) =>
      next(new TooManyRequests(`Too many failed sign-in attempts from your network. Wait ${minutes} minutes and try again, or ask your instructor to reset your password.`)),
  });
  // Per address *and* account: guessing one account's password stays slow.
  const accountLimiter = rateLimit({
    windowMs,
    limit: config.LOGIN_RATE_LIMIT,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    requestWasSuccessful: notAFailure,
    identifier: "account",
    keyGenerator: (req) => `${clientKey(req)}|${String((req.body as { email?: unknown } | undefined)?.email ?? "").trim().toLowerCase()}`,
    handler: (_req, _res, next) =>
      next(new TooManyRequests(`Too many failed sign-in attempts for this account from your network. Wait ${minutes} minutes and try again, or ask your instructor to reset your password.`)),
  });

  const returnTo = (req: Request) => safeReturnTo(readCookie(req, RETURN_COOKIE));

  router.get("/login", (req, res) => {
    if (res.locals.user) return res.redirect(303, returnTo(req));
    const notes = LoginQuery.parse(req.query);
    res.render("login", {
      title: "Sign in",
      csrfToken: forms.token(req, res),
      expired: !!notes.expired || sessionExpired(req),
      passwordSet: !!notes.passwordSet,
      signedOut: !!notes.signedOut,
    });
  });

  // CSRF first: a forged cross-site post (refused with a 403) must not use up a network's sign-in budget.
  router.post("/login", forms.protect, addressLimiter, accountLimiter, async (req, res) => {
    const body = LoginBody.parse(req.body ?? {});
    const user = body.email && body.password ? await auth.authenticate(body.email, body.password, clientKey(req)) : null;
    if (!user) {
      res.status(401).render("login", {
        title: "Sign in",
        csrfToken: forms.token(req, res),
        email: body.email,
        error: body.email && body.password ? "That email and password do not match an account. Check both and try again." : "Enter your email and your password.",
      });
      return;
    }
    const to = returnTo(req);
    await regenerateSession(req); // a new session id on sign-in defeats session fixation
    req.session.userId = user.id;
    flash(req, "success", `Signed in as ${user.name}.`);
    await saveSession(req);
    res.clearCookie(RETURN_COOKIE, { path: "/" });
    res.redirect(303, to);
  });

  router.post("/logout", csrfProtection, async (req, res) => {
    await destroySession(req);
    res.clearCookie(SESSION_COOKIE);
    res.redirect(303, "/login?signedOut=1");
  });

  // Who is signed in, with their session's CSRF token (401 when nobody is): a page opened before its
  // session ended — a quiz attempt saving answers — takes the new session's token once its student
  // has signed in again in another tab, and saves what it kept.
  router.get("/api/session", requireUser, (_req, res) => {
    res.json({ user: { id: res.locals.user!.id, name: res.locals.user!.name }, csrfToken: res.locals.csrfToken });
  });

  // The signed-in user's own account: change the password.
  const account = (res: Response, extra: Record<string, unknown> = {}) => ({
    title: "Your account",
    user: res.locals.user,
    csrfToken: res.locals.csrfToken,
    min: PASSWORD_MIN,
    ...extra,
  });
  router.get("/account", requireUser, (_req, res) => {
    res.render("account", account(res));
  });
  router.post("/account/password", requireUser, csrfProtection, async (req, res) => {
    const input = readForm(ChangePasswordBody, req.body);
    if (!input.ok) return res.status(400).render("account", account(res, { error: messageOf(input) }));
    try {
      await auth.changePassword(pageContext(res, "user").user, input.data, req.sessionID, clientKey(req));
    } catch (e) {
      // A wrong current password (or a new one the same as it): said above the form, as a refused form's message is.
      if (e instanceof BadRequest) return res.status(400).render("account", account(res, { error: e.message }));
      throw e;
    }
    flash(req, "success", "Your password is changed. Any other place you were signed in has been signed out.");
    await saveSession(req);
    res.redirect(303, "/account");
  });

  // A one-time set-password link (new accounts from a roster import, resets by staff).
  const linkPage = (req: Request, res: Response, user: { email: string; name: string }, error?: string) =>
    res.status(error ? 400 : 200).render("password-link", { title: "Choose your password", email: user.email, name: user.name, csrfToken: forms.token(req, res), min: PASSWORD_MIN, error });
  router.get("/password-link/:token", async (req, res) => {
    linkPage(req, res, (await auth.passwordLink(String(req.params.token))).user);
  });
  router.post("/password-link/:token", forms.protect, async (req, res) => {
    const input = readForm(NewPasswordBody, req.body);
    if (!input.ok) return linkPage(req, res, (await auth.passwordLink(String(req.params.token))).user, messageOf(input));
    await auth.usePasswordLink(String(req.params.token), input.data, clientKey(req));
    res.redirect(303, "/login?passwordSet=1");
  });

  return router;
}
