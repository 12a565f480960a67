import { execFile } from "node:child_process";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import request from "supertest";
import { AuthService } from "../../src/auth/auth.service.js";
import { HashGate } from "../../src/auth/hash.gate.js";
import { hashPassword, OWASP_SCRYPT, verifyPassword } from "../../src/auth/password.js";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { $, csrfFrom, signIn, startTestApp, type TestApp } from "../helpers/app.js";

const execFileP = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

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
    const login = $((await agent.get("/login?signedOut=1")).text);
    expect(login(".notice").text()).toBe("You are signed out.");
    expect($((await t.agent().get("/login")).text)(".notice")).toHaveLength(0);
    const after = await agent.get("/courses/cnn");
    expect(after.status).toBe(303);
    expect(after.headers.location).toMatch(/^\/login/);
  });

  test("/api/session: who is signed in and their session's form token (a page opened before signing in again takes it); 401 for nobody", async () => {
    const agent = t.agent();
    const anon = await agent.get("/api/session").set("Accept", "application/json");
    expect(anon.status).toBe(401);
    await signIn(agent, "dev@example.edu", DEMO_PASSWORDS.student);
    const me = await agent.get("/api/session").set("Accept", "application/json");
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ user: { id: expect.any(String), name: "Dev Patel" }, csrfToken: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(me.headers["cache-control"]).toBe("no-store"); // the token is kept by no cache
    // The token is the session's: a form posted with it is accepted (signing out with it).
    expect((await agent.post("/logout").type("form").send({ _csrf: me.body.csrfToken })).status).toBe(303);
  });

  test("the session cookie counts only as signed: an altered signature or the bare id is no session; the form token is 32 random bytes", async () => {
    const agent = t.agent();
    const signedIn = await signIn(agent, "dev@example.edu", DEMO_PASSWORDS.student);
    const cookie = ([] as string[]).concat(signedIn.headers["set-cookie"] ?? []).find((c) => c.startsWith("cnn.sid="))!.split(";")[0]!;
    const value = decodeURIComponent(cookie.slice("cnn.sid=".length));
    expect(value).toMatch(/^s:[^.]+\.[A-Za-z0-9+/]{43}$/); // express-session's format: "s:" id "." HMAC-SHA256 in base64
    const page = await t.agent().get("/courses/cnn").set("Cookie", cookie);
    expect(page.status).toBe(200);
    expect(csrfFrom(page.text)).toMatch(/^[0-9a-f]{64}$/);

    const last = value.at(-1) === "A" ? "B" : "A";
    for (const forged of [`s:${value.slice(2, -1)}${last}`, value.slice(2, value.lastIndexOf(".")), `s:${value.slice(2, value.lastIndexOf("."))}`]) {
      const res = await t.agent().get("/courses/cnn").set("Cookie", `cnn.sid=${encodeURIComponent(forged)}`);
      expect(res.status).toBe(303);
      expect(res.headers.location).toMatch(/^\/login/);
    }
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

    // A script asking for data (a page polling a status) is told, not sent to sign in: what it asked for is no page to return to.
    const poll = await agent.get("/courses/cnn/quizzes/cnn-friday").set("Accept", "application/json");
    expect(poll.status).toBe(401);
    expect(poll.body.error.message).toBe("Your session has expired. Sign in again, then repeat what you were doing.");
    expect(String(poll.headers["set-cookie"] ?? "")).not.toContain("cnn.return");

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
    const { safeReturnTo } = await import("../../src/platform/return-to.js");
    expect(safeReturnTo("/courses/cnn")).toBe("/courses/cnn");
    expect(safeReturnTo("//evil.example")).toBe("/");
    expect(safeReturnTo("/\\evil.example")).toBe("/");
    expect(safeReturnTo("https://evil.example")).toBe("/");
    expect(safeReturnTo(undefined)).toBe("/");
  });
});

