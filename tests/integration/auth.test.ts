import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { $, csrfFrom, signIn, startTestApp, type TestApp } from "../helpers/app.js";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ LOGIN_RATE_LIMIT: "1000" });
});
afterAll(() => t.close());

describe("signing in", () => {
  test("the right password signs in, lands on the course and greets the user", async () => {
    const agent = t.agent();
    const res = await signIn(agent, "Alice@Example.edu ", DEMO_PASSWORDS.student);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe("/");
    const home = await agent.get("/").redirects(1);
    expect(home.status).toBe(200);
    const page = $(home.text);
    expect(page("h1").text()).toBe("Convolutional Neural Networks");
    expect(page(".flash-success").text()).toContain("Signed in as Alice Nguyen");
    expect(page(".who").text()).toBe("Alice Nguyen");
  });

  test("the session cookie is HttpOnly, SameSite=Lax, and its id changes at sign-in", async () => {
    const agent = t.agent();
    const login = await agent.get("/login");
    const before = String(login.headers["set-cookie"]);
    expect(before).toMatch(/HttpOnly/);
    expect(before).toMatch(/SameSite=Lax/);
    const res = await agent.post("/login").type("form").send({ _csrf: csrfFrom(login.text), email: "ben@example.edu", password: DEMO_PASSWORDS.student });
    const after = String(res.headers["set-cookie"]);
    expect(after.split(";")[0]).not.toBe(before.split(";")[0]);
  });

  test("a wrong password and an unknown email get the same message, keep the email, and no session", async () => {
    const agent = t.agent();
    const wrong = await signIn(agent, "chloe@example.edu", "not-her-password");
    const unknown = await signIn(agent, "nobody@example.edu", "whatever");
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect($(res.text)('[role="alert"]').text()).toBe("That email and password do not match an account. Check both and try again.");
    }
    expect($(wrong.text)("#email").val()).toBe("chloe@example.edu");
    expect((await agent.get("/")).status).toBe(303);
  });

  test("an empty form asks for both fields", async () => {
    const res = await signIn(t.agent(), "", "");
    expect(res.status).toBe(401);
    expect($(res.text)('[role="alert"]').text()).toBe("Enter your email and your password.");
  });

  test("a form without its CSRF token is refused with a reload hint", async () => {
    const agent = t.agent();
    await agent.get("/login");
    const res = await agent.post("/login").type("form").send({ email: "alice@example.edu", password: DEMO_PASSWORDS.student });
    expect(res.status).toBe(403);
    expect($(res.text)(".error-message").text()).toContain("Reload the page and try again");
    expect((await agent.get("/")).status).toBe(303);
  });

  test("a token from another session is refused", async () => {
    const other = t.agent();
    const token = csrfFrom((await other.get("/login")).text);
    const agent = t.agent();
    await agent.get("/login");
    const res = await agent.post("/login").type("form").send({ _csrf: token, email: "alice@example.edu", password: DEMO_PASSWORDS.student });
    expect(res.status).toBe(403);
  });

  test("sign-in failures are rate limited per address and account with a clear wait; classmates on the same network are not", async () => {
    const limited = await startTestApp({ LOGIN_RATE_LIMIT: "4" });
    const agent = limited.agent();
    const statuses: number[] = [];
    let last = "";
    for (let i = 0; i < 6; i++) {
      const res = await signIn(agent, "emma@example.edu", `wrong-${i}`);
      statuses.push(res.status);
      last = res.text;
    }
    expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(statuses[4]).toBe(429);
    expect($(last)(".error-message").text()).toMatch(/Too many failed sign-in attempts.*Wait 15 minutes/);
    // Twelve classmates behind the same address sign in at the same moment.
    const classmates = ["alice", "ben", "chloe", "dev", "felix"].flatMap((n) => [n, n]).concat(["alice", "ben"]);
    const burst = await Promise.all(classmates.map((n) => signIn(limited.agent(), `${n}@example.edu`, DEMO_PASSWORDS.student)));
    expect(burst.map((r) => r.status)).toEqual(Array(classmates.length).fill(303));
    await limited.close();
  });
});

describe("sessions", () => {
  test("signing out ends the session; the old cookie no longer works", async () => {
    const agent = t.agent();
    await signIn(agent, "dev@example.edu", DEMO_PASSWORDS.student);
    const course = await agent.get("/courses/cnn");
    expect(course.status).toBe(200);
    const out = await agent.post("/logout").type("form").send({ _csrf: csrfFrom(course.text) });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe("/login?signedOut=1");
    const after = await agent.get("/courses/cnn");
    expect(after.status).toBe(303);
    expect(after.headers.location).toMatch(/^\/login/);
  });

  test("an expired session sends GETs to sign-in (then back) and explains POSTs", async () => {
    const agent = t.agent();
    await signIn(agent, "felix@example.edu", DEMO_PASSWORDS.student);
    const page = await agent.get("/courses/cnn");
    const token = csrfFrom(page.text);
    await t.db.session.deleteMany({}); // what expiry does to the stored row

    const post = await agent.post("/logout").type("form").send({ _csrf: token });
    expect(post.status).toBe(401);
    expect($(post.text)(".error-message").text()).toBe("Your session has expired. Sign in again, then repeat what you were doing.");


    const get = await agent.get("/courses/cnn");
    expect(get.status).toBe(303);
    expect(get.headers.location).toBe("/login?expired=1");
    const login = await agent.get("/login?expired=1");
    expect($(login.text)(".notice").text()).toContain("Your session has expired");

    const back = await agent.post("/login").type("form").send({ _csrf: csrfFrom(login.text), email: "felix@example.edu", password: DEMO_PASSWORDS.student });
    expect(back.headers.location).toBe("/courses/cnn");
  });

  test("sessions are stored in PostgreSQL", async () => {
    const agent = t.agent();
    await signIn(agent, "alice@example.edu", DEMO_PASSWORDS.student);
    const rows = await t.db.session.findMany();
    expect(rows.some((r) => (r.sess as { userId?: string }).userId)).toBe(true);
  });

  test("returnTo only accepts same-site paths", async () => {
    const { safeReturnTo } = await import("../../src/auth/auth.routes.js");
    expect(safeReturnTo("/courses/cnn")).toBe("/courses/cnn");
    expect(safeReturnTo("//evil.example")).toBe("/");
    expect(safeReturnTo("/\\evil.example")).toBe("/");
    expect(safeReturnTo("https://evil.example")).toBe("/");
    expect(safeReturnTo(undefined)).toBe("/");
  });
});

describe("passwords", () => {
  test("are stored as scrypt hashes, never in clear", async () => {
    const user = await t.db.user.findUniqueOrThrow({ where: { email: "alice@example.edu" } });
    expect(user.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(user.passwordHash).not.toContain(DEMO_PASSWORDS.student);
  });
});
