import { Router } from "express";
import { ipKeyGenerator, rateLimit } from "express-rate-limit";
import { z } from "zod";
import type { Config } from "../platform/config.js";
import { TooManyRequests } from "../platform/errors.js";
import { csrfProtection, destroySession, flash, regenerateSession, saveSession, SESSION_COOKIE, sessionExpired } from "../platform/http.js";
import type { AuthService } from "./auth.service.js";

const LoginBody = z.object({
  email: z.string().trim().max(320).default(""),
  password: z.string().max(1024).default(""),
});

/** Only same-site paths, so a crafted link cannot bounce a fresh sign-in to another site. */
export function safeReturnTo(value: unknown): string {
  return typeof value === "string" && /^\/(?![/\\])/.test(value) ? value : "/";
}

export function authRoutes({ auth, config }: { auth: AuthService; config: Config }) {
  const router = Router();
  const loginLimiter = rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: config.LOGIN_RATE_LIMIT,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    // Per address *and* account: a lecture hall behind one campus NAT signing in at
    // once must not lock itself out, while guessing one account's password stays slow.
    keyGenerator: (req) => `${ipKeyGenerator(req.ip ?? "")}|${String((req.body as { email?: unknown } | undefined)?.email ?? "").trim().toLowerCase()}`,
    handler: (_req, _res, next, options) =>
      next(new TooManyRequests(`Too many failed sign-in attempts for this account from your network. Wait ${Math.ceil(options.windowMs / 60000)} minutes and try again, or ask your instructor to reset your password.`)),
  });

  router.get("/login", (req, res) => {
    if (res.locals.user) return res.redirect(303, safeReturnTo(req.session.returnTo));
    res.render("login", {
      title: "Sign in",
      csrfToken: res.locals.csrfToken,
      expired: req.query.expired === "1" || sessionExpired(req),
    });
  });

  router.post("/login", loginLimiter, csrfProtection, async (req, res) => {
    const body = LoginBody.parse(req.body ?? {});
    const user = body.email && body.password ? await auth.authenticate(body.email, body.password) : null;
    if (!user) {
      res.status(401).render("login", {
        title: "Sign in",
        csrfToken: res.locals.csrfToken,
        email: body.email,
        error: body.email && body.password ? "That email and password do not match an account. Check both and try again." : "Enter your email and your password.",
      });
      return;
    }
    const returnTo = safeReturnTo(req.session.returnTo);
    await regenerateSession(req); // a new session id on sign-in defeats session fixation
    req.session.userId = user.id;
    flash(req, "success", `Signed in as ${user.name}.`);
    await saveSession(req);
    res.redirect(303, returnTo);
  });

  router.post("/logout", csrfProtection, async (req, res) => {
    await destroySession(req);
    res.clearCookie(SESSION_COOKIE);
    res.redirect(303, "/login?signedOut=1");
  });

  return router;
}
