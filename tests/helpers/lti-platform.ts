// A fake LMS platform for LTI tests (the outside world): its signing key and JWKS, a token endpoint that
// checks the tool's signed assertion, AGS line items with results and scores, an NRPS roster in pages, and
// the openid-configuration and registration endpoints of Dynamic Registration. Records what it saw.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { stringify } from "yaml";
import type { LtiPlatform } from "../../src/lti/lti.platforms.js";
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JSONWebKeySet } from "jose";

export const CLAIM = "https://purl.imsglobal.org/spec/lti/claim/";
export const LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
export const INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";
export const AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
export const SCOPES = {
  lineitem: "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
  result: "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
  score: "https://purl.imsglobal.org/spec/lti-ags/scope/score",
  nrps: "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
};

export interface FakeLineItem { id: string; label: string; scoreMaximum: number; resourceId?: string; tag?: string; resourceLinkId?: string }

export interface FakePlatform {
  base: string;
  key: CryptoKey;
  /** The tool's published keys (the test fetches /lti/jwks and puts them here). */
  toolKeys: JSONWebKeySet | null;
  /** The `aud` the token endpoint requires of assertions (default: its own URL). */
  tokenAudience: string | null;
  clientId: string;
  tokens: Record<string, string>[];
  requests: { method: string; url: string; auth: string; accept: string; type: string; body: unknown }[];
  lineItems: FakeLineItem[];
  results: Record<string, { userId: string; resultScore?: number; resultMaximum?: number }[]>;
  /** How the score endpoint answers (200 by default); a score is kept only on a 2xx. */
  scoreStatus: number;
  /** The NRPS roster (/memberships): its pages of members, each page linking the next. */
  roster: Record<string, unknown>[][];
  /** Dynamic Registration: what the configuration says, the token the registration endpoint wants, what it got. */
  openidConfig: Record<string, unknown>;
  registrationToken: string;
  registrations: { auth: string; body: Record<string, unknown> }[];
  /** For a browser: what the OIDC endpoint (/auth) signs into the id_token it posts back to the tool. */
  launch: { iss: string; aud: string; sub: string; claims: Record<string, unknown> } | null;
  /** For a browser: the tool's origin, the only one whose Platform Storage messages the LMS page (/frame) answers. */
  toolOrigin: string;
  idToken(nonce: string, claims: Record<string, unknown>, opts: { iss: string; aud: string; now: Date; sub?: string }): Promise<string>;
  close(): Promise<void>;
}

/** One platform of LTI_PLATFORMS_FILE as an operator writes it (its fields: src/lti/lti.platforms.ts). */
export type PlatformsFileEntry = Omit<LtiPlatform, "trustEmail"> & { trustEmail?: boolean };

/** Writes LTI_PLATFORMS_FILE (`lti.yaml` in `dir`) with these platforms, as YAML: its path. */
export function writePlatformsFile(dir: string, platforms: PlatformsFileEntry[]): string {
  const file = path.join(dir, "lti.yaml");
  fs.writeFileSync(file, stringify({ platforms }));
  return file;
}

