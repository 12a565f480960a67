// Form input that a person typed: validated with its zod schema at the edge, and on failure
// given back with what was typed and each message keyed by its field, so the page can be
// rendered again (status 400) with the input kept and the message beside the field.
import type { z } from "zod";

export type FieldErrors = Record<string, string>;

/** What a form shows again: the values as typed (strings) and each field's message. */
export interface FormState {
  values: Record<string, string>;
  errors: FieldErrors;
}

export type FormResult<T> = { ok: true; data: T } | ({ ok: false } & FormState);

/** The text fields of a form body as typed (repeated fields: the first). */
export function typedValues(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!input || typeof input !== "object") return out;
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first === "string" && k !== "_csrf") out[k] = first;
  }
  return out;
}

/**
 * Validates a form body with its schema. Each issue's message goes to its field (the first
 * path segment; issues of the whole form go to "form"); a field keeps its first message.
 */
export function readForm<T>(schema: z.ZodType<T>, input: unknown): FormResult<T> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return { ok: true, data: r.data };
  const errors: FieldErrors = {};
  for (const issue of r.error.issues) {
    const field = issue.path.length ? String(issue.path[0]) : "form";
    errors[field] ??= issue.message;
  }
  return { ok: false, values: typedValues(input), errors };
}
