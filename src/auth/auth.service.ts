import type { Db } from "../platform/db/prisma.js";
import { dummyHash, verifyPassword } from "./password.js";

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  isAdmin: boolean;
}

export class AuthService {
  constructor(private readonly deps: { db: Db }) {}

  /** The user, or null for an unknown email or a wrong password (the caller says the same for both). */
  async authenticate(email: string, password: string): Promise<SessionUser | null> {
    const user = await this.deps.db.user.findUnique({ where: { email: email.trim().toLowerCase() } });
    if (!user?.passwordHash) {
      await verifyPassword(password, await dummyHash);
      return null;
    }
    if (!(await verifyPassword(password, user.passwordHash))) return null;
    await this.deps.db.user.update({ where: { id: user.id }, data: { lastSeenAt: new Date() } });
    return { id: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin };
  }

  async findUser(id: string): Promise<SessionUser | null> {
    return this.deps.db.user.findUnique({ where: { id }, select: { id: true, email: true, name: true, isAdmin: true } });
  }
}
