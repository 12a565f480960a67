// npm run content:check [DIR]: validates every reading (and module.yaml) under DIR
// (default content/), prints each problem as file:line: severity: message, and
// exits 1 if any is an error. Course teams can run it in their own CI.
import path from "node:path";
import { formatIssues, loadContent } from "../src/readings/content.js";

const dir = process.argv[2] ?? "content";
const { modules, issues } = loadContent(path.resolve(dir));
const readings = modules.reduce((n, m) => n + m.readings.length, 0);
if (issues.length) process.stdout.write(`${formatIssues(issues)}\n`);
const errors = issues.filter((i) => i.severity === "error").length;
process.stdout.write(`${modules.length} module(s), ${readings} reading(s): ${errors} error(s), ${issues.length - errors} warning(s)\n`);
process.exit(errors ? 1 : 0);
