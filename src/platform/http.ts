// Cross-cutting HTTP middleware: security headers, sessions in PostgreSQL, CSRF,
// the signed-in user, flash messages. No domain rules here.
import connectPgSimple from "connect-pg-simple";
import { csrfSync } from "csrf-sync";
import type { NextFunction, RequestHandler, Response } from "express";
import session from "express-session";
import helmet from "helmet";
import type pg from "pg";
import type { AuthService, SessionUser } from "../auth/auth.service.js";
import type { Config } from "./config.js";
import type { z } from "zod";
import { BadRequest, CsrfRejected, NotFound, Unauthorized } from "./errors.js";

declare module "express-session" {
  interface SessionData {
    userId?: string;
    flash?: Flash[];
    returnTo?: string;
  }
}

export interface Flash { kind: "success" | "error" | "info"; text: string }

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      user?: SessionUser;
      csrfToken: string;
      flash: Flash[];
    }
  }
}

export const SESSION_COOKIE = "cnn.sid";

export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "font-src": ["'self'", "data:"],
        "frame-src": ["https://www.youtube-nocookie.com"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
      },
    },
    referrerPolicy: { policy: "strict-origin-when-cross-origin" },
  });
}

export function sessions(config: Config, pool: pg.Pool, secret: string): RequestHandler {
  const PgStore = connectPgSimple(session);
  return session({
    name: SESSION_COOKIE,
    secret,
    store: new PgStore({ pool, tableName: "session", createTableIfMissing: false, pruneSessionInterval: config.NODE_ENV === "test" ? false : 15 * 60 }),
    resave: false,
    saveUninitialized: false,
    rolling: true,
    proxy: undefined, // follows app "trust proxy"
    cookie: {
      httpOnly: true,
      sameSite: "lax",
      secure: config.cookieSecure,
      maxAge: config.SESSION_MAX_AGE_HOURS * 3600 * 1000,
    },
  });
}

const csrf = csrfSync({
  getTokenFromRequest: (req) => (req.body as { _csrf?: string } | undefined)?._csrf ?? req.get("x-csrf-token"),
  errorConfig: { statusCode: 403, code: "EBADCSRFTOKEN", message: "csrf" },
});

/** True when the browser sent a session cookie that the server no longer knows (expired or signed out elsewhere):
 *  every session the server keeps holds a user or a CSRF token, so an empty one was just made anew. */
export function sessionExpired(req: Parameters<RequestHandler>[0]): boolean {
  return Boolean(req.headers.cookie?.includes(`${SESSION_COOKIE}=`)) && !req.session.userId && !req.session.csrfToken;
}

/** Every state-changing request must carry the session's token, in a form field `_csrf` or an `X-CSRF-Token` header. */
export const csrfProtection: RequestHandler = (req, res, next) => {
  csrf.csrfSynchronisedProtection(req, res, (err?: unknown) => {
    if (!err) return next();
    if (sessionExpired(req)) return next(new Unauthorized("Your session has expired. Sign in again, then repeat what you were doing."));
    next(new CsrfRejected());
  });
};

/** Puts the user, the CSRF token and flash messages on res.locals for views and loaders. */
export function currentUser(auth: AuthService): RequestHandler {
  return async (req, res, next) => {
    // Flash messages are taken from the session only by a page that shows them, so they survive redirects.
    Object.defineProperty(res.locals, "flash", {
      get: () => {
        const messages = req.session.flash ?? [];
        delete req.session.flash;
        return messages;
      },
      enumerable: true,
      configurable: true,
    });
    if (req.session.userId) {
      const user = await auth.findUser(req.session.userId);
      if (user) res.locals.user = user;
      else delete req.session.userId; // the account was deleted
    }
    if (res.locals.user) {
      res.locals.csrfToken = csrf.generateToken(req); // the layout's sign-out form needs it on every page
    } else {
      // Anonymous visitors get a token (and so a session row) only from a page that asks for it, like the sign-in form.
      Object.defineProperty(res.locals, "csrfToken", { get: () => csrf.generateToken(req), enumerable: false, configurable: true });
    }
    next();
  };
}

export function flash(req: Parameters<RequestHandler>[0], kind: Flash["kind"], text: string) {
  (req.session.flash ??= []).push({ kind, text });
}

export function regenerateSession(req: Parameters<RequestHandler>[0]): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((e) => (e ? reject(e) : resolve())));
}

/** express-session saves after it starts writing a redirect, so a fast browser can follow the redirect
 *  before the new session exists (expressjs/session#360). Save first wherever the next request needs it. */
export function saveSession(req: Parameters<RequestHandler>[0]): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((e) => (e ? reject(e) : resolve())));
}

export function destroySession(req: Parameters<RequestHandler>[0]): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((e) => (e ? reject(e) : resolve())));
}

export const requireUser: RequestHandler = (req, res, next) => {
  if (res.locals.user) return next();
  if (req.method === "GET" && !req.path.startsWith("/api/")) {
    req.session.returnTo = req.originalUrl;
    return res.redirect(303, `/login${sessionExpired(req) ? "?expired=1" : ""}`);
  }
  throw new Unauthorized(sessionExpired(req) ? "Your session has expired. Sign in again, then repeat what you were doing." : "Please sign in to continue.");
};

/**
 * Validates form input with its schema; on failure, a 400 whose message is the schema's
 * own sentences (written for people), followed by `then` (what to do next).
 */
export function parseForm<T>(schema: z.ZodType<T>, input: unknown, then = ""): T {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw new BadRequest(`${r.error.issues.map((i) => i.message).join(" ")}${then ? ` ${then}` : ""}`);
  return r.data;
}

/**
 * Sends a file from disk (as a download when `downloadName` is given). A file that is not
 * there, or a name `send` refuses (one that climbs out), is a 404, not a server error.
 */
export function sendStoredFile(res: Response, next: NextFunction, file: string, opts: { downloadName?: string; headers?: Record<string, string> } = {}): void {
  const done = (err?: Error & { status?: number }) => {
    if (!err) return;
    if (res.headersSent) return next(err);
    next(err.status === 404 || err.status === 403 ? new NotFound("There is no such file.") : err);
  };
  if (opts.downloadName) res.download(file, opts.downloadName, { headers: opts.headers }, done);
  else res.sendFile(file, { headers: opts.headers }, done);
}

