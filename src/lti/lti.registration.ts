// LTI Dynamic Registration 1.0: the LMS opens /lti/register with its openid-configuration URL and a
// one-time registration token; a site administrator of this tool checks what the platform says it is
// and approves; the tool posts its own configuration to the platform's registration endpoint and keeps
// the client id and deployment it gets back (LtiRegistration), used at once by every process.
import { z } from "zod";
import type { Db } from "../platform/db/prisma.js";
import { BadRequest } from "../platform/errors.js";
import { AGS_LINEITEM_SCOPE, AGS_RESULT_SCOPE } from "./lti.lineitems.js";
import { AGS_SCORE_SCOPE } from "./lti.grades.js";
import { LtiEgress, PrivateHost } from "./lti.egress.js";
import { httpsUrl } from "./lti.platforms.js";
import type { LtiPlatforms } from "./lti.registry.js";
import { NRPS_SCOPE } from "./lti.roster.js";

/** The most this tool reads of the platform's configuration or registration answer. */
export const MAX_REGISTRATION_BODY = 64 * 1024;

const PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration";
const TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration";
export const TOOL_NAME = "CNN course module";

/** The platform's OpenID configuration (Dynamic Registration §3.4), the parts this tool uses. */
const PlatformConfiguration = z.object({
  issuer: httpsUrl,
  authorization_endpoint: httpsUrl,
  token_endpoint: httpsUrl,
  jwks_uri: httpsUrl,
  registration_endpoint: httpsUrl,
  authorization_server: z.string().optional(),
  scopes_supported: z.array(z.string()).optional(),
  [PLATFORM_CONFIG]: z.object({
    product_family_code: z.string().min(1),
    version: z.string().optional(),
    messages_supported: z.array(z.object({ type: z.string() }).loose()).optional(),
  }).loose(),
}).loose();
export type PlatformConfiguration = z.infer<typeof PlatformConfiguration>;

/** What the platform answers to the tool's registration (OpenID Connect Dynamic Client Registration, with LTI's part). */
const RegistrationResponse = z.object({
  client_id: z.string().min(1),
  [TOOL_CONFIG]: z.object({ deployment_id: z.string().min(1).optional() }).loose().optional(),
}).loose();

export class LtiRegistrations {
  /** Where the registration's requests connect: only to public addresses, checked as each connection is made (lti.egress.ts). */
  private readonly egress: LtiEgress;

  constructor(private readonly deps: {
    db: Db;
    publicOrigin: string;
    /** Every registered platform (the file's and the database's): a registration may not shadow one. */
    platforms: LtiPlatforms;
    /** Where its requests connect (the app's, shared with launches and grades); without it, one made of the two below. */
    egress?: LtiEgress;
    /** Tests only: the fake platform runs on this machine (127.0.0.1): every address (true) or these. Never set in production. */
    allowPrivateHosts?: boolean | string[];
    /** A host's addresses (default: the system's resolver, as connections use it). */
    lookup?: (host: string) => Promise<string[]>;
  }) {
    this.egress = deps.egress ?? new LtiEgress({ allowPrivateHosts: deps.allowPrivateHosts, lookup: deps.lookup });
  }

  private privateHostRefused(address: string, what: string): BadRequest {
    return new BadRequest(`The ${what} address ${address} is on this server or a private network, which a registration may not reach. Start the registration again from the LMS; if the LMS really is on a private network, register it in LTI_PLATFORMS_FILE instead.`);
  }

  /** Refuses an address whose host resolves to this machine or a private network (an administrator's click must not probe the inside), before any request: the connection checks again. */
  private async checkHost(address: string, what: string): Promise<void> {
    if (this.egress.allowsEveryAddress) return;
    const addresses = await this.egress.addressesOf(address);
    if (!addresses.length) throw new BadRequest(`The ${what} address ${address} names a host that could not be found. Start the registration again from the LMS.`);
    if (this.egress.refusesAny(addresses)) throw this.privateHostRefused(address, what);
  }

