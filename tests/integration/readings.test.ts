import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { syncContent } from "../../src/content/content.sync.js";
import { createLogger } from "../../src/platform/logger.js";
import { $, csrfFrom, signIn, startTestApp, type TestApp } from "../helpers/app.js";
import { copyContent } from "../helpers/content.js";

// Wednesday 25 Nov 2026, 12:00 in Denver: Theory is due Friday 9:00, Practical Monday 9:00.
let now = new Date("2026-11-25T19:00:00Z");
const content = copyContent();
let t: TestApp;
const MODULE = "/courses/cnn/modules/cnn";
const resync = () => syncContent({ db: t.db, contentDir: content.dir, logger: createLogger("silent") });

beforeAll(async () => {
  t = await startTestApp({}, { contentDir: content.dir, clock: () => now });
});
afterAll(async () => {
  await t.close();
  content.remove();
});

async function student(email = "alice@example.edu") {
  const agent = t.agent();
  await signIn(agent, email, DEMO_PASSWORDS.student);
  return agent;
}

function progressOf(html: string) {
  const page = $(html);
  return page("[data-progress] .progress-row").map((_i, row) => `${page(row).find(".progress-label").text()}: ${page(row).find("[data-count]").text()}`).get();
}

test("the course page lists the module with its readings and time", async () => {
  const agent = await student();
  const page = $((await agent.get("/courses/cnn")).text);
  expect(page(`a[href="${MODULE}"]`).text()).toBe("Convolutional Neural Networks");
  expect(page(".card-list .muted").first().text()).toContain("3 readings");
});

test("the module page: readings with estimated time, progress per section with due labels, next due", async () => {
  const agent = await student();
  const res = await agent.get(MODULE);
  expect(res.status).toBe(200);
  const page = $(res.text);
  expect(page(".reading-list li a").map((_i, a) => page(a).text()).get()).toEqual([
    "Module 6 — Convolutional Neural Networks", "A first CNN in Keras", "Case study: traffic-sign recognition",
  ]);
  expect(page(".reading-list li").first().text()).toContain("2.5 h–3.5 h");
  expect(page(".progress-count").first().text()).toContain("0 of 3 done · due Friday 9:00 MST");
  expect(page(".progress-count").last().text()).toContain("0 of 3 done · due Monday 9:00 MST");
  expect(page(".next-due a").text()).toBe("What a convolution does");
});

test("a reading page shows the rendered reading, its table of contents and its checklist", async () => {
  const agent = await student();
  const res = await agent.get(`${MODULE}/readings/overview`);
  const page = $(res.text);
  expect(page("h1").text()).toBe("Module 6 — Convolutional Neural Networks");
  expect(page(".reading-body aside.time .admonition-title").text()).toBe("Estimated Reading Time");
  expect(page(".reading-body img").attr("src")).toBe("/content/cnn/img/convolution.svg");
  expect(page(".reading-body iframe").attr("src")).toBe("https://www.youtube-nocookie.com/embed/KuXjwB4LzSA");
  expect(page('.reading-body a:contains("our Keras CNN tutorial")').attr("href")).toBe(`${MODULE}/readings/keras-cnn`);
  expect(page(".toc a").first().attr("href")).toBe("#overview");
  expect(page(".checklist-item").length).toBe(6);
  expect(page('a[rel="next"]').attr("href")).toBe(`${MODULE}/readings/keras-cnn`);
  const img = await agent.get("/content/cnn/img/convolution.svg");
  expect(img.status).toBe(200);
  expect((await agent.get("/content/cnn/overview.md")).status).toBe(404);
  expect((await agent.get("/content/cnn/module.yaml")).status).toBe(404);
});

