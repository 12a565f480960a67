import type { Response } from "express";

/**
 * What the loaders before a route put on res.locals (each loader declares its key on
 * Express.Locals), typed as present for the route: no casts at the call site. A key that is
 * missing is a route wired without its loader, a programming error (500), never a user's.
 */
export function pageContext<K extends keyof Express.Locals>(res: Response, ...keys: K[]): { [P in K]-?: NonNullable<Express.Locals[P]> } {
  for (const key of keys) {
    if (res.locals[key] === undefined || res.locals[key] === null) throw new Error(`res.locals.${String(key)} is not set: this route needs its loader before it.`);
  }
  // The one cast, checked just above.
  return res.locals as unknown as { [P in K]-?: NonNullable<Express.Locals[P]> };
}