/** A fake platform's own endpoints, named as a platforms-file entry names them. */
export function endpointsOf(p: FakePlatform): Pick<PlatformsFileEntry, "issuer" | "authLoginUrl" | "keySetUrl" | "tokenUrl"> {
  return { issuer: p.base, authLoginUrl: `${p.base}/auth`, keySetUrl: `${p.base}/jwks`, tokenUrl: `${p.base}/token` };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The LMS page a browser test opens: it shows the tool in a frame and keeps data for it (LTI Platform Storage:
 * lti.put_data / lti.get_data answered to the tool's origin only).
 */
function lmsPage(src: string, toolOrigin: string): string {
  return `<!doctype html><title>LMS</title><h1>LMS course</h1><iframe name="tool" src="${escapeHtml(src)}" width="900" height="600"></iframe>
<script>
const store = new Map();
addEventListener("message", (e) => {
  if (e.origin !== ${JSON.stringify(toolOrigin)} || !e.data) return;
  const d = e.data;
  if (d.subject === "lti.put_data") { store.set(d.key, d.value); e.source.postMessage({ subject: "lti.put_data.response", message_id: d.message_id, key: d.key, value: d.value }, e.origin); }
  if (d.subject === "lti.get_data") e.source.postMessage({ subject: "lti.get_data.response", message_id: d.message_id, key: d.key, value: store.get(d.key) }, e.origin);
});
</script>`;
}

export async function startFakePlatform(opts: { clientId: string; now: () => Date; host?: string }): Promise<FakePlatform> {
  const pair = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "platform-key-1", alg: "RS256", use: "sig" };
  let nextItem = 100;
  const p: FakePlatform = {
    base: "", key: pair.privateKey, toolKeys: null, tokenAudience: null, clientId: opts.clientId, tokens: [], requests: [], lineItems: [], results: {}, scoreStatus: 200, roster: [],
    openidConfig: {}, registrationToken: "reg-token-1", registrations: [], launch: null, toolOrigin: "",
    async idToken(nonce, claims, o) {
      const s = Math.floor(o.now.getTime() / 1000);
      return new SignJWT({
        nonce, [`${CLAIM}message_type`]: "LtiResourceLinkRequest", [`${CLAIM}version`]: "1.3.0",
        [`${CLAIM}resource_link`]: { id: "link-1" }, [`${CLAIM}roles`]: [LEARNER], ...claims,
      }).setProtectedHeader({ alg: "RS256", kid: "platform-key-1" }).setIssuer(o.iss).setAudience(o.aud).setSubject(o.sub ?? "lms-user-1")
        .setIssuedAt(s).setExpirationTime(s + 300).sign(pair.privateKey);
    },
    close: async () => new Promise<void>((r) => server.close(() => r())),
  };
  const json = (res: http.ServerResponse, status: number, body: unknown, type = "application/json", headers: Record<string, string> = {}) =>
    res.writeHead(status, { "Content-Type": type, ...headers }).end(JSON.stringify(body));
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (d: Buffer) => (raw += d.toString()));
    req.on("end", () => {
      void (async () => {
        const url = new URL(req.url!, p.base);
        let body: unknown = raw;
        try {
          body = raw && String(req.headers["content-type"]).includes("json") ? JSON.parse(raw) : raw;
        } catch { /* kept raw */ }
        if (url.pathname !== "/jwks") p.requests.push({ method: req.method!, url: req.url!, auth: String(req.headers.authorization ?? ""), accept: String(req.headers.accept ?? ""), type: String(req.headers["content-type"] ?? ""), body });
        if (url.pathname === "/jwks") return json(res, 200, { keys: [jwk] });
        if (url.pathname === "/frame") return res.writeHead(200, { "Content-Type": "text/html" }).end(lmsPage(url.searchParams.get("src")!, p.toolOrigin));
        if (url.pathname === "/auth" && p.launch) {
          // The OIDC authorisation endpoint: signs the launch and has the browser post it to the tool's redirect_uri.
          const q = url.searchParams;
          const idToken = await p.idToken(q.get("nonce")!, p.launch.claims, { iss: p.launch.iss, aud: p.launch.aud, now: opts.now(), sub: p.launch.sub });
          return res.writeHead(200, { "Content-Type": "text/html" }).end(`<!doctype html><form method="post" action="${escapeHtml(q.get("redirect_uri")!)}">
<input type="hidden" name="id_token" value="${escapeHtml(idToken)}"><input type="hidden" name="state" value="${escapeHtml(q.get("state")!)}"></form>
<script>document.forms[0].submit()</script>`);
        }
        if (url.pathname === "/token") {
          const form = Object.fromEntries(new URLSearchParams(raw));
          p.tokens.push(form);
          try {
            const { payload } = await jwtVerify(form.client_assertion!, createLocalJWKSet(p.toolKeys!), { issuer: p.clientId, subject: p.clientId, audience: p.tokenAudience ?? `${p.base}/token`, currentDate: opts.now() });
            if (!payload.jti) throw new Error("an assertion needs a jti");
          } catch {
            return json(res, 401, { error: "invalid_client" });
          }
          return json(res, 200, { access_token: `token-for-${form.scope}`, token_type: "Bearer", expires_in: 3600 });
        }
        if (url.pathname === "/.well-known/openid-configuration") return json(res, 200, p.openidConfig);
        if (url.pathname === "/register" && req.method === "POST") {
          p.registrations.push({ auth: String(req.headers.authorization ?? ""), body: body as Record<string, unknown> });
          if (req.headers.authorization !== `Bearer ${p.registrationToken}`) return json(res, 401, { error: "invalid_token", error_description: "registration token expired" });
          return json(res, 200, { ...(body as object), client_id: "dyn-client-9", "https://purl.imsglobal.org/spec/lti-tool-configuration": { ...((body as Record<string, object>)["https://purl.imsglobal.org/spec/lti-tool-configuration"]), deployment_id: "dyn-deploy-1" } });
        }
        // AGS: every call needs a token with the right scope.
        const auth = String(req.headers.authorization ?? "");
        if (url.pathname === "/memberships" && req.method === "GET") {
          if (!auth.includes(SCOPES.nrps)) return json(res, 403, {});
          const page = Number(url.searchParams.get("page") ?? 0);
          return json(res, 200, { id: `${p.base}/memberships`, context: { id: "ctx-1" }, members: p.roster[page] ?? [] }, "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
            page + 1 < p.roster.length ? { Link: `<${p.base}/memberships?page=${page + 1}>; rel="next"` } : {});
        }
        if (url.pathname === "/lineitems" && req.method === "GET") {
          if (!auth.includes(SCOPES.lineitem)) return json(res, 403, {});
          const f = (k: string) => url.searchParams.get(k);
          const list = p.lineItems.filter((li) => (!f("resource_id") || li.resourceId === f("resource_id")) && (!f("tag") || li.tag === f("tag")) && (!f("resource_link_id") || li.resourceLinkId === f("resource_link_id")));
          // Paged by one, so the tool must follow rel="next".
          const page = Number(f("page") ?? 0);
          const next = new URL(url);
          next.searchParams.set("page", String(page + 1));
          return json(res, 200, list.slice(page, page + 1), "application/vnd.ims.lis.v2.lineitemcontainer+json", page + 1 < list.length ? { Link: `<${next}>; rel="next"` } : {});
        }
        if (url.pathname === "/lineitems" && req.method === "POST") {
          if (!auth.includes(SCOPES.lineitem) || req.headers["content-type"] !== "application/vnd.ims.lis.v2.lineitem+json") return json(res, 403, {});
          const item = { ...(body as object), id: `${p.base}/lineitems/${nextItem++}` } as FakeLineItem;
          p.lineItems.push(item);
          return json(res, 201, item, "application/vnd.ims.lis.v2.lineitem+json");
        }
        const m = /^\/lineitems\/(\d+)(\/results|\/scores)?$/.exec(url.pathname);
        const item = m && p.lineItems.find((li) => li.id === `${p.base}/lineitems/${m[1]}`);
        if (m && item && !m[2] && req.method === "PUT") {
          if (!auth.includes(SCOPES.lineitem)) return json(res, 403, {});
          Object.assign(item, body as object, { id: item.id });
          return json(res, 200, item, "application/vnd.ims.lis.v2.lineitem+json");
        }
        if (m && item && m[2] === "/results") {
          if (!auth.includes(SCOPES.result)) return json(res, 403, {});
          return json(res, 200, p.results[item.id] ?? [], "application/vnd.ims.lis.v2.resultcontainer+json");
        }
        if (m && item && m[2] === "/scores" && req.method === "POST") {
          if (!auth.includes(SCOPES.score)) return json(res, 403, {});
          const s = body as { userId: string; scoreGiven: number; scoreMaximum: number };
          if (p.scoreStatus < 300) (p.results[item.id] ??= []).push({ userId: s.userId, resultScore: s.scoreGiven, resultMaximum: s.scoreMaximum });
          return res.writeHead(p.scoreStatus).end();
        }
        res.writeHead(404).end();
      })();
    });
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((r) => server.listen(0, host, r));
  p.base = `http://${host}:${(server.address() as AddressInfo).port}`;
  return p;
}
