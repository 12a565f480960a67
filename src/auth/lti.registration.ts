// LTI Dynamic Registration 1.0: the LMS opens /lti/register with its openid-configuration URL and a
// one-time registration token; a site administrator of this tool checks what the platform says it is
// and approves; the tool posts its own configuration to the platform's registration endpoint and keeps
// the client id and deployment it gets back (LtiRegistration), used at once by every process.
import { z } from "zod";
import type { Db } from "../platform/db/prisma.js";
import { BadRequest } from "../platform/errors.js";
import { AGS_LINEITEM_SCOPE, AGS_RESULT_SCOPE } from "./lti.lineitems.js";
import { AGS_SCORE_SCOPE } from "./lti.grades.js";
import { httpsUrl } from "./lti.platforms.js";
import { NRPS_SCOPE } from "./lti.roster.js";

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
  constructor(private readonly deps: { db: Db; publicOrigin: string; fetch?: typeof fetch }) {}

  /** Reads and checks the platform's configuration: its issuer must be on the host it was read from. */
  async readConfiguration(configUrl: string): Promise<PlatformConfiguration & { name: string }> {
    const url = httpsUrl.safeParse(configUrl);
    if (!url.success) throw new BadRequest("The LMS gave no valid openid_configuration address (https://…). Start the registration again from the LMS.");
    let res: Response;
    try {
      res = await (this.deps.fetch ?? fetch)(configUrl, { headers: { Accept: "application/json" }, redirect: "error", signal: AbortSignal.timeout(15_000) });
    } catch {
      throw new BadRequest(`The LMS's configuration could not be read from ${configUrl}. Check that this server can reach the LMS, then start the registration again.`);
    }
    const body = res.ok ? await res.json().catch(() => null) : null;
    const parsed = PlatformConfiguration.safeParse(body);
    if (!parsed.success) {
      throw new BadRequest(`The LMS's configuration at ${configUrl} ${res.ok ? `is not a usable LTI platform configuration (${parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).slice(0, 3).join("; ")})` : `could not be read (HTTP ${res.status})`}. Start the registration again from the LMS; if it keeps failing, register the platform in LTI_PLATFORMS_FILE instead.`);
    }
    const config = parsed.data;
    if (new URL(config.issuer).host !== new URL(configUrl).host) {
      throw new BadRequest(`The LMS's configuration names the issuer ${config.issuer}, which is not on the host it was read from (${new URL(configUrl).host}). It was not registered.`);
    }
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
    let res: Response;
    try {
      res = await (this.deps.fetch ?? fetch)(config.registration_endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", ...(registrationToken ? { Authorization: `Bearer ${registrationToken}` } : {}) },
        body: JSON.stringify(this.toolConfiguration(config)),
        redirect: "error",
        signal: AbortSignal.timeout(20_000),
      });
    } catch {
      throw new BadRequest(`${config.name} could not be reached to register the tool. Start the registration again from the LMS.`);
    }
    const body = await res.json().catch(() => null);
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
    return existing
      ? this.deps.db.ltiRegistration.update({ where: { id: existing.id }, data: { ...data, deployments: [...new Set([...existing.deployments, deployment])] } })
      : this.deps.db.ltiRegistration.create({ data: { ...data, issuer: config.issuer, clientId, deployments: [deployment] } });
  }

  async list() {
    return this.deps.db.ltiRegistration.findMany({ orderBy: { createdAt: "asc" } });
  }
}