describe("passwords", () => {
  test("are stored as scrypt hashes, never in clear (tests hash at N=2^14 to stay fast)", async () => {
    const user = await t.db.user.findUniqueOrThrow({ where: { email: "alice@example.edu" } });
    expect(user.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(user.passwordHash).not.toContain(DEMO_PASSWORDS.student);
  });

  test("outside tests new hashes use OWASP's scrypt cost: N=2^17, r=8, p=1", async () => {
    const { stdout } = await execFileP(process.execPath, ["--import", "tsx", "-e", "import('./src/auth/password.ts').then(async (m) => console.log(await m.hashPassword('correct horse')))"], {
      cwd: ROOT, env: { ...process.env, NODE_ENV: "production", NODE_OPTIONS: "" },
    });
    expect(stdout.trim()).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
  });

  test("an old hash (N=2^15) is upgraded to the current cost at a successful sign-in and still verifies", async () => {
    const old = await hashPassword("an old password", { N: 2 ** 15, r: 8, p: 1 });
    const user = await t.db.user.update({ where: { email: "dev@example.edu" }, data: { passwordHash: old } });
    const auth = new AuthService({ db: t.db, scrypt: OWASP_SCRYPT });
    expect(await auth.authenticate("dev@example.edu", "not it")).toBeNull();
    expect((await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash).toBe(old); // a failure changes nothing
    expect((await auth.authenticate("dev@example.edu", "an old password"))?.id).toBe(user.id);
    const upgraded = (await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash!;
    expect(upgraded).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword("an old password", upgraded)).toBe(true);
    expect(await verifyPassword("not it", upgraded)).toBe(false);
    // The app (at the test cost, below 2^15) leaves a stronger hash alone.
    expect((await signIn(t.agent(), "dev@example.edu", "an old password")).status).toBe(303);
    expect((await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash).toBe(upgraded);
    await t.db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(DEMO_PASSWORDS.student) } });
  });

  test("at most `concurrency` hashes run at once; the next waits in the queue, and past the queue gets a 429", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const full = new HashGate({ concurrency: 1, queue: 0 });
    const holding = full.run("someone", () => held);
    await expect(new AuthService({ db: t.db, gate: full }).authenticate("alice@example.edu", DEMO_PASSWORDS.student, "me")).rejects.toThrow(
      "The server is busy signing other people in. Wait a few seconds and try again.",
    );
    const queued = new HashGate({ concurrency: 1, queue: 1 });
    let releaseQueued!: () => void;
    const holdingQueued = queued.run("someone", () => new Promise<void>((r) => (releaseQueued = r)));
    let done = false;
    const waiting = new AuthService({ db: t.db, gate: queued }).authenticate("alice@example.edu", DEMO_PASSWORDS.student, "me").then((u) => ((done = true), u));
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false); // no hash runs while the only slot is taken
    releaseQueued();
    expect((await waiting)?.email).toBe("alice@example.edu");
    release();
    await Promise.all([holding, holdingQueued]);
  });
});

describe("what sign-in failures reveal and cost", () => {
  test("a wrong password for an account with an older, cheaper hash costs a full current-cost hash, as an unknown email does", async () => {
    // Counted through the hash queue: every hash of a sign-in runs in it.
    const runs: number[] = [];
    class CountingGate extends HashGate {
      override run<T>(key: string, work: () => Promise<T>): Promise<T> {
        runs.push(1);
        return super.run(key, work);
      }
    }
    const user = await t.db.user.findUniqueOrThrow({ where: { email: "emma@example.edu" } });
    const old = await hashPassword("emma's old one", { N: 2 ** 10, r: 8, p: 1 }); // cheaper than the current cost
    await t.db.user.update({ where: { id: user.id }, data: { passwordHash: old } });
    const auth = new AuthService({ db: t.db, gate: new CountingGate({ concurrency: 2, queue: 10 }) });
    expect(await auth.authenticate("nobody@example.edu", "x")).toBeNull();
    const unknown = runs.length;
    runs.length = 0;
    expect(await auth.authenticate("emma@example.edu", "wrong")).toBeNull();
    expect(runs.length).toBe(unknown + 1); // the cheap check, then the dummy at the current cost
    await t.db.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(DEMO_PASSWORDS.student) } });
  });

  test("forged cross-site sign-in posts (no form token) do not use up a network's sign-in budget", async () => {
    const limited = await startTestApp({ LOGIN_ADDRESS_RATE_LIMIT: "5", LOGIN_RATE_LIMIT: "1000" });
    try {
      // Twenty posts from another site: refused for their missing token, not counted.
      for (let i = 0; i < 20; i++) {
        expect((await limited.agent().post("/login").type("form").send({ email: `x${i}@example.edu`, password: "guess" })).status).toBe(403);
      }
      expect((await signIn(limited.agent(), "alice@example.edu", DEMO_PASSWORDS.student)).status).toBe(303);
      // Real failures still count.
      for (let i = 0; i < 5; i++) expect((await signIn(limited.agent(), `y${i}@example.edu`, "guess")).status).toBe(401);
      expect((await signIn(limited.agent(), "ben@example.edu", DEMO_PASSWORDS.student)).status).toBe(429);
    } finally {
      await limited.close();
    }
  });
});

