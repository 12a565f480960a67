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
