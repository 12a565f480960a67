import express, { type RequestHandler } from "express";
import { NotFound } from "../platform/errors.js";

/** Files a reading may show or link to; sources (.md, module.yaml) and anything else stay private. */
const ASSET = /\.(png|jpe?g|gif|svg|webp|avif|pdf|csv|txt|zip|ipynb|py)$/i;

/** Serves content/<module>/… files, which readings reach through {{URLROOT}}. */
export function contentAssets(contentDir: string): RequestHandler {
  const files = express.static(contentDir, { dotfiles: "deny", index: false, fallthrough: false, maxAge: "1h" });
  return (req, res, next) => {
    if (!ASSET.test(req.path)) throw new NotFound("There is no such file in the course content.");
    files(req, res, (err?: unknown) => next(err && (err as { status?: number }).status === 404 ? new NotFound("There is no such file in the course content.") : err));
  };
}
