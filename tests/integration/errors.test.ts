import express from "express";
import { pinoHttp } from "pino-http";
import request from "supertest";
import { NotFound } from "../../src/platform/errors.js";
import { errorHandler } from "../../src/platform/errors.middleware.js";
import { createLogger } from "../../src/platform/logger.js";
import { setupViews } from "../../src/platform/views.js";
import { $, csrfFrom, startTestApp, type TestApp } from "../helpers/app.js";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

test("an unknown page is a 404 page for people and JSON for API callers", async () => {
  const html = await t.agent().get("/no/such/page");
  expect(html.status).toBe(404);
  expect(html.headers["content-type"]).toMatch(/text\/html/);
  expect($(html.text)("h1").text()).toBe("Not found");
  const json = await t.agent().get("/api/nothing");
  expect(json.status).toBe(404);
  expect(json.body).toEqual({ error: { code: "not_found", message: expect.stringContaining("There is nothing at this address") } });
});

test("a path with a NUL character (%00) anywhere is a 404, signed in or not: no name can hold one, and the lookup would fail", async () => {
  const { signedIn } = await import("../helpers/app.js");
  const alice = await signedIn(t, "alice@example.edu");
  for (const path of ["/courses/%00", "/courses/%00/modules/cnn", "/courses/cnn/modules/%00", "/courses/cnn/modules/cnn/readings/%00", "/courses/cnn/quizzes/a%00b"]) {
    for (const agent of [alice, t.agent()]) expect([path, (await agent.get(path)).status]).toEqual([path, 404]);
  }
});

test("a NUL character in a query or a form field is a 400 that says so, before any lookup (sign-in, search, LTI login)", async () => {
  const { signedIn, csrfFrom: csrf } = await import("../helpers/app.js");
  const anon = t.agent();
  const login = await anon.get("/login");
  const signIn = await anon.post("/login").type("form").send({ _csrf: csrf(login.text), email: "alice\u0000@example.edu", password: "x" });
  expect(signIn.status).toBe(400);
  expect($(signIn.text)("main").text()).toContain("(NUL)");
  const json = await anon.post("/login").set("accept", "application/json").send({ _csrf: csrf(login.text), email: { a: ["b\u0000"] } });
  expect(json.status).toBe(400);
  const prof = await signedIn(t, "instructor@example.edu", (await import("../../src/demo/demo.seed.js")).DEMO_PASSWORDS.instructor);
  expect((await prof.get("/courses/cnn/dashboard?q=%00")).status).toBe(400);
  expect((await anon.get("/lti/login?iss=%00&login_hint=x")).status).toBe(400);
  // What has none is untouched.
  expect((await prof.get("/courses/cnn/dashboard?q=ali")).status).toBe(200);
});

test("an oversized body is refused with 413 and a plain message", async () => {
  const agent = t.agent();
  const token = csrfFrom((await agent.get("/login")).text);
  const res = await agent.post("/login").type("form").send({ _csrf: token, email: "a@b.c", password: "x".repeat(200_000) });
  expect(res.status).toBe(413);
  expect($(res.text)(".error-message").text()).toBe("What you sent is too large. Send less at a time, or a smaller file.");
});

test("malformed JSON gets a JSON 400 that says so", async () => {
  const res = await t.agent().post("/login").set("Content-Type", "application/json").set("Accept", "application/json").send('{"email": "x",');
  expect(res.status).toBe(400);
  expect(res.body.error).toEqual({ code: "entity.parse.failed", message: "The request body is not valid JSON." });
});

test("security headers are set, with a CSP that allows no inline script", async () => {
  const res = await t.agent().get("/login");
  const csp = res.headers["content-security-policy"];
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain("unsafe-inline");
  expect(csp).toContain("frame-ancestors 'self'");
  expect(res.headers["x-content-type-options"]).toBe("nosniff");
  expect(res.headers["x-powered-by"]).toBeUndefined();
  expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
});

test("what the app makes for a request is stored by no cache (a shared computer's Back button after sign-out); static files keep their max-age", async () => {
  const { signedIn } = await import("../helpers/app.js");
  const alice = await signedIn(t, "alice@example.edu");
  const made: [string, Awaited<ReturnType<typeof alice.get>>][] = [];
  for (const path of ["/courses/cnn/modules/cnn", "/courses/cnn/modules/cnn/readings/overview", "/courses/cnn/quizzes/cnn-friday", "/courses/cnn/people", "/"]) made.push([path, await alice.get(path)]);
  made.push(["/login", await t.agent().get("/login")], ["/no/such/page", await t.agent().get("/no/such/page")], ["/api/nothing (JSON)", await t.agent().get("/api/nothing")]);
  for (const [path, res] of made) expect([path, res.status < 500, res.headers["cache-control"]]).toEqual([path, true, "no-store"]);
  const css = await t.agent().get("/assets/css/app.css");
  expect(css.status).toBe(200);
  expect(css.headers["cache-control"]).toMatch(/^public, max-age=\d+$/);
  const figure = await t.agent().get("/content/cnn/img/convolution.svg");
  expect(figure.headers["cache-control"]).toBe("public, max-age=3600");
  // An error from before the app's own middleware (a course-content address) is not stored either.
  for (const path of ["/content/cnn/img/no-such.png", "/content/cnn%00/a.png"]) {
    const res = await t.agent().get(path);
    expect([path, res.status, res.headers["cache-control"]]).toEqual([path, expect.any(Number), "no-store"]);
  }
});

describe("the error middleware on its own", () => {
  const app = express();
  setupViews(app);
  app.use(pinoHttp({ logger: createLogger("silent") }));
  app.get("/boom", () => {
    throw new Error("secret internals: password=hunter2 at /srv/app.ts:42");
  });
  app.get("/typed", () => {
    throw new NotFound("That quiz does not exist.");
  });
  app.use(errorHandler);

  test("an unexpected error shows no internals to people, with a reference to the log", async () => {
    const res = await request(app).get("/boom");
    expect(res.status).toBe(500);
    expect(res.text).not.toContain("hunter2");
    expect(res.text).not.toContain("app.ts");
    const message = $(res.text)(".error-message").text();
    expect(message).toMatch(/Something went wrong on our side.*reference [0-9a-f-]+/);
  });

  test("an unexpected error shows no internals to API callers either", async () => {
    const res = await request(app).get("/boom").set("Accept", "application/json");
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe("internal_error");
    expect(JSON.stringify(res.body)).not.toContain("hunter2");
  });

  test("a typed error shows its own message and status", async () => {
    const res = await request(app).get("/typed").set("Accept", "application/json");
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe("That quiz does not exist.");
  });
});

test.each([
  ["/content/%E0%A4%A.png", 400], // a broken %-escape
  ["/content/cnn%00/a.png", 400], // a NUL byte
  ["/content/cnn/%.png", 400],
  ["/content/..%2f..%2fetc/x.png", 404], // an escape from the content folder: nothing to see there
  ["/content/cnn/img/%2e%2e/x.png", 404],
  ["/content/cnn/img/no-such.png", 404],
])("a malformed or unknown course-content address %s is a %i, never a server error", async (url, status) => {
  const res = await t.agent().get(url);
  expect(res.status).toBe(status);
  expect($(res.text)(".error-message").text()).toBe(status === 400 ? "That file address is malformed. Use the link from the reading." : "There is no such file in the course content.");
});

test("a course-content file is still served", async () => {
  const res = await t.agent().get("/content/cnn/img/convolution.svg");
  expect(res.status).toBe(200);
  expect(res.headers["content-type"]).toMatch(/image\/svg\+xml/);
});
