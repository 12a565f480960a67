// The request log as the app writes it at LOG_LEVEL=info: one line per request with what an
// operator needs (method, URL, status), and never what would let a reader act as the user.
import { Writable } from "node:stream";
import { signIn, startTestApp, type TestApp } from "../helpers/app.js";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";

let t: TestApp;
const lines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      cb();
    },
  });
  t = await startTestApp({ LOG_LEVEL: "info" }, { logTo: sink });
});
afterAll(() => t.close());

test("signing in and using a page logs each request with its status, and no cookie (sent or set) reaches the log", async () => {
  const agent = t.agent();
  const signedIn = await signIn(agent, "alice@example.edu", DEMO_PASSWORDS.student);
  expect(signedIn.status).toBe(303);
  const setCookies = ([] as string[]).concat(signedIn.headers["set-cookie"] ?? []);
  const sid = setCookies.find((c) => c.startsWith("cnn.sid="))!;
  expect(sid).toBeDefined();
  const sidValue = sid.split(";")[0]!.slice("cnn.sid=".length);
  const course = await agent.get("/courses/cnn");
  expect(course.status).toBe(200);

  const requests = lines.map((l) => JSON.parse(l) as { req?: { method: string; url: string }; res?: Record<string, unknown> }).filter((l) => l.req && l.res);
  const summary = requests.map((l) => `${l.req!.method} ${l.req!.url} ${String(l.res!.statusCode)}`);
  expect(summary).toEqual(expect.arrayContaining(["GET /login 200", "POST /login 303", "GET /courses/cnn 200"]));
  const signInLine = requests.find((l) => l.req!.method === "POST" && l.req!.url === "/login")!;
  expect(signInLine.res).toEqual({ statusCode: 303, location: expect.any(String) });

  const text = lines.join("\n");
  expect(decodeURIComponent(sidValue).length).toBeGreaterThan(20);
  expect(text).not.toContain(sidValue);
  expect(text).not.toContain(decodeURIComponent(sidValue));
  expect(text.toLowerCase()).not.toContain("set-cookie");
  expect(text).not.toContain("cnn.sid");
  expect(text).not.toContain("cnn.form");
  expect(text).not.toContain(DEMO_PASSWORDS.student);
});

test("one-time secrets never reach the log: not in a URL's path or query, the parsed query, the route parameters or the Referer", async () => {
  const before = lines.length;
  const agent = t.agent();
  // A password link (its token is in the path) opened from a page whose address held an LTI ticket.
  const link = await agent.get("/password-link/SECRET-LINK-TOKEN-1").set("Referer", "http://localhost/lti/opened?ticket=SECRET-TICKET-2&x=1");
  expect(link.status).toBeGreaterThanOrEqual(400);
  await agent.get("/lti/opened?ticket=SECRET-TICKET-3");
  await agent.get("/courses/cnn?code=SECRET-CODE-4&state=SECRET-STATE-5&tab=1");
  await signIn(agent, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  await agent.get("/courses/cnn/people/removed/SECRET-UNDO-6");

  const written = lines.slice(before);
  const requests = written.map((l) => JSON.parse(l) as { req?: { url: string; query?: Record<string, unknown>; headers?: Record<string, unknown> } }).filter((l) => l.req);
  expect(requests.map((l) => l.req!.url)).toEqual(
    expect.arrayContaining([
      "/password-link/[redacted]",
      "/lti/opened?ticket=%5Bredacted%5D",
      "/courses/cnn?code=%5Bredacted%5D&state=%5Bredacted%5D&tab=1",
      "/courses/cnn/people/removed/[redacted]",
    ]),
  );
  // What is not a secret stays, so the log still says what was asked.
  const course = requests.find((l) => l.req!.url.startsWith("/courses/cnn?"))!;
  expect(course.req!.query).toEqual({ code: "[redacted]", state: "[redacted]", tab: "1" });
  const withReferer = requests.find((l) => l.req!.url.startsWith("/password-link/"))!;
  expect(withReferer.req!.headers!.referer).toBe("http://localhost/lti/opened?ticket=%5Bredacted%5D&x=1");
  const text = written.join("\n");
  for (let n = 1; n <= 6; n++) expect(text).not.toMatch(new RegExp(`SECRET-[A-Z]+-${n}`));
});
