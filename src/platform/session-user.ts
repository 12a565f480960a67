// Who is signed in, as every feature sees it: read with the session (platform/http.ts)
// and put on res.locals.user. The accounts behind it belong to auth/.
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  isAdmin: boolean;
}

/** How the request pipeline finds a signed-in user whose row did not come with the session (auth/ provides it). */
export interface UserLookup {
  findUser(id: string): Promise<SessionUser | null>;
}
