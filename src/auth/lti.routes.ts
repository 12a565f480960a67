// LTI 1.3 endpoints an LMS administrator registers: the login initiation URL
// (/lti/login), the redirect / launch URL (/lti/launch), and a page listing them.
// No CSRF token here: the launch is a cross-site POST by design, and what protects it
// is the signed id_token, bound to a one-time state and nonce.
import { Router, type Request } from "express";
import { ipKeyGenerator, rateLimit } from "express-rate-limit";
import { z } from "zod";
import type { Config } from "../platform/config.js";
import { BadRequest, NotFound, TooManyRequests } from "../platform/errors.js";
import { flash, parseForm, regenerateSession, saveSession } from "../platform/http.js";
import type { ToolKey } from "./lti.keys.js";
import type { LtiService } from "./lti.service.js";

const LoginParams = z.object({
  iss: z.string("The platform's issuer (iss) is missing.").min(1, "The platform's issuer (iss) is missing."),
  login_hint: z.string("The login_hint is missing.").min(1, "The login_hint is missing."),
  target_link_uri: z.string().optional(),
  lti_message_hint: z.string().optional(),
  client_id: z.string().optional(),
  lti_deployment_id: z.string().optional(),
});
const LaunchBody = z.object({
  id_token: z.string("The id_token is missing.").min(1, "The id_token is missing."),
  state: z.string("The state is missing.").min(1, "The state is missing."),
});
/** Login initiations per address per 10 minutes. */
export const LTI_LOGINS_PER_ADDRESS = 600;
const AGAIN = "This is not a valid LTI request: open the activity from your course in the LMS.";

export function ltiRoutes({ lti, config, toolKey }: { lti: LtiService; config: Config; toolKey: () => Promise<ToolKey> }) {
  const router = Router();
  const origin = (req: Request) => (config.PUBLIC_URL ? new URL(config.PUBLIC_URL).origin : `${req.protocol}://${req.get("host")}`);
  const requireEnabled = () => {
    if (!lti.enabled) throw new NotFound("LTI is not set up on this server. An administrator registers LMS platforms in LTI_PLATFORMS_FILE (see the README).");
  };

  // Each login initiation stores a state row until its launch: bounded per address here (generous, as a
  // lecture hall behind one NAT opens the activity together) and in total by the service.
  const loginLimiter = rateLimit({
    windowMs: 10 * 60_000,
    limit: LTI_LOGINS_PER_ADDRESS,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? ""),
    handler: (_req, _res, next) => next(new TooManyRequests("Too many LTI sign-ins from your network in the last few minutes. Wait ten minutes, then open the activity from your LMS again.")),
  });

  // Platforms send the login initiation as a GET or a POST.
  router.all("/lti/login", loginLimiter, async (req, res) => {
    requireEnabled();
    if (req.method !== "GET" && req.method !== "POST") throw new BadRequest("Use GET or POST.");
    const params = parseForm(LoginParams, req.method === "GET" ? req.query : req.body, AGAIN);
    res.redirect(302, await lti.beginLogin(params, `${origin(req)}/lti/launch`));
  });

  router.post("/lti/launch", async (req, res) => {
    requireEnabled();
    const { id_token, state } = parseForm(LaunchBody, req.body, AGAIN);
    const launch = await lti.launch(id_token, state, origin(req));
    await regenerateSession(req); // a new session id on sign-in defeats session fixation
    req.session.userId = launch.userId;
    flash(req, "success", "Signed in from your LMS.");
    await saveSession(req);
    res.redirect(303, launch.target);
  });

  // The tool's public key: platforms check the assertions it signs for access tokens (grades).
  router.get("/lti/jwks", async (_req, res) => {
    res.set("Cache-Control", "public, max-age=3600").json({ keys: [(await toolKey()).publicJwk] });
  });

  // What an LMS administrator enters when registering this tool.
  router.get("/lti", (req, res) => {
    const o = origin(req);
    res.render("lti", { title: "LTI 1.3 registration", enabled: lti.enabled, loginUrl: `${o}/lti/login`, launchUrl: `${o}/lti/launch`, jwksUrl: `${o}/lti/jwks`, origin: o });
  });

  return router;
}
