// pageContext hands a route what its loaders put on res.locals, typed as present. A key that
// is not there is a route wired without its loader: a programming error that must fail loudly
// (an Error naming the key, which the error middleware shows as a 500), never an undefined
// that turns into a TypeError further down or, worse, a page drawn for nobody.
import express from "express";
import request from "supertest";
import type { Response } from "express";
import { errorHandler } from "../../src/platform/errors.middleware.js";
import { pageContext } from "../../src/platform/page-context.js";

const resWith = (locals: Record<string, unknown>) => ({ locals }) as unknown as Response;

test("gives back the named locals when the loaders set them, false included", () => {
  const user = { id: "u1", name: "Ada", email: "ada@example.edu", isAdmin: false };
  const { user: u, ownAttempt } = pageContext(resWith({ user, ownAttempt: false }), "user", "ownAttempt");
  expect(u).toBe(user);
  expect(ownAttempt).toBe(false);
});

test("a missing or null local throws an Error that names the key and says a loader is missing", () => {
  expect(() => pageContext(resWith({ user: { id: "u1" } }), "user", "course")).toThrow(new Error("res.locals.course is not set: this route needs its loader before it."));
  expect(() => pageContext(resWith({ quiz: null }), "quiz")).toThrow(/res\.locals\.quiz is not set/);
});

test("a route wired without its loader answers 500 through the error middleware, not a page", async () => {
  const app = express();
  const logged: unknown[] = [];
  app.use((req, _res, next) => {
    // The app's request logger, as the error middleware uses it.
    (req as unknown as { log: unknown }).log = { error: (o: { err: unknown }) => logged.push(o.err), info: () => {} };
    next();
  });
  app.get("/x", (_req, res) => {
    const { course } = pageContext(res, "course");
    res.json({ title: course.title });
  });
  app.use(errorHandler);
  const res = await request(app).get("/x").set("Accept", "application/json");
  expect(res.status).toBe(500);
  expect(res.body.error.code).toBe("internal_error");
  // The log says which loader is missing (not a TypeError from reading a property of undefined).
  expect(logged.map((e) => (e as Error).message)).toEqual(["res.locals.course is not set: this route needs its loader before it."]);
});
