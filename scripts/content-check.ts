// npm run content:check [CONTENT_DIR] [QUIZ_DIR]: validates every reading (and
// module.yaml) and every quiz file, prints each problem as file:line: severity:
// message, and exits 1 if any is an error. Course teams can run it in their own CI.
import path from "node:path";
import { formatIssues, loadContent } from "../src/content/content.files.js";
import { loadQuizzes } from "../src/quiz/quiz.files.js";
import { countOf } from "../src/platform/text.js";

const contentDir = path.resolve(process.argv[2] ?? "content");
const quizDir = path.resolve(process.argv[3] ?? "quizzes");
const content = loadContent(contentDir);
const quizzes = loadQuizzes(quizDir);
const issues = [...content.issues, ...quizzes.issues];
const readings = content.modules.reduce((n, m) => n + m.readings.length, 0);
if (issues.length) process.stdout.write(`${formatIssues(issues)}\n`);
const errors = issues.filter((i) => i.severity === "error").length;
process.stdout.write(`${countOf(content.modules.length, "module")}, ${countOf(readings, "reading")}, ${countOf(quizzes.quizzes.length, "quiz", "quizzes")}: ${countOf(errors, "error")}, ${countOf(issues.length - errors, "warning")}\n`);
process.exit(errors ? 1 : 0);
