import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string, name = "web"): Logger {
  return pino({
    name,
    level,
    redact: { paths: ["req.headers.cookie", "req.headers.authorization", "password", "*.password"], remove: true },
  });
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

/** pino-http's response serializer: a redirect's Location (the new-window ticket) redacted like a request's URL. */
export function responseLogSerializer<T extends { headers?: unknown }>(res: T): T {
  const headers = res.headers as Record<string, unknown> | undefined;
  if (headers && typeof headers.location === "string") res.headers = { ...headers, location: redactUrl(headers.location) };
  return res;
}