test("ticking without JavaScript: form POST, redirect back, idempotent, first completion time kept", async () => {
  const agent = await student("ben@example.edu");
  const page = await agent.get(MODULE);
  const form = $(page.text)(".tick-form").first();
  const action = form.attr("action")!;
  const body = { _csrf: csrfFrom(page.text), done: "1", returnTo: MODULE };
  const first = await agent.post(action).type("form").send(body);
  expect(first.status).toBe(303);
  expect(first.headers.location).toBe(`${MODULE}#what-a-convolution-does`);
  const ben = await t.db.user.findUniqueOrThrow({ where: { email: "ben@example.edu" } });
  const tick = await t.db.checklistTick.findFirstOrThrow({ where: { userId: ben.id } });
  expect(tick.completedAt.toISOString()).toBe(now.toISOString());

  now = new Date(now.getTime() + 3600_000);
  await agent.post(action).type("form").send(body); // a double submit
  const ticks = await t.db.checklistTick.findMany({ where: { userId: ben.id } });
  expect(ticks).toHaveLength(1);
  expect(ticks[0]!.completedAt.toISOString()).toBe(tick.completedAt.toISOString());

  const after = await agent.get(MODULE);
  expect(progressOf(after.text)).toEqual(["Theory: 1 of 3", "Practical: 0 of 3"]);
  expect($(after.text)(".checklist-item.is-done").length).toBe(1);

  await agent.post(action).type("form").send({ ...body, done: "0" });
  expect(progressOf((await agent.get(MODULE)).text)).toEqual(["Theory: 0 of 3", "Practical: 0 of 3"]);
});

test("ticking with JavaScript: JSON answer with the new progress", async () => {
  const agent = await student("chloe@example.edu");
  const page = await agent.get(MODULE);
  const forms = $(page.text)(".tick-form");
  const action = $(page.text)(forms.get(3)).attr("action")!;
  const res = await agent.post(action).set("Accept", "application/json").type("form").send({ _csrf: csrfFrom(page.text), done: "1" });
  expect(res.status).toBe(200);
  expect(res.body.done).toBe(true);
  expect(res.body.progress).toEqual([
    { section: "THEORY", done: 0, total: 3, percent: 0 },
    { section: "PRACTICAL", done: 1, total: 3, percent: 33 },
  ]);
});

test("progress is each student's own", async () => {
  const agent = await student("dev@example.edu");
  expect(progressOf((await agent.get(MODULE)).text)).toEqual(["Theory: 0 of 3", "Practical: 0 of 3"]);
});

