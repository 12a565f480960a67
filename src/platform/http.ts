// Cross-cutting HTTP middleware: security headers, sessions in PostgreSQL, CSRF,
// the signed-in user, flash messages. No domain rules here.
import crypto from "node:crypto";
import connectPgSimple from "connect-pg-simple";
import { sign } from "cookie-signature";
import onHeaders from "on-headers";
import { csrfSync } from "csrf-sync";
import type { CookieOptions, NextFunction, Request, RequestHandler, Response } from "express";
import session from "express-session";
import helmet from "helmet";
import type pg from "pg";
import type { SessionContextPart, SessionUser, UserLookup } from "./session-user.js";
import { parameterCount, parametersAsColumns } from "./sql-parts.js";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import type { z } from "zod";
import { BadRequest, CsrfRejected, NotFound, Unauthorized } from "./errors.js";
import { wantsJson } from "./errors.middleware.js";

declare module "express-session" {
  interface SessionData {
    userId?: string;
    flash?: Flash[];
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
/** Where to go after signing in: a short-lived cookie, not the session, so anonymous page views write no row. */
export const RETURN_COOKIE = "cnn.return";

/** One cookie from the request (express-session parses only its own). */
export function readCookie(req: Parameters<RequestHandler>[0], name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

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

/**
 * What the app makes for a request (pages, JSON, CSV, downloads) is stored by no cache: most of it is
 * one signed-in user's own — grades, answers, their checklist — and a browser keeps what it may store
 * on disk, where on a shared computer the next person finds it with the Back button after sign-out.
 * Without it a page's form would also come back from a cache with a CSRF token that is no longer the
 * session's. Static files are mounted before this and keep their max-age; a route that may be cached
 * says so itself: the tool's public keys, and a holdout image a team's model misclassified (kept by
 * that browser only, for an hour: a result page shows dozens, and the image is the dataset's, not the team's work).
 */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader("Cache-Control", "no-store");
  next();
};

/** Whether a parsed query or body holds a string with a NUL character anywhere. */
function holdsNul(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return value.includes("\0");
  if (depth > 20 || typeof value !== "object" || value === null) return false;
  return Object.entries(value).some(([k, v]) => k.includes("\0") || holdsNul(v, depth + 1));
}

/**
 * No text PostgreSQL stores can hold a NUL character, and looking one up fails with an error, not
 * "none". A path with one names nothing (404); a query or form field with one is refused (400) — both
 * before anything is looked up. Runs after the body parsers; a multipart form's fields, parsed by its route,
 * are checked by running it again after the upload (the roster import: its form posts text fields).
 */
export const refuseNul: RequestHandler = (req, _res, next) => {
  if (req.url.includes("%00")) {
    if (req.path.includes("%00")) return next(new NotFound());
    if (holdsNul(req.query)) return next(new BadRequest("The address has a character that cannot be in it (NUL). Check the link."));
  }
  if (req.body && typeof req.body === "object" && holdsNul(req.body)) return next(new BadRequest("What was sent has a character that cannot be in a form (NUL). Enter it again."));
  next();
};

/** How far a session's stored expiry may fall behind "now + SESSION_MAX_AGE_HOURS" before a request moves it. */
export const SESSION_RENEW_AFTER_MS = 5 * 60 * 1000;

/** The most session reads one statement carries; more waiting reads go as several statements. With all of a
 *  busy server's reads in one statement (20 connections: ~20), the web process sat idle a sixth of the time
 *  waiting for it; in eights, it renders the first statement's pages while PostgreSQL runs the next
 *  (event-loop utilisation on the course page: 84% with up to 32, 99% with up to 8). */
export const SESSION_READ_BATCH_MAX = 8;

/** The signed-in user read in the same statement as the request's session (null: the account is gone). */
const usersWithSession = new WeakMap<Request, SessionUser | null>();

export function sessions(config: Config, pool: pg.Pool, secret: string, parts: SessionContextPart[] = [], logger?: Pick<Logger, "error">): RequestHandler {
  const counts = parts.map((p) => {
    if (!/^[a-z][a-zA-Z0-9]*$/.test(p.name)) throw new Error(`Session context part name "${p.name}" must be an identifier`);
    const used = parameterCount(p.sql);
    if (used && !p.args) throw new Error(`Session context part "${p.name}" uses parameters ($1…) but gives no args: it reads the user's row "u"`);
    return used;
  });
  // The session's statement reads any number of sessions at once: it runs over the rows of arrays of
  // parameters (unnest), one row per read — the session id, the time, then each wanted part's own
  // parameters — and tags each result with its read's position. Reads that arrive in one turn of the
  // event loop (a busy server parses several requests in each) go together, up to SESSION_READ_BATCH_MAX
  // in a statement: each round trip costs the web process more than rendering a page (a write to the
  // socket that wakes a database process). One execution over N rows, not N copies of the statement:
  // PostgreSQL plans it once whatever N, and sets up its plan once per run, not once per read (measured:
  // a read of the course page costs PostgreSQL less than half as much in a batch of eight; `UNION ALL`
  // of eight copies barely less than alone, and took ~90 ms to plan).
  // One statement for each set of parts a request wants (a part with args that a request has no use
  // for is a NULL column): each is prepared, and planned once per connection, by its own name. One
  // statement for every request with the unwanted parts behind a flag would be planned anew at every
  // request: PostgreSQL keeps custom plans when the parameters make some plans far cheaper than others.
  const statements = new Map<string, { name: string; text: string; params: number }>();
  function statementFor(wanted: boolean[]) {
    const key = wanted.map((w) => (w ? "1" : "0")).join("");
    let statement = statements.get(key);
    if (!statement) {
      // The statement's own parameters are p1 (the session id) and p2 (the time); then each wanted part's, renumbered.
      let offset = 2;
      const columns = parts.map((p, i) => {
        if (!wanted[i]) return `, NULL AS "part_${p.name}"`;
        const sql = parametersAsColumns(p.sql, offset, "b");
        offset += counts[i]!;
        return `, ${sql} AS "part_${p.name}"`;
      }).join("");
      const arrays = Array.from({ length: offset }, (_, i) => `$${i + 1}::${i === 1 ? "float8" : "text"}[]`).join(", ");
      const names = Array.from({ length: offset }, (_, i) => `p${i + 1}`).join(", ");
      statement = {
        // One text per prepared-statement name (pg refuses a name reused with another text): the parts are in the name.
        name: `session.getWithUser:${crypto.createHash("sha256").update(columns).digest("base64url").slice(0, 16)}`,
        // The session is looked up by its key for each row (LATERAL; OFFSET 0 keeps the planner from
        // joining it another way, whatever it guesses of the arrays' length and the table's size).
        text: `SELECT b.read::int AS "read", s.sess, u.id, u.email, u.name, u."isAdmin"${columns}
         FROM unnest(${arrays}) WITH ORDINALITY AS b(${names}, read)
         CROSS JOIN LATERAL (SELECT s.sess FROM "session" s WHERE s.sid = b.p1 AND s.expire >= to_timestamp(b.p2) OFFSET 0) s
         LEFT JOIN "User" u ON u.id = CASE WHEN s.sess->>'userId' ~* '^[0-9a-f-]{36}$' THEN (s.sess->>'userId')::uuid END`,
        params: offset,
      };
      statements.set(key, statement);
    }
    return statement;
  }
  /** The statement for a request, with the wanted parts' values (none with args for a read without a request: `req.session.reload()`). */
  function statementOf(req: Request | null, sid: string) {
    const values: unknown[] = [sid, Math.ceil(Date.now() / 1000)];
    const wanted = parts.map((p, i) => {
      if (!p.args) return true;
      const args = req ? p.args(req) : null;
      if (!args) return false;
      if (args.length !== counts[i]) throw new Error(`Session context part "${p.name}" uses $1…$${counts[i]} but its args gave ${args.length} value(s)`);
      values.push(...args);
      return true;
    });
    return { ...statementFor(wanted), values };
  }
  type Row = { sess: session.SessionData; id: string | null; email: string; name: string; isAdmin: boolean } & Record<string, unknown>;
  type Statement = ReturnType<typeof statementOf>;
  /** Reads sessions with one statement (all of `statements` have the same text); each read's row, or undefined: no such session. */
  async function readMany(statements: Statement[]): Promise<(Row | undefined)[]> {
    const { name, text, params } = statements[0]!;
    const values = Array.from({ length: params }, (_, j) => statements.map((s) => s.values[j]));
    const { rows } = await pool.query<Row & { read: number }>({ name, text, values });
    const byRead = new Map(rows.map((row) => [row.read, row]));
    return statements.map((_, i) => byRead.get(i + 1));
  }
  const readOne = (s: Statement) => readMany([s]).then(([row]) => row);
  type Read = { statement: Statement; resolve: (row: Row | undefined) => void; reject: (err: unknown) => void };
  let waiting: Read[] = [];
  const readAlone = (r: Read) => readOne(r.statement).then(r.resolve, r.reject);
  function readTogether(reads: Read[]) {
    if (reads.length === 1) return readAlone(reads[0]!);
    readMany(reads.map((r) => r.statement)).then(
      (rows) => reads.forEach((r, i) => r.resolve(rows[i])),
      // One read's part failing fails the batch: each is read alone, as it would have been without the batch.
      () => reads.forEach(readAlone),
    );
  }
  function flushReads() {
    const reads = waiting;
    waiting = [];
    const byStatement = new Map<string, Read[]>();
    for (const r of reads) {
      const group = byStatement.get(r.statement.name);
      if (group) group.push(r);
      else byStatement.set(r.statement.name, [r]);
    }
    for (const group of byStatement.values()) {
      for (let i = 0; i < group.length; i += SESSION_READ_BATCH_MAX) readTogether(group.slice(i, i + SESSION_READ_BATCH_MAX));
    }
  }
  /** The session's row (undefined: no such session), read with the others that arrive in the same turn. */
  function readSession(statement: Statement): Promise<Row | undefined> {
    return new Promise((resolve, reject) => {
      if (!waiting.length) setImmediate(flushReads);
      waiting.push({ statement, resolve, reject });
    });
  }
  const PgStore = connectPgSimple(session);
  const pruneSeconds = config.NODE_ENV === "test" ? false : 15 * 60;
  const loadedUsers = new WeakMap<object, SessionUser | null>();
  // Each loaded session's expiry as stored when it was loaded, and its request and response;
  // the sessions a request renewed.
  const loaded = new WeakMap<object, { storedExpiry: number; req: Request; res: Response }>();
  // The request whose session express-session is reading: it calls the store's get() synchronously
  // from its middleware, which runs with this set (the parts' args come from the request).
  let reading: Request | null = null;
  const renewed = new WeakSet<object>();
  // express-session "touches" every session a request did not change (rolling expiry): an UPDATE
  // per page view. This store writes only when the stored expiry has fallen SESSION_RENEW_AFTER_MS
  // behind, so an active session still lasts SESSION_MAX_AGE_HOURS after its last request, less at
  // most those minutes. The expiry inside the stored JSON moves with the column, so the next
  // request knows what is stored; nothing else in the JSON is written (a concurrent save keeps its data).
  // The browser's cookie moves with it: sent again (signed, as express-session signs it) with the
  // response whose request renewed the stored expiry — not signed and sent on every response.
  class RenewingStore extends PgStore {
    // connect-pg-simple's read, with the session's user joined and the features' context parts: one
    // statement where currentUser and each part would make one more.
    override get(sid: string, callback: (err: unknown, session?: session.SessionData | null) => void): void {
      const req = reading;
      let statement: ReturnType<typeof statementOf>;
      try {
        statement = statementOf(req, sid);
      } catch (err) {
        return callback(err);
      }
      readSession(statement).then((row) => ({ row, withParts: true }), (err: unknown) => {
        // A part that fails (a feature's SQL meeting data it did not expect, say) must not keep its user
        // off every page: the session and user are read again without the parts, and each page reads
        // what it needs itself, as for a user read apart from the session (no context). The failure is
        // logged. If the database itself fails, so does this read, and the request with it.
        if (!parts.length) throw err;
        req?.log?.error({ err }, "the session's statement failed with the features' context parts; read again without them");
        return readOne({ ...statementFor(parts.map(() => false)), values: statement.values.slice(0, 2) }).then((row) => ({ row, withParts: false }));
      }).then(({ row, withParts }) => {
        if (!row) return callback(null, null);
        const context = withParts ? { context: Object.fromEntries(parts.map((p) => [p.name, row[`part_${p.name}`]])) } : {};
        loadedUsers.set(row.sess, row.id === null ? null : ({ id: row.id, email: row.email, name: row.name, isAdmin: row.isAdmin, ...context } satisfies SessionUser));
        callback(null, row.sess);
      }, (err: unknown) => callback(err));
    }

    override createSession(req: Request, sess: session.SessionData) {
      const made = super.createSession(req, sess);
      const user = loadedUsers.get(sess);
      if (user !== undefined) usersWithSession.set(req, user);
      return made;
    }

    override touch(sid: string, sess: session.SessionData, callback?: (err?: unknown) => void): void {
      const next = sess.cookie.expires?.getTime();
      if (next === undefined) return super.touch(sid, sess, callback);
      const at = loaded.get(sess);
      if (!at || next - at.storedExpiry < SESSION_RENEW_AFTER_MS) return callback?.();
      // express-session touches before it writes the response's head, which then carries the cookie
      // (sendCookieIfRenewed). Where it cannot — a response already streaming (a download), a Secure
      // cookie on a plain-http request — nothing is renewed: the row and the cookie move together.
      if (at.res.headersSent || (sess.cookie.secure && !at.req.secure)) return callback?.();
      renewed.add(sess);
      pool.query({
        name: "session.renew",
        text: `UPDATE "session" SET expire = to_timestamp($1), sess = jsonb_set(sess::jsonb, '{cookie,expires}', to_jsonb($2::text))::json WHERE sid = $3`,
        values: [Math.ceil(next / 1000), new Date(next).toISOString(), sid],
      }).then(() => callback?.(), (err: unknown) => callback?.(err));
    }
  }
  // Expired sessions are deleted every pruneSeconds by this timer, not connect-pg-simple's, which its
  // writes arm and which outlives the pool: once the pool is ending (the process, or a test's app,
  // shutting down), it stops.
  const store = new RenewingStore({ pool, tableName: "session", createTableIfMissing: false, pruneSessionInterval: false });
  if (pruneSeconds) {
    const pruning = setInterval(() => {
      if (pool.ending) return clearInterval(pruning);
      store.pruneSessions((err) => {
        if (err && !pool.ending) logger?.error({ err }, "expired sessions could not be deleted; trying again at the next interval");
      });
    }, pruneSeconds * 1000).unref();
  }
  const handler = session({
    name: SESSION_COOKIE,
    secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: false, // the browser's cookie moves when the stored expiry does (RenewingStore.touch)
    proxy: undefined, // follows app "trust proxy"
    cookie: {
      httpOnly: true,
      sameSite: "lax",
      secure: config.cookieSecure,
      maxAge: config.SESSION_MAX_AGE_HOURS * 3600 * 1000,
    },
  });
  /** The session cookie again, expiring with the renewed stored expiry, with its attributes as stored (an LTI
   *  launch in a frame: SameSite=None; Secure; Partitioned); not where express-session sends it itself (a changed
   *  session). A Secure cookie on a plain-http request is never renewed (touch), as express-session never sends it. */
  function sendCookieIfRenewed(req: Request, res: Response) {
    const sess = req.session as (session.Session & Partial<session.SessionData>) | undefined;
    if (!sess || !renewed.has(sess) || !sess.cookie.expires) return;
    const { httpOnly, sameSite, secure, path, domain, partitioned, priority } = sess.cookie as session.Cookie & Pick<CookieOptions, "partitioned" | "priority">;
    const sent = ([] as (string | number)[]).concat(res.getHeader("Set-Cookie") ?? []);
    if (sent.some((c) => String(c).startsWith(`${SESSION_COOKIE}=`))) return;
    res.cookie(SESSION_COOKIE, `s:${sign(req.sessionID, secret)}`, { expires: sess.cookie.expires, httpOnly, sameSite, secure: secure === true, path, domain, partitioned, priority });
  }
  return (req, res, next) => {
    // Registered before express-session's own: runs after it, so it sees the cookie express-session set.
    onHeaders(res, () => sendCookieIfRenewed(req, res));
    reading = req;
    try {
      handler(req, res, (err?: unknown) => {
        // Read before express-session moves the cookie's expiry at the end of the request.
        if (!err && req.session?.cookie.expires) {
          loaded.set(req.session, { storedExpiry: req.session.cookie.expires.getTime(), req, res });
        }
        next(err);
      });
    } finally {
      reading = null;
    }
  };
}

const csrf = csrfSync({
  // 32 random bytes (256 bits), as the sign-in form's nonce: csrf-sync's default of 128 bytes put a 256-character
  // token into every session row (hashed by express-session on each request) and into every form of every page.
  size: 32,
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
export function currentUser(auth: UserLookup): RequestHandler {
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
      const withSession = usersWithSession.get(req);
      const user = withSession?.id === req.session.userId ? withSession : await auth.findUser(req.session.userId);
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

/** Adds a message for the next page that shows them; one already waiting with the same words is not added twice. */
export function flash(req: Parameters<RequestHandler>[0], kind: Flash["kind"], text: string) {
  const waiting = (req.session.flash ??= []);
  if (!waiting.some((m) => m.kind === kind && m.text === text)) waiting.push({ kind, text });
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
  // A page asked for by a browser goes to the sign-in page and is returned to after it. A script's request for data
  // (a page polling a status, Accept: application/json) gets 401, in JSON: sending it to sign in would also make it
  // the address returned to, and the student would land on raw JSON.
  if (req.method === "GET" && !wantsJson(req)) {
    res.cookie(RETURN_COOKIE, req.originalUrl, { httpOnly: true, sameSite: "lax", secure: req.secure, path: "/", maxAge: 60 * 60 * 1000 });
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

