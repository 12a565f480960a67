// LTI Dynamic Registration (/lti/register): the LMS opens it, often in a frame where this site's sign-in
// cookie is not sent; only a signed-in site administrator approves, always in a window of its own (the
// approval pages may not be framed: no other site may get an administrator's click). Nothing is fetched
// from the LMS until the administrator asks for it (a POST with the form's token): a link alone reaches nothing.
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { Forbidden, NotFound } from "../platform/errors.js";
import { csrfProtection, parseForm, requireUser } from "../platform/http.js";
import { pageContext } from "../platform/page-context.js";
import { allowAnyFraming, denyFraming } from "./lti.frames.js";
import type { LtiRegistrations } from "./lti.registration.js";

const RegisterParams = z.object({
  openid_configuration: z.string("The LMS did not say where its configuration is (openid_configuration). Start the registration again from the LMS.").min(1, "The LMS did not say where its configuration is (openid_configuration)."),
  registration_token: z.string().max(4096).optional(),
});

export function ltiRegistrationRoutes({ registrations, publicOrigin }: { registrations: LtiRegistrations | null; publicOrigin: string | null }) {
  const router = Router();
  const enabled = () => {
    if (!registrations || !publicOrigin) throw new NotFound("LTI registration is not available until this server knows its public address: an administrator sets PUBLIC_URL (see the README).");
    return registrations;
  };

  router.get("/lti/register", async (req, res) => {
    enabled();
    const params = parseForm(RegisterParams, req.query);
    const user = res.locals.user;
    const here = `/lti/register?${new URLSearchParams({ ...params, approve: "1" }).toString()}`;
    // The approval window (opened from the LMS's frame): sign in first, then come back here.
    if (!user && req.query.approve === "1") return requireUser(req, res, () => undefined);
    const framed = req.get("sec-fetch-dest") === "iframe";
    if (!user?.isAdmin || framed) {
      // Nothing here to click but the link to a new window: any LMS may show it in its frame.
      allowAnyFraming(res);
      return res.status(user && !user.isAdmin ? 403 : 200).render("lti-register", {
        title: "Register this tool with your LMS", needsAdmin: true, signedInAs: user && !user.isAdmin ? user.name : undefined, framedAdmin: Boolean(user?.isAdmin), approveUrl: here,
      });
    }
    denyFraming(res);
    res.render("lti-register", { title: "Register this tool with your LMS", review: true, csrfToken: res.locals.csrfToken, params });
  });

  /** Only a signed-in administrator, in a window of its own (never a frame). */
  const admin = (req: Request, res: Response) => {
    denyFraming(res);
    const { user } = pageContext(res, "user");
    if (!user.isAdmin) throw new Forbidden("Only a site administrator of this tool can register it with an LMS.");
    if (req.get("sec-fetch-dest") === "iframe") throw new Forbidden("Approve the registration in a window of its own, not inside another page: use the button that opens a new window.");
    return user;
  };

  // The administrator asked to review: now (and only now) the LMS's configuration is read.
  router.post("/lti/register/review", requireUser, csrfProtection, async (req, res) => {
    const regs = enabled();
    admin(req, res);
    const params = parseForm(RegisterParams, req.body);
    const config = await regs.readConfiguration(params.openid_configuration);
    res.render("lti-register", {
      title: "Register this tool with your LMS", confirm: true, config, csrfToken: res.locals.csrfToken, params,
      scopes: String(regs.toolConfiguration(config).scope).split(" ").filter(Boolean),
    });
  });

  router.post("/lti/register", requireUser, csrfProtection, async (req, res) => {
    const regs = enabled();
    const user = admin(req, res);
    const params = parseForm(RegisterParams, req.body);
    const reg = await regs.register(params.openid_configuration, params.registration_token || undefined, user.id);
    res.render("lti-register", { title: "Registered with your LMS", done: true, reg });
  });

  return router;
}
