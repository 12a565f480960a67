// CSRF protection for the forms people fill in before they have a session (sign-in, setting a
// password through a link), without creating one: a signed double-submit cookie (OWASP CSRF
// Prevention Cheat Sheet). The cookie holds a random nonce; the form holds its HMAC under the
// app's secret. Another site can neither read the cookie nor compute the HMAC of one it planted.
// So an anonymous page view writes no session row.
import crypto from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import { CsrfRejected } from "../platform/errors.js";
import { readCookie } from "../platform/http.js";

export const FORM_COOKIE = "cnn.form";

export function formCsrf(secret: string, secure: boolean) {
  const key = crypto.createHmac("sha256", secret).update("form-csrf").digest();
  const sign = (nonce: string) => crypto.createHmac("sha256", key).update(nonce).digest("base64url");

  /** The token for a form on this response; sets the cookie when the browser has none. */
  function token(req: Request, res: Response): string {
    let nonce = readCookie(req, FORM_COOKIE);
    if (!nonce || !/^[A-Za-z0-9_-]{43}$/.test(nonce)) {
      nonce = crypto.randomBytes(32).toString("base64url");
      res.cookie(FORM_COOKIE, nonce, { httpOnly: true, sameSite: "lax", secure, path: "/" });
    }
    return sign(nonce);
  }

  const protect: RequestHandler = (req, _res, next) => {
    const nonce = readCookie(req, FORM_COOKIE);
    const sent = (req.body as { _csrf?: unknown } | undefined)?._csrf;
    if (!nonce || typeof sent !== "string") return next(new CsrfRejected());
    const expected = Buffer.from(sign(nonce));
    const actual = Buffer.from(sent);
    next(expected.length === actual.length && crypto.timingSafeEqual(expected, actual) ? undefined : new CsrfRejected());
  };

  return { token, protect };
}
