// Review requests: a student asks the staff to look again at a graded quiz attempt or
// a team submission; staff answer from the item's page; the grading view lists them.
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { $, csrfFrom, startTestApp, type TestApp, signedIn } from "../helpers/app.js";
import { copyContent } from "../helpers/content.js";
import { tempDir } from "../helpers/grading.js";

const holdout = tempDir();
const content = copyContent();
content.write("cnn/case-study.yaml", `title: Test case study\ndeadline: 2026-12-04T23:59\ndata: { holdoutDir: ${JSON.stringify(holdout.dir)} }\n`);
let t: TestApp;
const now = new Date("2026-11-25T19:00:00Z"); // the demo quiz is open

beforeAll(async () => {
  t = await startTestApp({}, { contentDir: content.dir, clock: () => now });
});
afterAll(async () => {
  await t.close();
  holdout.remove();
  content.remove();
});

const as = (email: string, password?: string) => signedIn(t, email, password);
type Agent = Awaited<ReturnType<typeof as>>;

async function submittedAttempt(agent: Agent): Promise<string> {
  const quiz = await agent.get("/courses/cnn/quizzes/cnn-friday");
  const started = await agent.post("/courses/cnn/quizzes/cnn-friday/attempts").type("form").send({ _csrf: csrfFrom(quiz.text) });
  expect(started.status).toBe(303);
  const url = started.headers.location as string;
  const page = await agent.get(url);
  expect((await agent.post(url).type("form").send({ _csrf: csrfFrom(page.text), action: "submit" })).status).toBe(303);
  return url;
}

const ask = async (agent: Agent, url: string, message: string) => {
  const page = await agent.get(url);
  return agent.post(`${url}/review-request`).type("form").send({ _csrf: csrfFrom(page.text), message });
};

test("a quiz attempt: the student asks once, another student cannot, staff answer on the attempt's page, the student reads the answer", async () => {
  const alice = await as("alice@example.edu");
  const url = await submittedAttempt(alice);
  const before = $((await alice.get(url)).text);
  expect(before("#review-h").length).toBe(1);
  expect(before("textarea[name=message]").length).toBe(1);

  const short = await ask(alice, url, "wrong");
  expect(short.status).toBe(400);
  // The attempt's page again: the text as typed, the message beside the field, nothing sent.
  const refused = $(short.text);
  expect(refused("h1").text()).toContain("attempt");
  expect(refused("textarea[name=message]").val()).toBe("wrong");
  expect(refused("textarea[name=message]").attr("aria-invalid")).toBe("true");
  expect(refused("#review-message-error").text()).toBe("Say in a sentence or two what you would like the staff to look at (at least 10 characters).");
  expect(refused("textarea[name=message]").attr("aria-describedby")).toBe("review-message-error");
  expect(await t.db.reviewRequest.count()).toBe(0);

  // Two tabs send the same request at once: one request.
  const page = await alice.get(url);
  const csrf = csrfFrom(page.text);
  const twice = await Promise.all([0, 1].map(() => alice.post(`${url}/review-request`).type("form").send({ _csrf: csrf, message: "Question 3 accepted 5 but I typed 5.0, which is the same number." })));
  expect(twice.map((r) => r.status)).toEqual([303, 303]);
  expect(await t.db.reviewRequest.count()).toBe(1);
  const waiting = $((await alice.get(url)).text);
  expect(waiting(".review-request").text()).toContain("Question 3 accepted 5");
  expect(waiting(".review-request").text()).toContain("Waiting for an answer.");
  expect(waiting("textarea[name=message]").length).toBe(0); // one open request at a time

  const ben = await as("ben@example.edu");
  expect((await ask(ben, url, "Let me ask about Alice's attempt.")).status).toBe(403);
  expect(await t.db.reviewRequest.count()).toBe(1);

  // The grader sees it in the grading view and answers from the attempt page.
  const grader = await as("grader@example.edu", DEMO_PASSWORDS.grader);
  const grading = $((await grader.get("/courses/cnn/grading")).text);
  expect(grading("#requests-h").text()).toContain("1 open");
  const item = grading("#requests-h").parent().find("li").first();
  expect(item.text()).toContain("Alice Nguyen");
  expect(item.find("a").attr("href")).toBe(`${url}#review-h`);
  const staffPage = $((await grader.get(url)).text);
  const form = staffPage(".review-request form");
  expect(form.length).toBe(1);
  // An answer too short to send: the answer form again, with the text as typed and the message beside it.
  const tooShort = await grader.post(form.attr("action")!).type("form").send({ _csrf: csrfFrom(staffPage.html()), back: form.find("input[name=back]").val(), response: "ok" });
  expect(tooShort.status).toBe(400);
  const again = $(tooShort.text);
  expect(again("textarea[name=response]").val()).toBe("ok");
  expect(again("#answer-text-error").text()).toBe("Write an answer for the student (it is shown to them and kept).");
  expect(again("input[name=back]").val()).toBe(url);
  expect(again(".review-request").text()).toContain("Question 3 accepted 5");
  expect((await t.db.reviewRequest.findFirstOrThrow({})).resolvedAt).toBeNull();
  const answer = await grader.post(form.attr("action")!).type("form").send({ _csrf: csrfFrom(staffPage.html()), back: form.find("input[name=back]").val(), response: "5.0 is within the tolerance; the grade is right as it stands." });
  expect(answer.status).toBe(303);
  expect(answer.headers.location).toBe(url);
  // A second answer (another grader at the same time) keeps the first.
  await grader.post(form.attr("action")!).type("form").send({ _csrf: csrfFrom(staffPage.html()), response: "A different answer." });
  const done = await t.db.reviewRequest.findFirstOrThrow({});
  expect(done.response).toBe("5.0 is within the tolerance; the grade is right as it stands.");

  const after = $((await alice.get(url)).text);
  expect(after(".review-request").text()).toContain("Answered by Gus Grader");
  expect(after(".review-request").text()).toContain("5.0 is within the tolerance");
  expect(after("textarea[name=message]").length).toBe(1); // may ask again
  // Students cannot answer.
  expect((await alice.post(form.attr("action")!).type("form").send({ _csrf: csrfFrom(after.html()), response: "I answer myself." })).status).toBe(403);
});

