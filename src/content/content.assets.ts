import express, { type RequestHandler } from "express";
import { BadRequest, NotFound } from "../platform/errors.js";

/** Files a reading may show or link to; sources (.md, module.yaml) and anything else stay private. */
const ASSET = /\.(png|jpe?g|gif|svg|webp|avif|pdf|csv|txt|zip|ipynb|py)$/i;

/** Serves content/<module>/… files, which readings reach through {{URLROOT}}. */
export function contentAssets(contentDir: string): RequestHandler {
  const files = express.static(contentDir, { dotfiles: "deny", index: false, fallthrough: false, maxAge: "1h" });
  return (req, res, next) => {
    if (!ASSET.test(req.path)) throw new NotFound("There is no such file in the course content.");
    files(req, res, (err?: unknown) => {
      const status = (err as { status?: number } | undefined)?.status;
      // send's 4xx: 400 a malformed address (bad %-escapes, NUL), 403 a path that leaves the folder, 404 nothing there.
      if (status === 400) return next(new BadRequest("That file address is malformed. Use the link from the reading."));
      if (status === 403 || status === 404) return next(new NotFound("There is no such file in the course content."));
      next(err);
    });
  };
}