test("ticks need the CSRF token, a student, and an item of this module", async () => {
  const agent = await student("emma@example.edu");
  const page = await agent.get(MODULE);
  const action = $(page.text)(".tick-form").first().attr("action")!;
  expect((await agent.post(action).type("form").send({ done: "1" })).status).toBe(403);
  const bad = await agent.post(`${MODULE}/checklist/00000000-0000-0000-0000-000000000000`).type("form").send({ _csrf: csrfFrom(page.text), done: "1" });
  expect(bad.status).toBe(404);
  const invalid = await agent.post(action).set("Accept", "application/json").type("form").send({ _csrf: csrfFrom(page.text), done: "maybe" });
  expect(invalid.status).toBe(400);

  const instructor = t.agent();
  await signIn(instructor, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const staffPage = await instructor.get(MODULE);
  expect($(staffPage.text)(".tick-form").length).toBe(0);
  const staff = await instructor.post(action).type("form").send({ _csrf: csrfFrom(staffPage.text), done: "1" });
  expect(staff.status).toBe(403);
});

test("after the due time, unfinished items and sections are marked overdue", async () => {
  const saved = now;
  now = new Date("2026-11-28T12:00:00Z"); // Saturday: Theory overdue, Practical not yet
  const agent = await student("felix@example.edu");
  const page = $((await agent.get(MODULE)).text);
  expect(page('.progress-row[data-section="THEORY"]').hasClass("is-overdue")).toBe(true);
  expect(page('.progress-row[data-section="PRACTICAL"]').hasClass("is-overdue")).toBe(false);
  expect(page('.checklist-item.is-overdue').length).toBe(3);
  expect(page(".progress-count").first().text()).toContain("was due Fri, Nov 27, 9:00 MST");
  now = saved;
});

test("editing unrelated text keeps item ids and ticks; a broken file keeps its last good version and is reported", async () => {
  const agent = await student("alice@example.edu");
  const page = await agent.get(MODULE);
  const action = $(page.text)(".tick-form").first().attr("action")!;
  await agent.post(action).type("form").send({ _csrf: csrfFrom(page.text), done: "1", returnTo: MODULE });

  content.write("cnn/overview.md", content.file("cnn/overview.md").replace("This week you learn", "This week, you will learn"));
  content.write("cnn/case-study.md", "---\ntitle: [broken\n---\n# Oops");
  content.write("cnn/extra.md", "No title here {{NOPE}}");
  const result = await resync();
  expect(result.issues.filter((i) => i.severity === "error").map((i) => `${i.path.split("/").slice(-2).join("/")}:${i.line}`)).toEqual(["cnn/case-study.md:2", "cnn/extra.md:1", "cnn/extra.md:1"]);

  const after = await agent.get(MODULE);
  expect($(after.text)(".tick-form").first().attr("action")).toBe(action);
  expect(progressOf(after.text)[0]).toBe("Theory: 1 of 3");
  const reading = await agent.get(`${MODULE}/readings/overview`);
  expect($(reading.text)(".reading-body").text()).toContain("This week, you will learn");
  const caseStudy = await agent.get(`${MODULE}/readings/case-study`);
  expect(caseStudy.status).toBe(200);
  expect($(caseStudy.text)("h1").text()).toBe("Case study: traffic-sign recognition");
  expect((await agent.get(`${MODULE}/readings/extra`)).status).toBe(404);

  expect((await agent.get("/courses/cnn/content")).status).toBe(403);
  const instructor = t.agent();
  await signIn(instructor, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const status = $((await instructor.get("/courses/cnn/content")).text);
  const rows = status("tr.content-error").map((_i, tr) => status(tr).find("td").map((_j, td) => status(td).text()).get().join(" ")).get();
  expect(rows.some((r) => /cnn\/case-study\.md 2 Front matter is not valid YAML/.test(r))).toBe(true);
  expect(rows.some((r) => /cnn\/extra\.md 1 Unknown placeholder \{\{NOPE\}\}/.test(r))).toBe(true);
  expect(rows.some((r) => /cnn\/extra\.md 1 The reading has no title/.test(r))).toBe(true);
  expect(status("tr.content-warning").text()).toContain("Students still see the last version");
});

test("removing a checklist item archives it without losing anyone's tick; restoring it brings the tick back", async () => {
  const original = content.file("cnn/overview.md");
  const alice = await t.db.user.findUniqueOrThrow({ where: { email: "alice@example.edu" } });
  const ticksBefore = await t.db.checklistTick.count({ where: { userId: alice.id } });
  content.write("cnn/overview.md", original.replace(/#### What a convolution does[\s\S]*?#### Layers of a CNN/, "#### Layers of a CNN"));
  await resync();
  const agent = await student("alice@example.edu");
  expect(progressOf((await agent.get(MODULE)).text)[0]).toBe("Theory: 0 of 2");
  expect(await t.db.checklistTick.count({ where: { userId: alice.id } })).toBe(ticksBefore);
  content.write("cnn/overview.md", original);
  await resync();
  expect(progressOf((await agent.get(MODULE)).text)[0]).toBe("Theory: 1 of 3");
});

test("a bad module.yaml is reported with its line and does not take the site down", async () => {
  const original = content.file("cnn/module.yaml");
  content.write("cnn/module.yaml", original.replace(/^theoryDue: .*$/m, "theoryDue: Friday").replace("position: 6", "position: 6\ncolour: blue"));
  const result = await resync();
  expect(result.issues.map((i) => [i.path.split("/").slice(-2).join("/"), i.line, i.message])).toEqual(
    expect.arrayContaining([
      ["cnn/module.yaml", 11, 'theoryDue: must be a local date and time such as 2026-11-27T09:00 (no time zone; the course\'s zone applies) or steps from the course\'s start such as "friday 09:00": "Friday" needs a time as HH:MM, such as "friday 09:00"'],
      ["cnn/module.yaml", 5, expect.stringContaining('Unknown field "colour"')],
    ]),
  );
  const agent = await student();
  expect((await agent.get(MODULE)).status).toBe(200); // the last good module stays
  content.write("cnn/module.yaml", original);
  await resync();
});

test("ticking the same item many times at once (two tabs, double clicks) saves exactly one tick and fails none", async () => {
  const agent = await student("emma@example.edu");
  const page = await agent.get(MODULE);
  const action = $(page.text)(".tick-form").last().attr("action")!;
  const token = csrfFrom(page.text);
  const results = await Promise.all(
    Array.from({ length: 12 }, () => agent.post(action).set("Accept", "application/json").type("form").send({ _csrf: token, done: "1" })),
  );
  expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
  const emma = await t.db.user.findUniqueOrThrow({ where: { email: "emma@example.edu" } });
  expect(await t.db.checklistTick.count({ where: { userId: emma.id, itemId: action.split("/").pop()! } })).toBe(1);
});
