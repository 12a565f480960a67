import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string, name = "web", destination?: pino.DestinationStream): Logger {
  const options = {
    name,
    level,
    redact: { paths: ["req.headers.cookie", "req.headers.authorization", "password", "*.password"], remove: true },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Query parameters that are one-time secrets (a new-window ticket, a registration token): never written to the logs. */
const SECRET_PARAMS = ["ticket", "registration_token", "token", "id_token", "state", "code"];

/** Paths whose last segment is a one-time secret: a password link, an undo link for a removal. */
const SECRET_PATH = /\/(password-link|people\/removed)\/[^/?#]+/g;

/** The URL as logged: one-time tokens in its path and the values of those in its query string replaced by [redacted]. */
export function redactUrl(url: string): string {
  const q = url.indexOf("?");
  const path = (q < 0 ? url : url.slice(0, q)).replace(SECRET_PATH, "/$1/[redacted]");
  if (q < 0) return path;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const key of SECRET_PARAMS) {
    if (params.has(key)) {
      params.set(key, "[redacted]");
      changed = true;
    }
  }
  return changed ? `${path}?${params.toString()}` : `${path}${url.slice(q)}`;
}

/** A copy of a parsed query string or route parameters, the one-time secrets among them replaced by [redacted]. */
function redactParams(values: unknown): unknown {
  if (!values || typeof values !== "object") return values;
  const copy: Record<string, unknown> = { ...(values as Record<string, unknown>) };
  for (const key of SECRET_PARAMS) if (key in copy) copy[key] = "[redacted]";
  return copy;
}

/**
 * pino-http's request serializer (it gets the standard serializer's output): one-time tokens
 * redacted wherever the standard one copies them — the URL, the parsed query and route
 * parameters, and the Referer (the page before may have had a ticket in its address). Copies
 * are logged; the request itself is not changed.
 */
export function requestLogSerializer<T extends { url?: unknown; query?: unknown; params?: unknown; headers?: unknown }>(req: T): T {
  if (typeof req.url === "string") req.url = redactUrl(req.url);
  if (req.query !== undefined) req.query = redactParams(req.query);
  if (req.params !== undefined) req.params = redactParams(req.params);
  const headers = req.headers as Record<string, unknown> | undefined;
  if (headers && typeof headers.referer === "string") req.headers = { ...headers, referer: redactUrl(headers.referer) };
  return req;
}

/**
 * pino-http's response serializer: the status, and a redirect's Location with one-time tokens
 * redacted like a request's URL. No other header: Set-Cookie carries the session cookie (whoever
 * reads the log could sign in as the user), and the rest (security headers, content type) is the
 * same on every line.
 */
export function responseLogSerializer(res: { statusCode?: unknown; headers?: unknown }): { statusCode?: unknown; location?: string } {
  const headers = res.headers as Record<string, unknown> | undefined;
  const location = headers && typeof headers.location === "string" ? redactUrl(headers.location) : undefined;
  return location === undefined ? { statusCode: res.statusCode } : { statusCode: res.statusCode, location };
}
