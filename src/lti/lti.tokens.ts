// OAuth 2 access tokens for LTI services (AGS scores, NRPS rosters): client credentials with a JWT
// assertion signed by the tool key (1EdTech Security Framework §4.1), cached per platform and scope
// until shortly before they expire; and the paged GET those services share (Link: rel="next").
import crypto from "node:crypto";
import { SignJWT } from "jose";
import { LtiEgress } from "./lti.egress.js";
import type { ToolKey } from "./lti.keys.js";
import type { LtiPlatform } from "./lti.platforms.js";
import type { TrustedPlatform } from "./lti.registry.js";

export class LtiTokens {
  private readonly cache = new Map<string, { token: string; until: number }>();

  readonly egress: LtiEgress;

  constructor(private readonly deps: { toolKey: () => Promise<ToolKey>; clock: () => Date; egress?: LtiEgress }) {
    this.egress = deps.egress ?? new LtiEgress();
  }

  /** A platform that can issue tokens (it has a tokenUrl), or an error saying why not. */
  static usable<P extends TrustedPlatform>(p: P | undefined, issuer: string, clientId: string, what: string): P & { tokenUrl: string } {
    if (!p) throw new Error(`the platform ${issuer} (client ${clientId}) is no longer registered`);
    if (!p.tokenUrl) throw new Error(`${p.name} has no tokenUrl in LTI_PLATFORMS_FILE, so ${what}`);
    return p as P & { tokenUrl: string };
  }

  async token(p: TrustedPlatform & { tokenUrl: string }, scope: string): Promise<string> {
    const key = `${p.issuer} ${p.clientId} ${scope}`;
    const now = this.deps.clock().getTime();
    const cached = this.cache.get(key);
    if (cached && cached.until > now) return cached.token;
    const tool = await this.deps.toolKey();
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: tool.kid })
      .setIssuer(p.clientId).setSubject(p.clientId).setAudience(p.authAudience ?? p.tokenUrl)
      .setIssuedAt(Math.floor(now / 1000)).setExpirationTime(Math.floor(now / 1000) + 300).setJti(crypto.randomUUID())
      .sign(tool.privateKey);
    const res = await this.egress.fetch(p, p.tokenUrl, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: assertion, scope }),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string };
    if (!res.ok || !body.access_token) throw new Error(`${p.name} refused an access token (HTTP ${res.status}${body.error ? `, ${body.error}` : ""})`);
    this.cache.set(key, { token: body.access_token, until: now + Math.max(60, (body.expires_in ?? 3600) - 60) * 1000 });
    return body.access_token;
  }

  /** Forgets a token the platform no longer accepts (it answered 401). */
  forget(p: LtiPlatform, scope: string): void {
    this.cache.delete(`${p.issuer} ${p.clientId} ${scope}`);
  }
}

/** The URL of the Link header's rel="next" (RFC 8288), if any. */
export function nextLink(header: string | null): string | null {
  for (const part of (header ?? "").split(",")) {
    const m = /<([^>]+)>\s*;(.*)$/.exec(part.trim());
    if (m && /(^|;)\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(m[2]!)) return m[1]!;
  }
  return null;
}

/**
 * Every item of a list an LTI service sends in pages (NRPS members, AGS line items and results): the first URL,
 * then each page's Link rel="next", at most `maxPages` pages (a guard against "next" links that never end).
 * `get` fetches one page (with its token, refusing an error status); `items` reads a page's JSON (null when it
 * is not JSON), throwing when it cannot.
 */
export async function pagedGet<T>(first: string, { get, items, maxPages, tooMany }: {
  get: (url: string) => Promise<Response>;
  items: (body: unknown) => T[];
  maxPages: number;
  tooMany: () => Error;
}): Promise<T[]> {
  const out: T[] = [];
  let next: string | null = first;
  for (let page = 0; next; page++) {
    if (page >= maxPages) throw tooMany();
    const res = await get(next);
    out.push(...items(await res.json().catch(() => null)));
    next = nextLink(res.headers.get("link"));
  }
  return out;
}
