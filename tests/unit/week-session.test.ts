// Which requests have the session's statement read a student's own state (week/week.session.ts):
// GETs of the course, week, module and reading pages of a course named by a well-formed slug.
import { weekPagesInSession } from "../../src/week/week.session.js";

const parts = Object.fromEntries(weekPagesInSession().map((p) => [p.name, p]));
/** Each part's args for a request, by part name. */
const argsFor = (method: string, path: string) => Object.fromEntries(Object.entries(parts).map(([name, p]) => [name, p.args!({ method, path })]));

test("the course page reads ticks, standing and team with the answers not read yet", () => {
  expect(argsFor("GET", "/courses/cnn")).toEqual({ checklistTicks: ["cnn"], quizStanding: ["cnn"], teamAndAnswers: ["cnn"] });
  expect(argsFor("GET", "/courses/cnn-2027/")).toEqual({ checklistTicks: ["cnn-2027"], quizStanding: ["cnn-2027"], teamAndAnswers: ["cnn-2027"] });
});

test("the module page reads ticks and standing; the reading and week pages ticks only", () => {
  expect(argsFor("GET", "/courses/cnn/modules/cnn")).toEqual({ checklistTicks: ["cnn"], quizStanding: ["cnn"], teamAndAnswers: null });
  expect(argsFor("GET", "/courses/cnn/modules/cnn/readings/overview")).toEqual({ checklistTicks: ["cnn"], quizStanding: null, teamAndAnswers: null });
  expect(argsFor("GET", "/courses/cnn/week")).toEqual({ checklistTicks: ["cnn"], quizStanding: null, teamAndAnswers: null });
});

test("nothing is read for other methods, other pages (a staff view of a student's week) or a slug that is not one", () => {
  const none = { checklistTicks: null, quizStanding: null, teamAndAnswers: null };
  for (const [method, path] of [
    ["POST", "/courses/cnn"], ["HEAD", "/courses/cnn/modules/cnn"], ["POST", "/courses/cnn/modules/cnn/checklist/x"],
    ["GET", "/courses/cnn/students/0b9f1a52-0000-4000-8000-000000000000"], ["GET", "/courses/cnn/quizzes/cnn-friday"], ["GET", "/courses/cnn/people"],
    ["GET", "/courses/%00"], ["GET", "/courses/%00/modules/cnn"], ["GET", "/courses/CNN"], ["GET", "/courses/a%2Fb/week"], ["GET", "/courses/"], ["GET", "/"],
  ]) expect([method, path, argsFor(method!, path!)]).toEqual([method, path, none]);
});
