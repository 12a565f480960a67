import type { ErrorRequestHandler, RequestHandler } from "express";
import { ZodError } from "zod";
import { HttpError, NotFound } from "./errors.js";

/** Errors thrown by body-parser carry these; we turn them into plain messages. */
const BODY_ERRORS: Record<string, { status: number; message: string }> = {
  "entity.too.large": { status: 413, message: "What you sent is too large. Send less at a time, or a smaller file." },
  "entity.parse.failed": { status: 400, message: "The request body is not valid JSON." },
  "encoding.unsupported": { status: 415, message: "The request body uses an encoding the server does not accept." },
  "charset.unsupported": { status: 415, message: "The request body uses a character set the server does not accept." },
  "parameters.too.many": { status: 413, message: "The form has too many fields." },
};

interface Shown { status: number; code: string; message: string; details?: unknown }

function toShown(err: unknown): Shown | undefined {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) };
  if (err instanceof ZodError) {
    return {
      status: 400,
      code: "invalid_input",
      message: "Some of what you sent is not valid: " + err.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; "),
      details: err.issues.map((i) => ({ path: i.path, message: i.message })),
    };
  }
  const type = (err as { type?: string })?.type;
  if (type && BODY_ERRORS[type]) return { ...BODY_ERRORS[type], code: type };
  return undefined;
}

export function wantsJson(req: Parameters<RequestHandler>[0]): boolean {
  return req.path.startsWith("/api/") || req.accepts(["html", "json"]) === "json" || req.is("application/json") === "application/json";
}

export const notFoundHandler: RequestHandler = () => {
  throw new NotFound();
};

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const shown = toShown(err);
  const status = shown?.status ?? 500;
  if (status >= 500) req.log.error({ err }, "request failed");
  else req.log.info({ status, code: shown?.code, msg: shown?.message }, "request refused");
  if (res.headersSent) return res.end();
  // An error from before the app's noStore (a malformed /content address, say) is not stored either.
  if (!res.getHeader("Cache-Control")) res.setHeader("Cache-Control", "no-store");
  const body = shown ?? {
    status,
    code: "internal_error",
    message: `Something went wrong on our side. It has been logged; please try again in a moment. If it keeps happening, tell your instructor (reference ${req.id}).`,
  };
  res.status(status);
  if (wantsJson(req)) {
    res.json({ error: { code: body.code, message: body.message, ...(body.details ? { details: body.details } : {}) } });
    return;
  }
  res.render("error", {
    title: status === 404 ? "Not found" : status === 403 ? "Not allowed" : status >= 500 ? "Something went wrong" : "That did not work",
    status,
    message: body.message,
    signIn: status === 401,
    returnTo: req.method === "GET" ? req.originalUrl : undefined,
  });
};
