// npm run render -- FILE.md: prints a reading as the server renders it (HTML on
// stdout; problems on stderr; exit status 1 when the file has errors).
import fs from "node:fs";
import path from "node:path";
import { parseModuleSettings, readingBase } from "../src/content/content.files.js";
import { renderReading } from "../src/platform/markdown.js";

const file = process.argv[2];
if (!file || !fs.existsSync(file)) {
  process.stderr.write(`Usage: npm run render -- path/to/reading.md${file ? `\nNo such file: ${file}` : ""}\n`);
  process.exit(2);
}
const dir = path.dirname(path.resolve(file));
const moduleSlug = path.basename(dir);
const settingsFile = path.join(dir, "module.yaml");
const settings = fs.existsSync(settingsFile) ? parseModuleSettings(fs.readFileSync(settingsFile, "utf8"), settingsFile).settings : undefined;
const known = new Set(fs.readdirSync(dir).filter((f) => f.endsWith(".md")).map((f) => f.slice(0, -3)));
const r = renderReading(fs.readFileSync(file, "utf8"), {
  urlRoot: settings?.urlRoot ?? `/content/${moduleSlug}`,
  readingBase: readingBase(settings?.course ?? "COURSE", moduleSlug),
  knownReadings: known,
});
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
process.stdout.write(`<article class="reading">\n<h1>${esc(r.title)}</h1>\n${r.tocHtml}\n${r.html}</article>\n`);
for (const i of r.issues) process.stderr.write(`${file}${i.line ? `:${i.line}` : ""}: ${i.severity}: ${i.message}\n`);
process.exit(r.issues.some((i) => i.severity === "error") ? 1 : 0);
