import crypto from "node:crypto";
import type { Db } from "../platform/db/prisma.js";
import { CourseRole } from "../platform/db/prisma.js";
import { BadRequest, Forbidden, NotFound } from "../platform/errors.js";
import type { SessionUser } from "../platform/session-user.js";
import { HashGate } from "./hash.gate.js";
import { CURRENT_SCRYPT, dummyHash, hashPassword, needsRehash, PASSWORD_MAX, PASSWORD_MIN, verifyPassword, type ScryptParams } from "./password.js";

/** How long a reset link made by an instructor or administrator works. */
export const PASSWORD_LINK_HOURS = 72;
/** How long the link of an account made by a roster import works (students may start a week later). */
export const INVITE_LINK_DAYS = 14;

/** How long a link worked, in words: a reset's 72 hours, an invitation's 14 days. */
function linkLifetime(link: { createdAt: Date; expiresAt: Date }): string {
  const hours = Math.round((link.expiresAt.getTime() - link.createdAt.getTime()) / 3_600_000);
  return hours > 72 && hours % 24 === 0 ? `${hours / 24} days` : `${hours} hour${hours === 1 ? "" : "s"}`;
}

const sha256 = (token: string) => crypto.createHash("sha256").update(token).digest("hex");

/** What is wrong with a new password, or null. NIST SP 800-63B: at least 8 characters, a generous maximum, no composition rules. */
export function newPasswordProblem(password: string, confirm: string): string | null {
  if ([...password].length < PASSWORD_MIN) return `Choose a password of at least ${PASSWORD_MIN} characters. A few words you will remember make a good one.`;
  if ([...password].length > PASSWORD_MAX) return `Choose a password of at most ${PASSWORD_MAX} characters.`;
  if (password !== confirm) return "The two new passwords are not the same. Type the new password in both boxes.";
  return null;
}

function checkNewPassword(password: string, confirm: string): string {
  const problem = newPasswordProblem(password, confirm);
  if (problem) throw new BadRequest(problem);
  return password;
}

export class AuthService {
  private readonly gate: HashGate;
  private readonly scrypt: ScryptParams;
  private readonly clock: () => Date;

  constructor(private readonly deps: { db: Db; gate?: HashGate; scrypt?: ScryptParams; clock?: () => Date }) {
    this.gate = deps.gate ?? new HashGate({ concurrency: 2, queue: 100 });
    this.scrypt = deps.scrypt ?? CURRENT_SCRYPT;
    this.clock = deps.clock ?? (() => new Date());
  }

  /**
   * The user, or null for an unknown email or a wrong password (the caller says the same for both).
   * `gateKey` (the client's address) decides whose turn it is when hashes queue. A hash cheaper than
   * the current cost is replaced after a successful check.
   */
  async authenticate(email: string, password: string, gateKey = ""): Promise<SessionUser | null> {
    const { db } = this.deps;
    const user = await db.user.findUnique({ where: { email: email.trim().toLowerCase() } });
    if (!user?.passwordHash) {
      await this.gate.run(gateKey, async () => verifyPassword(password, await dummyHash()));
      return null;
    }
    const stored = user.passwordHash;
    if (!(await this.gate.run(gateKey, () => verifyPassword(password, stored)))) {
      // A cheaper (older) hash answers faster than the dummy one: pad a failure to the current cost,
      // so timing does not tell which emails have accounts.
      if (needsRehash(stored, this.scrypt)) await this.gate.run(gateKey, async () => verifyPassword(password, await dummyHash()));
      return null;
    }
    if (needsRehash(stored, this.scrypt)) {
      const upgraded = await this.gate.run(gateKey, () => hashPassword(password, this.scrypt));
      // Only if unchanged meanwhile: a password changed in another tab wins.
      await db.user.updateMany({ where: { id: user.id, passwordHash: stored }, data: { passwordHash: upgraded } });
    }
    await db.user.update({ where: { id: user.id }, data: { lastSeenAt: this.clock() } });
    return { id: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin };
  }

  async findUser(id: string): Promise<SessionUser | null> {
    return this.deps.db.user.findUnique({ where: { id }, select: { id: true, email: true, name: true, isAdmin: true } });
  }

  /** A signed-in user's change: the current password must match. Signs out the user's other sessions. */
  async changePassword(user: SessionUser, input: { current: string; password: string; confirm: string }, keepSessionId: string, gateKey = "") {
    const row = await this.deps.db.user.findUniqueOrThrow({ where: { id: user.id } });
    if (!row.passwordHash || !(await this.gate.run(gateKey, () => verifyPassword(input.current, row.passwordHash!)))) {
      throw new BadRequest("Your current password is not right. Type the password you signed in with.");
    }
    const password = checkNewPassword(input.password, input.confirm);
    if (password === input.current) throw new BadRequest("The new password is the same as the current one. Choose a different one.");
    const hash = await this.gate.run(gateKey, () => hashPassword(password, this.scrypt));
    // A password link handed out earlier (a reset, an import's invitation) must not outlive the change.
    await this.deps.db.$transaction([
      this.deps.db.user.update({ where: { id: user.id }, data: { passwordHash: hash } }),
      this.deps.db.passwordLink.deleteMany({ where: { userId: user.id, usedAt: null } }),
    ]);
    await this.endSessions(user.id, keepSessionId);
  }