  /** A request of the registration, on checked connections only; a connection refused for its address is said as such. */
  private async request(address: string, what: string, init: Parameters<LtiEgress["checkedFetch"]>[1], unreachable: string): Promise<Response> {
    try {
      return await this.egress.checkedFetch(address, init);
    } catch (err) {
      if (err instanceof PrivateHost) throw this.privateHostRefused(address, what);
      throw new BadRequest(unreachable);
    }
  }

  /** Reads at most MAX_REGISTRATION_BODY bytes of a JSON answer (streamed: a larger one is cut off and refused); null when it is not JSON. */
  private async readJson(res: Response, what: string): Promise<unknown> {
    if (!res.body) return null;
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_REGISTRATION_BODY) {
        await reader.cancel().catch(() => undefined);
        throw new BadRequest(`${what} is larger than ${MAX_REGISTRATION_BODY / 1024} KB, which no LTI platform sends. It was not read; start the registration again from the LMS.`);
      }
      chunks.push(value);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return null;
    }
  }

  /**
   * A registration may not take over an issuer already registered here (in LTI_PLATFORMS_FILE or by an earlier registration,
   * under any client id) with other keys or sign-in endpoint: accounts are linked by (issuer, sub), so its launches would sign them in.
   */
  private async checkNotShadowing(config: PlatformConfiguration): Promise<void> {
    const same = (await this.deps.platforms.all()).filter((p) => p.issuer === config.issuer);
    const other = same.find((p) => p.keySetUrl !== config.jwks_uri || p.authLoginUrl !== config.authorization_endpoint);
    if (other) {
      throw new BadRequest(`The issuer ${config.issuer} is already registered here (${other.name}, client id ${other.clientId}) with other keys or sign-in endpoint than this LMS's configuration names (keys ${config.jwks_uri}, sign-in ${config.authorization_endpoint}). Nothing was registered. If the LMS really moved, an administrator must first remove or adjust the existing registration (LTI_PLATFORMS_FILE or the database's LtiRegistration), then start the registration again from the LMS.`);
    }
  }

  /** Reads and checks the platform's configuration: its issuer must be on the host it was read from. */
  async readConfiguration(configUrl: string): Promise<PlatformConfiguration & { name: string }> {
    const url = httpsUrl.safeParse(configUrl);
    if (!url.success) throw new BadRequest("The LMS gave no valid openid_configuration address (https://…). Start the registration again from the LMS.");
    await this.checkHost(configUrl, "configuration");
    const res = await this.request(configUrl, "configuration", { headers: { Accept: "application/json" }, redirect: "error", signal: AbortSignal.timeout(15_000) },
      `The LMS's configuration could not be read from ${configUrl}. Check that this server can reach the LMS, then start the registration again.`);
    const body = res.ok ? await this.readJson(res, `The LMS's configuration at ${configUrl}`) : (await res.body?.cancel().catch(() => undefined), null);
    const parsed = PlatformConfiguration.safeParse(body);
    if (!parsed.success) {
      throw new BadRequest(`The LMS's configuration at ${configUrl} ${res.ok ? `is not a usable LTI platform configuration (${parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).slice(0, 3).join("; ")})` : `could not be read (HTTP ${res.status})`}. Start the registration again from the LMS; if it keeps failing, register the platform in LTI_PLATFORMS_FILE instead.`);
    }
    const config = parsed.data;
    if (new URL(config.issuer).host !== new URL(configUrl).host) {
      throw new BadRequest(`The LMS's configuration names the issuer ${config.issuer}, which is not on the host it was read from (${new URL(configUrl).host}). It was not registered.`);
    }
    // What this server will fetch later, at launches and grade sends (keys, tokens) or at approval (registration):
    // refused at review, before the administrator approves, when it is on this server or a private network.
    await this.checkHost(config.jwks_uri, "keys (jwks_uri)");
    await this.checkHost(config.token_endpoint, "token endpoint");
    await this.checkHost(config.registration_endpoint, "registration endpoint");
    await this.checkNotShadowing(config);
    const product = config[PLATFORM_CONFIG].product_family_code;
    return { ...config, name: `${product.charAt(0).toUpperCase()}${product.slice(1)} (${new URL(config.issuer).host})` };
  }

  /** The tool's registration request: its endpoints, keys, the scopes it uses that the platform offers, and its messages. */
  toolConfiguration(config: PlatformConfiguration): Record<string, unknown> {
    const o = this.deps.publicOrigin;
    const wanted = [AGS_LINEITEM_SCOPE, AGS_RESULT_SCOPE, AGS_SCORE_SCOPE, NRPS_SCOPE];
    const scopes = config.scopes_supported ? wanted.filter((s) => config.scopes_supported!.includes(s)) : wanted;
    const deepLinking = !config[PLATFORM_CONFIG].messages_supported || config[PLATFORM_CONFIG].messages_supported.some((m) => m.type === "LtiDeepLinkingRequest");
    return {
      application_type: "web",
      response_types: ["id_token"],
      grant_types: ["implicit", "client_credentials"],
      initiate_login_uri: `${o}/lti/login`,
      redirect_uris: [`${o}/lti/launch`],
      client_name: TOOL_NAME,
      jwks_uri: `${o}/lti/jwks`,
      token_endpoint_auth_method: "private_key_jwt",
      scope: scopes.join(" "),
      [TOOL_CONFIG]: {
        domain: new URL(o).host,
        target_link_uri: `${o}/lti/launch`,
        description: "Readings, checklist, the preparation quiz and the case-study leaderboard of the CNN module; quiz grades and case-study points go to the gradebook.",
        claims: ["iss", "sub", "name", "given_name", "family_name", "email"],
        messages: deepLinking ? [{ type: "LtiDeepLinkingRequest", target_link_uri: `${o}/lti/launch`, label: TOOL_NAME }] : [],
      },
    };
  }

  /**
   * Registers the tool with the platform (the administrator approved) and keeps the registration: a second
   * registration of the same client adds its deployment. Returns what was kept.
   */
  async register(configUrl: string, registrationToken: string | undefined, approvedById: string) {
    const config = await this.readConfiguration(configUrl);
    const res = await this.request(config.registration_endpoint, "registration endpoint", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", ...(registrationToken ? { Authorization: `Bearer ${registrationToken}` } : {}) },
      body: JSON.stringify(this.toolConfiguration(config)),
      redirect: "error",
      signal: AbortSignal.timeout(20_000),
    }, `${config.name} could not be reached to register the tool. Start the registration again from the LMS.`);
    const body = await this.readJson(res, `${config.name}'s answer to the registration`);
    const parsed = RegistrationResponse.safeParse(body);
    if (!res.ok || !parsed.success) {
      const why = (body as { error_description?: string; error?: string } | null)?.error_description ?? (body as { error?: string } | null)?.error;
      throw new BadRequest(`${config.name} refused the registration (HTTP ${res.status}${why ? `: ${why}` : ""}). The registration token may have expired: start the registration again from the LMS.`);
    }
    const clientId = parsed.data.client_id;
    const deployment = parsed.data[TOOL_CONFIG]?.deployment_id;
    if (!deployment) throw new BadRequest(`${config.name} registered the tool (client id ${clientId}) but gave no deployment id, so launches cannot be checked. Add the platform to LTI_PLATFORMS_FILE with that client id and the deployment id the LMS shows.`);
    const data = {
      name: config.name, authLoginUrl: config.authorization_endpoint, keySetUrl: config.jwks_uri, tokenUrl: config.token_endpoint,
      authAudience: config.authorization_server ?? null, configUrl, approvedById,
    };
    const existing = await this.deps.db.ltiRegistration.findUnique({ where: { issuer_clientId: { issuer: config.issuer, clientId } } });
    // A second registration of a client only adds its deployment: the endpoints kept are those approved first.
    return existing
      ? this.deps.db.ltiRegistration.update({ where: { id: existing.id }, data: { deployments: [...new Set([...existing.deployments, deployment])] } })
      : this.deps.db.ltiRegistration.create({ data: { ...data, issuer: config.issuer, clientId, deployments: [deployment] } });
  }

  async list() {
    return this.deps.db.ltiRegistration.findMany({ orderBy: { createdAt: "asc" } });
  }
}
