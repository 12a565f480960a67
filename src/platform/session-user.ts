// Who is signed in, as every feature sees it: read with the session (platform/http.ts)
// and put on res.locals.user. The accounts behind it belong to auth/.
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  isAdmin: boolean;
  /** What features read in the session's own statement (see SessionContextPart), by part name; absent when the user was read apart from the session. */
  context?: Readonly<Record<string, unknown>>;
}

/**
 * A read that rides along with the session's statement, so a page needs one round trip fewer: a
 * scalar SQL expression over the signed-in user's row `u` (a subquery returning JSON, say). Its value
 * lands on SessionUser.context[name]. A feature defines its part; the wiring hands the parts to
 * the session middleware (platform/http.ts), which knows nothing of what they read.
 */
export interface SessionContextPart {
  name: string;
  /** Without `args`, it has no parameters of its own; with them, its $1… are the values `args` gives. */
  sql: string;
  /**
   * The part's parameters for this request, from its method and path before any routing (the course
   * slug in the URL, say); null: the request has no use for the part, whose value is then null and
   * which costs the statement nothing. What it reads must be the signed-in user's own (`u`): it is
   * read before any page has checked what the user may see. The values arrive as text: a part casts
   * a parameter it compares with another type (`$2::int`).
   */
  args?(req: { method: string; path: string }): unknown[] | null;
}

/**
 * A part read for the course the request's URL names: `args` gives the course's slug as $1 (then any
 * further parameters), and the value is kept with the slug it was read for, so that a page takes it
 * only for its own course (courseScopedValue). `valueSql`: a scalar SQL expression over `u` and the parameters.
 */
export function courseScopedPart(name: string, valueSql: string, args: NonNullable<SessionContextPart["args"]>): SessionContextPart {
  return { name, sql: `json_build_object('course', $1::text, 'value', ${valueSql})`, args };
}

/** A courseScopedPart's value when the session's statement read it for `courseSlug`; else undefined. */
export function courseScopedValue(user: SessionUser, name: string, courseSlug: string): unknown {
  const read = user.context?.[name] as { course: string; value: unknown } | null | undefined;
  return read?.course === courseSlug ? read.value : undefined;
}

/** How the request pipeline finds a signed-in user whose row did not come with the session (auth/ provides it). */
export interface UserLookup {
  findUser(id: string): Promise<SessionUser | null>;
}
