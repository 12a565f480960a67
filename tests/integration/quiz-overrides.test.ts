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

test("a student's saved exceptions fill the form from their row's Change; a form not filled with them saves nothing and shows them, so no field is wiped", async () => {
  const instructor = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const benId = (await t.db.user.findUniqueOrThrow({ where: { email: "ben@example.edu" } })).id;
  const quizId = (await t.db.quiz.findFirstOrThrow({ where: { slug: "policy" } })).id;
  const url = "/courses/cnn/quizzes/policy/overrides";
  const csrf = csrfFrom((await instructor.get(url)).text);
  // An accommodation: 15 minutes, 2 attempts, a later close (Friday 4 Dec 18:30 in the course's Denver is 01:30 UTC on the 5th), a note.
  const accommodation = { userId: benId, extraMinutes: "15", extraAttempts: "2", closes: "2026-12-04T18:30", note: "letter 2026-07" };
  expect((await instructor.post(url).type("form").send({ _csrf: csrf, ...accommodation })).status).toBe(303);
  const saved = { extraMinutes: 15, extraAttempts: 2, closesAt: new Date("2026-12-05T01:30:00Z"), note: "letter 2026-07" };
  const stored = () => t.db.quizOverride.findUniqueOrThrow({ where: { quizId_userId: { quizId, userId: benId } } });
  expect(await stored()).toMatchObject(saved);

  // Later, the "Add an exception" form (not filled for Ben) with one more attempt: nothing saved, Ben's exceptions shown.
  const blind = await instructor.post(url).type("form").send({ _csrf: csrf, userId: benId, extraMinutes: "0", extraAttempts: "3", closes: "", note: "", editing: "" });
  expect(blind.status).toBe(400);
  expect(await stored()).toMatchObject(saved);
  const shown = $(blind.text);
  expect(shown("#override-error").text()).toBe("Nothing was saved: Ben Okafor already has exceptions.");
  expect(shown("#userId-error").text()).toContain("the form now shows them");
  expect(shown("#override-h").text()).toBe("Change the exceptions for Ben Okafor");
  const form = shown('form.card[action$="/overrides"]');
  expect(form.find("select[name=userId] option[selected]").val()).toBe(benId);
  expect(form.find("input[name=extraMinutes]").val()).toBe("15");
  expect(form.find("input[name=extraAttempts]").val()).toBe("2");
  expect(form.find("input[name=closes]").val()).toBe("2026-12-04T18:30");
  expect(form.find("input[name=note]").val()).toBe("letter 2026-07");
  expect(form.find("input[name=editing]").val()).toBe(benId);

  // The row's Change link opens the same form; sent with one field changed, only that field changes.
  const page = $((await instructor.get(url)).text);
  const change = page("tbody tr").filter((_, tr) => page(tr).text().includes("Ben Okafor")).find("a").filter((_, a) => page(a).text().startsWith("Change"));
  expect(change.attr("href")).toBe(`${url}?student=${benId}#override-h`);
  const doc = $((await instructor.get(change.attr("href")!.replace(/#.*/, ""))).text);
  const filled = doc('form.card[action$="/overrides"]');
  const values = Object.fromEntries(filled.find("input[name], select[name]").map((_, el) => [[doc(el).attr("name")!, String(doc(el).val() ?? "")]]).get());
  expect(values).toMatchObject({ ...accommodation, editing: benId });
  expect((await instructor.post(url).type("form").send({ ...values, _csrf: csrf, extraAttempts: "3" })).status).toBe(303);
  expect(await stored()).toMatchObject({ ...saved, extraAttempts: 3 });

  // A new exception for a student without one still saves from the plain form.
  const chloeId = (await t.db.user.findUniqueOrThrow({ where: { email: "chloe@example.edu" } })).id;
  expect((await instructor.post(url).type("form").send({ _csrf: csrf, userId: chloeId, extraMinutes: "10", extraAttempts: "0", editing: "" })).status).toBe(303);
  expect(await t.db.quizOverride.findUniqueOrThrow({ where: { quizId_userId: { quizId, userId: chloeId } } })).toMatchObject({ extraMinutes: 10 });
});