  /**
   * A one-time link for `targetId` to choose a new password, made by an instructor of `courseId`
   * (or an administrator). Returns the token for the link; only its hash is stored.
   */
  async createPasswordLink(actor: SessionUser, courseId: string, targetId: string): Promise<{ token: string; expiresAt: Date; email: string; name: string }> {
    const { db } = this.deps;
    const target = await db.user.findUnique({ where: { id: targetId }, include: { memberships: true } });
    if (!target?.memberships.some((m) => m.courseId === courseId)) throw new NotFound("That person is not in this course.");
    if (target.id === actor.id) throw new BadRequest("To change your own password, use Account at the top of the page.");
    if (!actor.isAdmin) {
      // An instructor could sign in with the link they hand out, so they may reset only accounts
      // that see nothing they cannot: no administrators, no fellow instructors, nobody from other courses.
      const taught = new Set((await db.membership.findMany({ where: { userId: actor.id, role: CourseRole.INSTRUCTOR } })).map((m) => m.courseId));
      if (target.isAdmin || target.memberships.some((m) => m.role === CourseRole.INSTRUCTOR)) {
        throw new Forbidden(`${target.name} is an instructor or administrator. Ask a site administrator to reset their password.`);
      }
      if (target.memberships.some((m) => !taught.has(m.courseId))) {
        throw new Forbidden(`${target.name} is also in a course you do not teach. Ask a site administrator to reset their password.`);
      }
    }
    const token = crypto.randomBytes(32).toString("base64url");
    const now = this.clock();
    const expiresAt = new Date(now.getTime() + PASSWORD_LINK_HOURS * 3600 * 1000);
    await db.$transaction([
      // A new link replaces any earlier one that was not used.
      db.passwordLink.deleteMany({ where: { userId: target.id, usedAt: null } }),
      db.passwordLink.create({ data: { userId: target.id, tokenHash: sha256(token), createdById: actor.id, createdAt: now, expiresAt } }),
    ]);
    return { token, expiresAt, email: target.email, name: target.name };
  }

  /**
   * Set-password links for accounts a roster import has just made (they have no password yet),
   * in the order given. The tokens exist only in the returned list: the caller shows them once.
   */
  async inviteLinks(actor: SessionUser, users: { id: string; email: string; name: string }[]): Promise<{ email: string; name: string; token: string; expiresAt: Date }[]> {
    const now = this.clock();
    const expiresAt = new Date(now.getTime() + INVITE_LINK_DAYS * 24 * 3600 * 1000);
    const links = users.map((u) => ({ ...u, token: crypto.randomBytes(32).toString("base64url"), expiresAt }));
    await this.deps.db.passwordLink.createMany({ data: links.map((l) => ({ userId: l.id, tokenHash: sha256(l.token), createdById: actor.id, createdAt: now, expiresAt })) });
    return links.map(({ email, name, token }) => ({ email, name, token, expiresAt }));
  }

  /** The account a link is for, while it is unused and unexpired. */
  async passwordLink(token: string): Promise<{ id: string; user: { id: string; email: string; name: string } }> {
    const link = await this.deps.db.passwordLink.findUnique({ where: { tokenHash: sha256(token) }, include: { user: { select: { id: true, email: true, name: true } } } });
    if (!link) throw new NotFound("This password link is not valid. Check that you copied all of it, or ask your instructor for a new one.");
    if (link.usedAt) throw new NotFound("This password link has already been used. Sign in with the password you chose, or ask your instructor for a new link.");
    if (link.expiresAt <= this.clock()) throw new NotFound(`This password link has expired (it worked for ${linkLifetime(link)}). Ask your instructor for a new one.`);
    return link;
  }

  /** Sets the password through a link: once only; every session of the account ends. */
  async usePasswordLink(token: string, input: { password: string; confirm: string }, gateKey = ""): Promise<{ email: string }> {
    const link = await this.passwordLink(token);
    const password = checkNewPassword(input.password, input.confirm);
    const hash = await this.gate.run(gateKey, () => hashPassword(password, this.scrypt));
    const { db } = this.deps;
    const used = await db.$transaction(async (tx) => {
      const claimed = await tx.passwordLink.updateMany({ where: { id: link.id, usedAt: null }, data: { usedAt: this.clock() } });
      if (!claimed.count) return false;
      await tx.user.update({ where: { id: link.user.id }, data: { passwordHash: hash } });
      await tx.passwordLink.deleteMany({ where: { userId: link.user.id, usedAt: null } }); // any other link made before
      return true;
    });
    if (!used) throw new NotFound("This password link has already been used. Sign in with the password you chose, or ask your instructor for a new link.");
    await this.endSessions(link.user.id, null);
    return { email: link.user.email };
  }

  /** Ends the user's sessions in the store (all but `keep`), so a changed password locks out whoever had the old one. */
  private async endSessions(userId: string, keep: string | null) {
    await this.deps.db.$executeRaw`DELETE FROM "session" WHERE sess->>'userId' = ${userId} AND sid <> ${keep ?? ""}`;
  }
}
