// The platforms this tool trusts: those in LTI_PLATFORMS_FILE (read at start-up) and those an
// administrator registered through LTI Dynamic Registration (rows of LtiRegistration, read on each
// use, so a new registration works in every web and worker process without a restart).
import type { Db } from "../platform/db/prisma.js";
import type { EgressPlatform } from "./lti.egress.js";
import type { LtiPlatform } from "./lti.platforms.js";

/** A platform this tool trusts; `publicOnly` when it came from Dynamic Registration: every connection for it must be public (lti.egress.ts). */
export type TrustedPlatform = LtiPlatform & EgressPlatform;

export class LtiPlatforms {
  constructor(private readonly deps: { db: Db; file: LtiPlatform[] }) {}

  /** Every registered platform: the file's first (a registration from the file wins over a database one for the same issuer and client). */
  async all(): Promise<TrustedPlatform[]> {
    const rows = await this.deps.db.ltiRegistration.findMany({ orderBy: { createdAt: "asc" } });
    const inFile = new Set(this.deps.file.map((p) => `${p.issuer} ${p.clientId}`));
    return [...this.deps.file, ...rows.filter((r) => !inFile.has(`${r.issuer} ${r.clientId}`)).map(fromRow)];
  }

  async find(issuer: string, clientId?: string): Promise<TrustedPlatform | undefined> {
    const inFile = this.deps.file.find((p) => p.issuer === issuer && (!clientId || p.clientId === clientId));
    if (inFile) return inFile;
    const row = await this.deps.db.ltiRegistration.findFirst({ where: { issuer, ...(clientId ? { clientId } : {}) }, orderBy: { createdAt: "asc" } });
    return row ? fromRow(row) : undefined;
  }

  async any(): Promise<boolean> {
    return this.deps.file.length > 0 || (await this.deps.db.ltiRegistration.count()) > 0;
  }
}

function fromRow(r: { name: string; issuer: string; clientId: string; deployments: string[]; authLoginUrl: string; keySetUrl: string; tokenUrl: string | null; authAudience: string | null; configUrl: string }): TrustedPlatform {
  const p: LtiPlatform = {
    name: r.name, issuer: r.issuer, clientId: r.clientId, deployments: r.deployments, authLoginUrl: r.authLoginUrl, keySetUrl: r.keySetUrl,
    tokenUrl: r.tokenUrl ?? undefined, authAudience: r.authAudience ?? undefined, trustEmail: false,
  };
  // Also the site the registration came from: the LMS's own pages, which frame the tool.
  return { ...p, frameOrigins: [...new Set([...frameOriginsOf(p), new URL(r.configUrl).origin])], publicOnly: true };
}

/** The origins whose pages may show this tool in a frame for a platform: its frameOrigins, else its issuer's and login endpoint's. */
export function frameOriginsOf(p: LtiPlatform): string[] {
  if (p.frameOrigins?.length) return p.frameOrigins;
  const origins = new Set<string>();
  for (const u of [p.issuer, p.authLoginUrl]) {
    try {
      const url = new URL(u);
      if (url.protocol === "https:" || url.protocol === "http:") origins.add(url.origin);
    } catch { /* an issuer need not be a URL */ }
  }
  return [...origins];
}
