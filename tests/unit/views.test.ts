// Every view compiles with the options the server compiles them with (src/platform/views.ts):
// only the helpers it registers are known, so a view naming another fails here, not on a page.
import fs from "node:fs";
import path from "node:path";
import Handlebars from "handlebars";
import { COMPILE_OPTIONS, viewHelpers, VIEWS_DIR } from "../../src/platform/views.js";

const views = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? views(path.join(dir, e.name)) : e.name.endsWith(".hbs") ? [path.join(dir, e.name)] : []));

test("every view under views/ (pages, layout, partials) compiles with the server's options", () => {
  const files = views(VIEWS_DIR);
  expect(files.map((f) => path.relative(VIEWS_DIR, f))).toEqual(expect.arrayContaining(["module.hbs", path.join("layouts", "main.hbs"), path.join("partials", "checklist.hbs")]));
  for (const f of files) expect(() => Handlebars.precompile(fs.readFileSync(f, "utf8"), COMPILE_OPTIONS)).not.toThrow();
});

test("a view naming a helper the server does not register fails to compile", () => {
  expect(() => Handlebars.precompile("<p>{{shout title}}</p>", COMPILE_OPTIONS)).toThrow(/unknown helper shout/);
  expect(() => Handlebars.precompile("<p>{{#if (eq a b)}}{{date when tz}}{{/if}} {{title}}</p>", COMPILE_OPTIONS)).not.toThrow();
});

test("values, if and each render as before (escaped)", () => {
  const render = Handlebars.create().compile("{{title}}|{{#if ok}}yes{{/if}}|{{#each xs}}{{this}},{{/each}}", COMPILE_OPTIONS);
  expect(render({ title: "<b>", ok: true, xs: [1, 2] })).toBe("&lt;b&gt;|yes|1,2,");
});

test("a partial on a line of its own keeps its text as written: a textarea's lines are not indented", () => {
  const hb = Handlebars.create();
  hb.registerPartial("answer", hb.compile("<textarea name=\"a\">\nfirst line\nsecond line</textarea>\n", COMPILE_OPTIONS));
  const page = hb.compile("<form>\n    {{> answer}}\n</form>", COMPILE_OPTIONS)({});
  expect(page).toContain("<textarea name=\"a\">\nfirst line\nsecond line</textarea>");
});

test("plural names one of a thing in the singular and any other number in the plural", () => {
  const hb = Handlebars.create();
  hb.registerHelper(viewHelpers);
  const render = hb.compile('{{plural a "attempt"}}; {{plural b "attempt"}}; {{plural c "point"}}; {{plural d "point"}}; {{plural e "point"}}', COMPILE_OPTIONS);
  expect(render({ a: 1, b: 0, c: "1", d: "0.5", e: 12 })).toBe("1 attempt; 0 attempts; 1 point; 0.5 points; 12 points");
});

test("no view reads a value under a helper's name: {{date}} or {{plural}} alone would call the helper, not read the property", () => {
  const misread = views(VIEWS_DIR).flatMap((f) => {
    const text = fs.readFileSync(f, "utf8");
    return Object.keys(viewHelpers).filter((h) => new RegExp(`\\{\\{\\s*${h}\\s*\\}\\}`).test(text)).map((h) => `${path.relative(VIEWS_DIR, f)}: {{${h}}}`);
  });
  expect(misread).toEqual([]);
  // The check itself: a view doing so is found.
  expect(new RegExp(`\\{\\{\\s*plural\\s*\\}\\}`).test("<td>{{plural}}</td>")).toBe(true);
});

test("the course, people, content-status and roster-import pages count in the singular for one (a module of one reading, a team of one, one problem)", () => {
  const hb = Handlebars.create();
  hb.registerHelper(viewHelpers);
  hb.registerPartial("course-nav", "");
  const read = (view: string) => hb.compile(fs.readFileSync(path.join(VIEWS_DIR, view), "utf8"), COMPILE_OPTIONS);
  const text = (html: string) => html.replace(/<[^>]+>/g, "").replace(/\s+/g, " ");
  const course = text(read("course.hbs")({ course: { title: "CNN" }, modules: [{ title: "Week 1", href: "/m", readings: 1, minutes: "5 min" }, { title: "Week 2", href: "/n", readings: 2, minutes: "9 min" }] }));
  expect(course).toContain("Week 1 · 1 reading · 5 min");
  expect(course).toContain("Week 2 · 2 readings · 9 min");
  const people = text(read("people.hbs")({ course: { slug: "cnn" }, counts: { students: 1, staff: 1 }, teams: [{ name: "Solo", size: 1 }] }));
  expect(people).toContain("1 student · 1 staff · 1 team");
  expect(people).toContain("Solo (1 member)");
  const status = text(read("content-status.hbs")({ course: { slug: "cnn" }, errors: [{ path: "a.md", line: 1, message: "x" }], warnings: [{ path: "b.md", line: 2, message: "y" }, { path: "c.md", line: 3, message: "z" }], modules: [] }));
  expect(status).toContain("1 file problem to fix");
  expect(status).toContain("2 warnings");
  const imported = text(read("people-import.hbs")({ course: { slug: "cnn" }, result: { created: 1, updated: 2 } }));
  expect(imported).toContain("1 account created, 2 updated");
});
