// A quiz's exceptions page (instructors): a refused form is shown again as typed, with each
// message beside its field (forms.ts); a saved exception can be removed from its row.
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { $, csrfFrom, signedIn, startTestApp, type TestApp } from "../helpers/app.js";
import { quizFolder } from "../helpers/quiz.js";

const folder = quizFolder({
  policy: `title: Policy quiz
course: cnn
attempts: 1
questions:
  - id: one
    type: truefalse
    text: The sky is green.
    answer: false
`,
});
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({}, { quizDir: folder.dir, clock: () => new Date("2026-11-25T19:00:00Z") });
});
afterAll(async () => {
  await t.close();
  folder.remove();
});

test("a refused exception shows the exceptions page again (400) with the form as typed and each message beside its field; nothing is saved", async () => {
  const instructor = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const aliceId = (await t.db.user.findUniqueOrThrow({ where: { email: "alice@example.edu" } })).id;
  const quizId = (await t.db.quiz.findFirstOrThrow({ where: { slug: "policy" } })).id;
  const form = await instructor.get("/courses/cnn/quizzes/policy/overrides");
  const typed = { userId: aliceId, extraMinutes: "-5", extraAttempts: "2", closes: "next Friday", note: "accommodation letter" };
  const refused = await instructor.post("/courses/cnn/quizzes/policy/overrides").type("form").send({ _csrf: csrfFrom(form.text), ...typed });
  expect(refused.status).toBe(400);
  const page = $(refused.text);
  expect(page("#override-error").text()).toBe("Nothing was saved: correct the fields marked below. What you typed is kept.");
  expect(page("#extraMinutes-error").text()).toBe("Extra time cannot be negative.");
  expect(page("#closes-error").text()).toBe("The later close must be a date and time such as 2026-11-28T09:00.");
  expect(page("#extraAttempts-error")).toHaveLength(0);
  expect(page("input[name=extraMinutes]").attr("aria-describedby")).toBe("extraMinutes-error");
  const add = page('form.card[action$="/overrides"]');
  expect(add.find("select[name=userId] option[selected]").val()).toBe(aliceId);
  expect(add.find("input[name=extraMinutes]").val()).toBe("-5");
  expect(add.find("input[name=extraAttempts]").val()).toBe("2");
  expect(add.find("input[name=closes]").val()).toBe("next Friday");
  expect(add.find("input[name=note]").val()).toBe("accommodation letter");
  expect(await t.db.quizOverride.count({ where: { quizId } })).toBe(0);
  // Not a number, and a note too long: said in words, beside each.
  const words = $((await instructor.post("/courses/cnn/quizzes/policy/overrides").type("form").send({ _csrf: csrfFrom(form.text), userId: aliceId, extraAttempts: "two", note: "n".repeat(501) })).text);
  expect(words("#extraAttempts-error").text()).toBe("Enter the extra attempts as a whole number.");
  expect(words("#note-error").text()).toBe("Keep the note under 500 characters.");
  // No student chosen: said beside the student field.
  const none = $((await instructor.post("/courses/cnn/quizzes/policy/overrides").type("form").send({ _csrf: csrfFrom(form.text), userId: "", extraAttempts: "1" })).text);
  expect(none("#userId-error").text()).toBe("Pick a student.");
  expect(none('form.card[action$="/overrides"] input[name=extraAttempts]').val()).toBe("1");
  // The page fresh: defaults, no messages.
  const fresh = $((await instructor.get("/courses/cnn/quizzes/policy/overrides")).text);
  expect(fresh("#override-error")).toHaveLength(0);
  expect(fresh('form.card[action$="/overrides"] input[name=extraMinutes]').val()).toBe("0");
  expect(fresh('form.card[action$="/overrides"] select[name=userId] option[selected]')).toHaveLength(0);
  // Once saved, the row's Remove button (userId and remove=1 only) takes it away again.
  expect((await instructor.post("/courses/cnn/quizzes/policy/overrides").type("form").send({ _csrf: csrfFrom(form.text), ...typed, extraMinutes: "5", closes: "" })).status).toBe(303);
  expect(await t.db.quizOverride.count({ where: { quizId } })).toBe(1);
  expect((await instructor.post("/courses/cnn/quizzes/policy/overrides").type("form").send({ _csrf: csrfFrom(form.text), userId: aliceId, remove: "1" })).status).toBe(303);
  expect(await t.db.quizOverride.count({ where: { quizId } })).toBe(0);
});