describe("limits on sign-in per address", () => {
  test("many sign-ins with new emails from one address get 429s past the per-address limit; a classroom before them signed in", async () => {
    const limited = await startTestApp({ LOGIN_RATE_LIMIT: "1000" }); // LOGIN_ADDRESS_RATE_LIMIT: the default, 50
    // A class of twelve behind one NAT, five typos among them: all through.
    const classmates = ["alice", "ben", "chloe", "dev", "emma", "felix"].flatMap((n) => [n, n]);
    const burst = await Promise.all([
      ...classmates.map((n) => signIn(limited.agent(), `${n}@example.edu`, DEMO_PASSWORDS.student)),
      ...[1, 2, 3, 4, 5].map((i) => signIn(limited.agent(), "emma@example.edu", `typo-${i}`)),
    ]);
    expect(burst.map((r) => r.status)).toEqual([...Array(12).fill(303), ...Array(5).fill(401)]);
    // Then 60 at once, each with a new email: 45 more failures reach the limit of 50, the other 15 are refused unhashed.
    const flood = await Promise.all(Array.from({ length: 60 }, (_x, i) => signIn(limited.agent(), `new-${i}@example.org`, "guess")));
    const statuses = flood.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(45);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    expect($(flood[statuses.indexOf(429)]!.text)(".error-message").text()).toBe("Too many failed sign-in attempts from your network. Wait 15 minutes and try again, or ask your instructor to reset your password.");
    await limited.close();
  });

  // The app sees a client's address as Express's req.ip under `trust proxy` (TRUST_PROXY). A client
  // connecting from a non-loopback address stands in for one on the network.
  const lanAddress = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === "IPv4" && !i.internal)?.address;
  async function failuresWithForgedAddresses(env: Record<string, string>) {
    if (!lanAddress) throw new Error("this test needs a non-loopback IPv4 interface");
    const app = await startTestApp({ LOGIN_RATE_LIMIT: "1000", LOGIN_ADDRESS_RATE_LIMIT: "3", ...env });
    const server = app.app.listen(0, "0.0.0.0");
    await new Promise<void>((r) => server.once("listening", () => r()));
    const agent = request.agent(`http://${lanAddress}:${(server.address() as AddressInfo).port}`);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const page = await agent.get("/login");
      const res = await agent.post("/login").set("X-Forwarded-For", `203.0.113.${i + 1}`).type("form").send({ _csrf: csrfFrom(page.text), email: `x${i}@example.org`, password: "guess" });
      statuses.push(res.status);
    }
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await app.close();
    return statuses;
  }

  test("with the default TRUST_PROXY (loopback), X-Forwarded-For from a client on the network does not change its limiter key", async () => {
    expect(await failuresWithForgedAddresses({})).toEqual([401, 401, 401, 429, 429]);
  });

  test("with TRUST_PROXY set to the proxy's address, X-Forwarded-For from it names the client", async () => {
    expect(await failuresWithForgedAddresses({ TRUST_PROXY: lanAddress ?? "" })).toEqual([401, 401, 401, 401, 401]);
  });
});

describe("no sessions for anonymous visitors", () => {
  test("the sign-in page and a protected page write no session row; signing in from them still works and returns", async () => {
    const before = await t.db.session.count();
    const agent = t.agent();
    for (let i = 0; i < 20; i++) expect((await agent.get("/login")).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await t.agent().get("/login")).status).toBe(200);
    expect((await agent.get("/courses/cnn")).headers.location).toBe("/login");
    expect(await t.db.session.count()).toBe(before);
    const res = await signIn(agent, "chloe@example.edu", DEMO_PASSWORDS.student);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe("/courses/cnn");
    expect(await t.db.session.count()).toBe(before + 1);
  });
});
