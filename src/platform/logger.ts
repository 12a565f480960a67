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

/** The URL as logged: the values of one-time tokens in its query string replaced by [redacted]. */
export function redactUrl(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const key of SECRET_PARAMS) {
    if (params.has(key)) {
      params.set(key, "[redacted]");
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}

/** pino-http's request serializer (it gets the standard serializer's output): one-time tokens redacted from the URL. */
export function requestLogSerializer<T extends { url?: unknown }>(req: T): T {
  if (typeof req.url === "string") req.url = redactUrl(req.url);
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
