import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Express } from "express";
import Handlebars from "handlebars";
import { countOf } from "./text.js";

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
 * Handlebars views, compiled once: every file under views/ (pages, `layouts/`, `partials/`) is
 * read and compiled the first time a page is rendered, and kept; with `watch` (development) they are
 * forgotten when a file under views/ changes. A page renders its view, then the layout (`main`)
 * with the view's HTML as `body`, as express-handlebars did — without the promises, path lookups
 * and object copies it made on every render, which cost a page more than rendering its templates.
 */
export function setupViews(app: Express, { watch = false }: { watch?: boolean } = {}) {
  let templates: Templates | null = null;
  app.engine("hbs", (file, options, done) => {
    try {
      templates ??= compileViews(VIEWS_DIR);
      const view = templates.pages.get(path.resolve(file));
      if (!view) throw new Error(`No view compiled at ${file}`);
      const context = options as Record<string, unknown>;
      const body = view(context);
      done(null, templates.layout({ ...context, body }));
    } catch (err) {
      done(err as Error);
    }
  });
  // Express looks a view's file up on disk at every render unless told to keep what it found
  // (which it does by itself only when process.env.NODE_ENV is "production").
  app.enable("view cache");
  if (watch) fs.watch(VIEWS_DIR, { recursive: true }, () => (templates = null)).unref();
  app.set("view engine", "hbs");
  app.set("views", VIEWS_DIR);
}

/**
 * How views are compiled: only these helpers (and Handlebars' own: if, each, unless, with, lookup)
 * exist, so `{{title}}` compiles to a property read rather than first looking for a helper named
 * "title" on every render (a tenth of a page's CPU went to rendering). A view naming another helper
 * fails to compile (a test compiles every view).
 */
export const VIEW_HELPERS = ["eq", "date", "plural"] as const;
export const COMPILE_OPTIONS = {
  knownHelpers: Object.fromEntries(VIEW_HELPERS.map((h) => [h, true])),
  knownHelpersOnly: true,
  // A partial on a line of its own is not re-indented to that line's indentation: Handlebars would split
  // its output into lines and join them again on every render (a sixth of the module page's rendering),
  // and would indent the lines of a <textarea> or <pre> inside it, changing what they hold.
  preventIndent: true,
} satisfies Parameters<typeof Handlebars.compile>[1];

/** The helpers views may name (VIEW_HELPERS). */
export const viewHelpers = {
  eq: (a: unknown, b: unknown) => a === b,
  /** A number with its noun, singular for exactly one: `{{plural n "attempt"}}` is "1 attempt", "3 attempts", "0.5 points". */
  plural: (n: unknown, noun: unknown) => countOf(typeof n === "number" ? n : String(n), typeof noun === "string" ? noun : ""),
  /** A date in the course's time zone, named so students elsewhere can convert it: "Nov 27, 2026, 9:00 AM MST". */
  date: (d: Date | string | null | undefined, tz?: unknown) => (d ? dateFormat(typeof tz === "string" ? tz : "UTC").format(new Date(d)) : "never"),
} satisfies Record<(typeof VIEW_HELPERS)[number], Handlebars.HelperDelegate>;

interface Templates {
  pages: Map<string, Handlebars.TemplateDelegate>;
  layout: Handlebars.TemplateDelegate;
}

/** Compiles every view under `dir` with the helpers and partials on a Handlebars of their own. */
function compileViews(dir: string): Templates {
  const hb = Handlebars.create();
  hb.registerHelper(viewHelpers);
  const read = (f: string) => fs.readFileSync(f, "utf8");
  const hbsIn = (d: string) => fs.readdirSync(d).filter((f) => f.endsWith(".hbs"));
  for (const f of hbsIn(path.join(dir, "partials"))) hb.registerPartial(f.slice(0, -4), hb.compile(read(path.join(dir, "partials", f)), COMPILE_OPTIONS));
  const pages = new Map(hbsIn(dir).map((f) => [path.join(dir, f), hb.compile(read(path.join(dir, f)), COMPILE_OPTIONS)]));
  return { pages, layout: hb.compile(read(path.join(dir, "layouts", "main.hbs")), COMPILE_OPTIONS) };
}
