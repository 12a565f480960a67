import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Express } from "express";
import { create } from "express-handlebars";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const VIEWS_DIR = path.join(ROOT, "views");

const dateFormats = new Map<string, Intl.DateTimeFormat>();
/** One formatter per time zone (making one costs more than formatting with it). */
function dateFormat(timeZone: string): Intl.DateTimeFormat {
  let f = dateFormats.get(timeZone);
  if (!f) dateFormats.set(timeZone, (f = new Intl.DateTimeFormat("en-US", { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZone, timeZoneName: "short" })));
  return f;
}

/**
 * Handlebars views, compiled once. Express keeps compiled views only when process.env.NODE_ENV
 * is "production", whatever the app's configuration says, and compiling is most of a page's
 * rendering time: so always keep them, and with `watch` (development) forget them when a file
 * under views/ changes.
 */
export function setupViews(app: Express, { watch = false }: { watch?: boolean } = {}) {
  const hbs = create({
    extname: ".hbs",
    defaultLayout: "main",
    layoutsDir: path.join(VIEWS_DIR, "layouts"),
    partialsDir: path.join(VIEWS_DIR, "partials"),
    helpers: {
      eq: (a: unknown, b: unknown) => a === b,
      /** A date in the course's time zone, named so students elsewhere can convert it: "Nov 27, 2026, 9:00 AM MST". */
      date: (d: Date | string | null | undefined, tz?: unknown) => (d ? dateFormat(typeof tz === "string" ? tz : "UTC").format(new Date(d)) : "never"),
    },
  });
  app.engine("hbs", hbs.engine);
  app.enable("view cache");
  if (watch) {
    fs.watch(VIEWS_DIR, { recursive: true }, () => {
      hbs.resetCache();
      hbs.compiled = {};
      hbs.precompiled = {};
    }).unref();
  }
  app.set("view engine", "hbs");
  app.set("views", VIEWS_DIR);
}
