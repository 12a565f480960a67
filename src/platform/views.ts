import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Express } from "express";
import { engine } from "express-handlebars";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const VIEWS_DIR = path.join(ROOT, "views");

export function setupViews(app: Express) {
  app.engine(
    "hbs",
    engine({
      extname: ".hbs",
      defaultLayout: "main",
      layoutsDir: path.join(VIEWS_DIR, "layouts"),
      partialsDir: path.join(VIEWS_DIR, "partials"),
      helpers: {
        eq: (a: unknown, b: unknown) => a === b,
        /** A date in the course's time zone, named so students elsewhere can convert it: "Nov 27, 2026, 9:00 AM MST". */
        date: (d: Date | string | null | undefined, tz?: unknown) => {
          if (!d) return "never";
          const zone = typeof tz === "string" ? tz : "UTC";
          return new Intl.DateTimeFormat("en-US", { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZone: zone, timeZoneName: "short" }).format(new Date(d));
        },
      },
    }),
  );
  app.set("view engine", "hbs");
  app.set("views", VIEWS_DIR);
}