test("a submission: its team asks once it has a result, not while scoring; another team cannot; answers never redirect off the site", async () => {
  const cs = await t.db.caseStudy.findFirstOrThrow({});
  const team = await t.db.team.findFirstOrThrow({ where: { name: "Stop Signs" } });
  const alice = await t.db.user.findFirstOrThrow({ where: { email: "alice@example.edu" } });
  const make = (number: number, status: "SCORED" | "RUNNING") => t.db.submission.create({ data: { caseStudyId: cs.id, teamId: team.id, userId: alice.id, number, filename: "m.keras", storedPath: "/nowhere", bytes: 1, status } });
  const scored = await make(1, "SCORED");
  const running = await make(2, "RUNNING");
  const url = (id: string) => `/courses/cnn/case-studies/cnn/submissions/${id}`;

  const ben = await as("ben@example.edu"); // Alice's teammate
  expect($((await ben.get(url(running.id))).text)("textarea[name=message]").length).toBe(0);
  const early = await ben.post(`${url(running.id)}/review-request`).type("form").send({ _csrf: csrfFrom((await ben.get(url(scored.id))).text), message: "Why is this taking so long?" });
  expect(early.status).toBe(409);
  // A refused request on a submission's page: the page again with the text kept and the message beside it.
  const blank = await ask(ben, url(scored.id), "  too short ");
  expect(blank.status).toBe(400);
  expect($(blank.text)("textarea[name=message]").val()).toBe("  too short ");
  expect($(blank.text)("#review-message-error").text()).toContain("at least 10 characters");
  expect((await ask(ben, url(scored.id), "The private score looks too low for this model.")).status).toBe(303);
  const dev = await as("dev@example.edu"); // another team
  expect((await dev.post(`${url(scored.id)}/review-request`).type("form").send({ _csrf: csrfFrom((await dev.get("/courses/cnn")).text), message: "Peeking at another team." })).status).toBe(403);

  const request = await t.db.reviewRequest.findFirstOrThrow({ where: { submissionId: scored.id } });
  expect(request.askedById).not.toBe(alice.id); // Ben asked
  const instructor = await as("instructor@example.edu", DEMO_PASSWORDS.instructor);
  const page = $((await instructor.get(url(scored.id))).text);
  expect(page(".review-request").text()).toContain("Set points (in the staff tools above)");
  const res = await instructor.post(`/courses/cnn/review-requests/${request.id}/answer`).type("form").send({ _csrf: csrfFrom(page.html()), back: "https://evil.example/", response: "Checked: the score stands." });
  expect(res.headers.location).toBe("/courses/cnn/grading");
  expect((await instructor.post(`/courses/cnn/review-requests/${request.id}/answer`).type("form").send({ _csrf: csrfFrom(page.html()), back: "//evil.example/x", response: "Again." })).headers.location).toBe("/courses/cnn/grading");
  const grading = $((await instructor.get("/courses/cnn/grading")).text);
  expect(grading("#requests-h").parent().find("details").text()).toContain("Checked: the score stands.");
});
