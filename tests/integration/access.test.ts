import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { $, signIn, startTestApp, type TestApp } from "../helpers/app.js";

let t: TestApp;
let ids: Record<string, string>;
beforeAll(async () => {
  t = await startTestApp();
  const users = await t.db.user.findMany();
  ids = Object.fromEntries(users.map((u) => [u.email.split("@")[0]!, u.id]));
  const other = await t.db.course.create({ data: { slug: "other", title: "Another Course" } });
  await t.db.membership.create({ data: { courseId: other.id, userId: ids.ben!, role: "STUDENT" } });
});
afterAll(() => t.close());

async function as(who: "alice" | "instructor" | "grader") {
  const agent = t.agent();
  const password = who === "instructor" ? DEMO_PASSWORDS.instructor : who === "grader" ? DEMO_PASSWORDS.grader : DEMO_PASSWORDS.student;
  const res = await signIn(agent, `${who}@example.edu`, password);
  expect(res.status).toBe(303);
  return agent;
}

test("anonymous visitors are sent to sign in, and come back after", async () => {
  const agent = t.agent();
  const res = await agent.get("/courses/cnn/people");
  expect(res.status).toBe(303);
  expect(res.headers.location).toBe("/login");
  const after = await signIn(agent, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  expect(after.headers.location).toBe("/courses/cnn/people");
});

test("a student sees the course, their team, and their own page", async () => {
  const alice = await as("alice");
  const course = await alice.get("/courses/cnn");
  expect(course.status).toBe(200);
  const page = $(course.text);
  expect(page(".team-card h2").text()).toBe("Your team");
  expect(page(".team-card").text()).toContain("Stop Signs");
  expect(page(".team-card li").map((_i, el) => page(el).text()).get()).toEqual(["Alice Nguyen (you)", "Ben Okafor", "Chloé Martin"]);
  expect(page('a[href="/courses/cnn/people"]').length).toBe(0);
  const own = await alice.get(`/courses/cnn/students/${ids.alice}`);
  expect(own.status).toBe(200);
  expect($(own.text)("h1").text()).toBe("My week"); // her own page is her week (student-week.test.ts)
});

test("a student can never open another student's page or a staff page (403)", async () => {
  const alice = await as("alice");
  for (const url of [`/courses/cnn/students/${ids.ben}`, `/courses/cnn/students/${ids.instructor}`, "/courses/cnn/people"]) {
    const res = await alice.get(url);
    expect(res.status).toBe(403);
    expect($(res.text)("h1").text()).toBe("Not allowed");
    expect(res.text).not.toContain("Ben Okafor");
  }
});

test("a course the user is not in is 403, a course that does not exist is 404", async () => {
  const alice = await as("alice");
  expect((await alice.get("/courses/other")).status).toBe(403);
  const missing = await alice.get("/courses/no-such-course");
  expect(missing.status).toBe(404);
  expect($(missing.text)(".error-message").text()).toContain("There is no course at this address");
});

test("instructors and graders see the roster with roles and teams, and any student's page", async () => {
  for (const who of ["instructor", "grader"] as const) {
    const agent = await as(who);
    const people = await agent.get("/courses/cnn/people");
    expect(people.status).toBe(200);
    const page = $(people.text);
    // An instructor's role cell is a form (read the selected role), except on their own row,
    // which states the role with a note that only another instructor can change it.
    const cell = (td: never) =>
      (page(td).find("select").length ? page(td).find("option[selected]").text() : page(td).text().replace("(yours: another instructor can change it)", "")).trim();
    const rows = page("tbody tr").map((_i, tr) => page(tr).find("td").map((_j, td) => cell(td as never)).get().slice(0, 4).join("|")).get();
    expect(rows).toContain("Alice Nguyen|alice@example.edu|Student|Stop Signs");
    expect(rows).toContain("Felix Romero|felix@example.edu|Student|—");
    expect(rows).toContain("Irene Instructor|instructor@example.edu|Instructor|—");
    const ownRow = page("tbody tr").filter((_i, tr) => page(tr).text().includes("instructor@example.edu"));
    expect(ownRow.find("select").length).toBe(0);
    expect(ownRow.text().includes("yours: another instructor can change it")).toBe(who === "instructor");
    expect($(people.text)(".muted").first().text()).toBe("6 students · 2 staff · 2 teams");
    const ben = await agent.get(`/courses/cnn/students/${ids.ben}`);
    expect(ben.status).toBe(200);
    expect($(ben.text)("dd").first().text()).toBe("ben@example.edu");
  }
});

test("a staff member's id on a student URL is not a student page", async () => {
  const instructor = await as("instructor");
  expect((await instructor.get(`/courses/cnn/students/${ids.grader}`)).status).toBe(404);
  expect((await instructor.get("/courses/cnn/students/not-a-uuid")).status).toBe(404);
});

test("no route outside the course's pages is under /courses/ (they are mounted first: such a route would never be reached)", () => {
  type Layer = { slash?: boolean; route?: { path: string }; handle: { stack?: Layer[] } };
  const stack = (t.app as unknown as { router: { stack: Layer[] } }).router.stack;
  // Routes of the routers mounted at the root (sign-in, LTI, admin, home) and of the app itself.
  const paths = stack.flatMap((l) => (l.route ? [l.route.path] : l.slash && l.handle.stack ? l.handle.stack.flatMap((s) => (s.route ? [s.route.path] : [])) : []));
  expect(paths).toEqual(expect.arrayContaining(["/login", "/lti/launch", "/setup", "/"])); // the walk finds them
  expect(paths.filter((p) => p.startsWith("/courses"))).toEqual([]);
});

test("pages carry no ETag (nothing hashes a personal page's body); static files and files sent from disk keep theirs", async () => {
  const alice = await as("alice");
  const page = await alice.get("/courses/cnn/modules/cnn");
  expect(page.status).toBe(200);
  expect(page.headers.etag).toBeUndefined();
  const css = await alice.get("/assets/css/app.css");
  expect(css.status).toBe(200);
  expect(css.headers.etag).toBeTruthy();
  // res.sendFile and res.download (submission images and downloads) send an ETag while the app setting is enabled.
  expect(t.app.enabled("etag")).toBe(true);
});
