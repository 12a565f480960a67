// Changing a password, one-time set-password links (resets by staff, new accounts from an
// import), and that no password or link ever sits in the session store.
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { $, csrfFrom, signIn, signedIn, startTestApp, TEST_NOW, type TestApp } from "../helpers/app.js";

let t: TestApp;
let now = TEST_NOW;
beforeAll(async () => {
  t = await startTestApp({ LOGIN_RATE_LIMIT: "1000", PUBLIC_URL: "https://course.example.edu" }, { clock: () => now });
});
afterAll(() => t.close());

const HOUR = 3600 * 1000;
const idOf = async (email: string) => (await t.db.user.findUniqueOrThrow({ where: { email } })).id;
const sessionsText = async () => JSON.stringify((await t.db.session.findMany()).map((s) => s.sess));

test("a signed-in user changes their password: current one required, 8+ characters, other sessions signed out", async () => {
  const here = await signedIn(t, "ben@example.edu");
  const elsewhere = await signedIn(t, "ben@example.edu");
  const page = await here.get("/account");
  expect(page.status).toBe(200);
  expect($(page.text)("h1").text()).toBe("Your account");
  const change = (fields: Record<string, string>) => here.post("/account/password").type("form").send({ _csrf: csrfFrom(page.text), ...fields });

  const wrong = await change({ current: "not-it", password: "a new passphrase", confirm: "a new passphrase" });
  expect(wrong.status).toBe(400);
  // Said above the account page's form (not on an error page), which is there to type it again.
  expect($(wrong.text)("#password-error").text()).toBe("Your current password is not right. Type the password you signed in with.");
  expect($(wrong.text)('form[action="/account/password"] input[name=current]')).toHaveLength(1);
  const same = await change({ current: DEMO_PASSWORDS.student, password: DEMO_PASSWORDS.student, confirm: DEMO_PASSWORDS.student });
  expect(same.status).toBe(400);
  expect($(same.text)("#password-error").text()).toBe("The new password is the same as the current one. Choose a different one.");
  const short = await change({ current: DEMO_PASSWORDS.student, password: "seven77", confirm: "seven77" });
  expect(short.status).toBe(400);
  expect($(short.text)("[role=alert]").text()).toContain("at least 8 characters");
  const mismatch = await change({ current: DEMO_PASSWORDS.student, password: "a new passphrase", confirm: "a new passphrase!" });
  expect($(mismatch.text)("[role=alert]").text()).toContain("not the same");
  // Far too long (past what the form reads at all): the same page and message, the form kept, not an error page.
  const long = await change({ current: DEMO_PASSWORDS.student, password: "x".repeat(5000), confirm: "x".repeat(5000) });
  expect(long.status).toBe(400);
  expect($(long.text)("#password-error").text()).toBe("Choose a password of at most 1024 characters.");

  const ok = await change({ current: DEMO_PASSWORDS.student, password: "a new passphrase", confirm: "a new passphrase" });
  expect(ok.status).toBe(303);
  expect(ok.headers.location).toBe("/account");
  expect($((await here.get("/account")).text)(".flash-success").text()).toContain("Your password is changed");
  expect((await here.get("/courses/cnn")).status).toBe(200);
  expect((await elsewhere.get("/courses/cnn")).headers.location).toBe("/login?expired=1");
  expect((await signIn(t.agent(), "ben@example.edu", DEMO_PASSWORDS.student)).status).toBe(401);
  expect((await signIn(t.agent(), "ben@example.edu", "a new passphrase")).status).toBe(303);
  expect(await sessionsText()).not.toContain("a new passphrase");
});

test("an instructor makes a one-time reset link from People: it works once, ends the old sessions, and expires after 72 hours", async () => {
  const instructor = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const people = $((await instructor.get("/courses/cnn/people")).text);
  const chloe = await idOf("chloe@example.edu");
  const form = people(`form[action="/courses/cnn/people/${chloe}/password-link"]`);
  expect(form.find("button").text()).toBe("Password link for Chloé Martin");
  const chloeBefore = await signedIn(t, "chloe@example.edu");

  const made = await instructor.post(`/courses/cnn/people/${chloe}/password-link`).type("form").send({ _csrf: csrfFrom(people.html()) });
  expect(made.status).toBe(200);
  const url = String($(made.text)("#link").val());
  expect(url).toMatch(/^https:\/\/course\.example\.edu\/password-link\/[A-Za-z0-9_-]{43}$/);
  const path = new URL(url).pathname;
  expect(await sessionsText()).not.toContain(path.split("/").pop());
  const stored = await t.db.passwordLink.findFirstOrThrow({ where: { userId: chloe } });
  expect(stored.tokenHash).not.toContain(path.split("/").pop()); // only a hash of the token is kept
  expect(stored.expiresAt.getTime() - TEST_NOW.getTime()).toBe(72 * HOUR);
  // Until the link is used, her password still works.
  expect((await signIn(t.agent(), "chloe@example.edu", DEMO_PASSWORDS.student)).status).toBe(303);

  const visitor = t.agent();
  const linkPage = await visitor.get(path);
  expect($(linkPage.text)("p").first().text()).toContain("Chloé Martin (chloe@example.edu)");
  const sessionsBefore = await t.db.session.count();
  const tooShort = await visitor.post(path).type("form").send({ _csrf: csrfFrom(linkPage.text), password: "short", confirm: "short" });
  expect(tooShort.status).toBe(400);
  const set = await visitor.post(path).type("form").send({ _csrf: csrfFrom(linkPage.text), password: "chloe's own words", confirm: "chloe's own words" });
  expect(set.status).toBe(303);
  expect(set.headers.location).toBe("/login?passwordSet=1");
  expect($((await visitor.get("/login?passwordSet=1")).text)(".notice").text()).toBe("Your password is set. Sign in with it.");
  expect(await t.db.session.count()).toBeLessThan(sessionsBefore); // her two sessions ended; the visitor got none
  expect((await chloeBefore.get("/courses/cnn")).headers.location).toBe("/login?expired=1");
  expect((await signIn(t.agent(), "chloe@example.edu", DEMO_PASSWORDS.student)).status).toBe(401);
  expect((await signIn(t.agent(), "chloe@example.edu", "chloe's own words")).status).toBe(303);

  const again = await t.agent().get(path);
  expect(again.status).toBe(404);
  expect($(again.text)(".error-message").text()).toContain("already been used");
  const reuse = await visitor.post(path).type("form").send({ _csrf: csrfFrom(linkPage.text), password: "someone else's", confirm: "someone else's" });
  expect(reuse.status).toBe(404);
  expect((await signIn(t.agent(), "chloe@example.edu", "chloe's own words")).status).toBe(303);

  // A second link, tried one minute before and one minute after its 72 hours.
  const second = await instructor.post(`/courses/cnn/people/${chloe}/password-link`).type("form").send({ _csrf: csrfFrom(people.html()) });
  const path2 = new URL(String($(second.text)("#link").val())).pathname;
  now = new Date(TEST_NOW.getTime() + 72 * HOUR - 60_000);
  expect((await t.agent().get(path2)).status).toBe(200);
  now = new Date(TEST_NOW.getTime() + 72 * HOUR + 60_000);
  const expired = await t.agent().get(path2);
  expect(expired.status).toBe(404);
  expect($(expired.text)(".error-message").text()).toBe("This password link has expired (it worked for 72 hours). Ask your instructor for a new one.");
  now = TEST_NOW;
});

test("changing one's password cancels password links handed out before (a leaked link no longer works)", async () => {
  const instructor = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const people = $((await instructor.get("/courses/cnn/people")).text);
  const dev = await idOf("dev@example.edu");
  const made = await instructor.post(`/courses/cnn/people/${dev}/password-link`).type("form").send({ _csrf: csrfFrom(people.html()) });
  const path = new URL(String($(made.text)("#link").val())).pathname;
  expect((await t.agent().get(path)).status).toBe(200);

  const devAgent = await signedIn(t, "dev@example.edu");
  const account = await devAgent.get("/account");
  const changed = await devAgent.post("/account/password").type("form").send({ _csrf: csrfFrom(account.text), current: DEMO_PASSWORDS.student, password: "dev's new phrase", confirm: "dev's new phrase" });
  expect(changed.status).toBe(303);
  await devAgent.get("/account"); // shows (and so clears) the flash
  expect((await t.agent().get(path)).status).toBe(404);
  expect((await signIn(t.agent(), "dev@example.edu", "dev's new phrase")).status).toBe(303);
});

test("who may make a reset link: not graders, not for oneself, not for fellow instructors or people in other courses", async () => {
  const instructor = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const csrf = csrfFrom((await instructor.get("/courses/cnn/people")).text);
  const link = (agent: typeof instructor, userId: string, token = csrf) => agent.post(`/courses/cnn/people/${userId}/password-link`).type("form").send({ _csrf: token });
  expect((await link(instructor, await idOf("instructor@example.edu"))).status).toBe(400);
  const other = await t.db.user.create({ data: { email: "ivy@example.edu", name: "Ivy Other", passwordHash: "x", memberships: { create: { courseId: (await t.db.course.findFirstOrThrow()).id, role: "INSTRUCTOR" } } } });
  expect((await link(instructor, other.id)).status).toBe(403);
  const elsewhere = await t.db.course.create({ data: { slug: "other", title: "Other course" } });
  await t.db.membership.create({ data: { userId: await idOf("dev@example.edu"), courseId: elsewhere.id, role: "STUDENT" } });
  const refused = await link(instructor, await idOf("dev@example.edu"));
  expect(refused.status).toBe(403);
  expect($(refused.text)(".error-message").text()).toBe("Dev Patel is also in a course you do not teach. Ask a site administrator to reset their password.");
  const grader = await signedIn(t, "grader@example.edu", DEMO_PASSWORDS.grader);
  expect((await link(grader, await idOf("emma@example.edu"), csrfFrom((await grader.get("/courses/cnn/people")).text))).status).toBe(403);
  expect(await t.db.passwordLink.count({ where: { user: { email: { in: ["instructor@example.edu", "ivy@example.edu", "dev@example.edu", "emma@example.edu"] } } } })).toBe(0);
});

test("imported and added accounts have no password until their one-time link is used; no link reaches the session store", async () => {
  const instructor = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const form = await instructor.get("/courses/cnn/people/import");
  const csv = "email,name,role,team\nyara@example.edu,Yara Haddad,student,Stop Signs\nfelix@example.edu,Felix Romero,student,Yield Ahead\n";
  // Checked first, then applied as checked (the preview's form carries the digest of what it showed).
  const checked = $((await instructor.post("/courses/cnn/people/import").type("form").send({ _csrf: csrfFrom(form.text), csv })).text);
  const applied = $((await instructor.post("/courses/cnn/people/import").type("form").send({ _csrf: csrfFrom(form.text), csv, apply: "1", checked: String(checked("input[name=checked]").val()) })).text);
  expect(applied("[role=status]").text()).toContain("1 account created, 1 updated");
  const rows = applied("table.password-links tbody tr").map((_i, tr) => [applied(tr).find("td").map((_j, td) => applied(td).text()).get()]).get() as string[][];
  expect(rows.map((r) => r.slice(0, 2))).toEqual([["yara@example.edu", "Yara Haddad"]]);
  const url = rows[0]![2]!;
  expect(url).toMatch(/^https:\/\/course\.example\.edu\/password-link\/[A-Za-z0-9_-]{43}$/);
  const download = decodeURIComponent(String(applied('a[download="password-links.csv"]').attr("href")).replace(/^data:text\/csv;charset=utf-8,/, ""));
  expect(download.split("\n").slice(0, 2)).toEqual(["\ufeffemail,name,password_link,expires", `"yara@example.edu","Yara Haddad","${url}","2031-03-26T17:00:00.000Z"`]);
  expect((await t.db.user.findUniqueOrThrow({ where: { email: "yara@example.edu" } })).passwordHash).toBeNull();

  const added = await instructor.post("/courses/cnn/people/add").type("form").send({ _csrf: csrfFrom(form.text), email: "zane@example.edu", name: "Zane Ito", role: "student", team: "" });
  expect(added.status).toBe(200);
  const zaneUrl = $(added.text)("table.password-links tbody td code").text();
  expect(zaneUrl).toMatch(/\/password-link\/[A-Za-z0-9_-]{43}$/);
  // An invitation works for 14 days (the CSV's expiry above), and says so once expired.
  now = new Date(TEST_NOW.getTime() + 14 * 24 * HOUR + 60_000);
  try {
    const late = await t.agent().get(new URL(zaneUrl).pathname);
    expect(late.status).toBe(404);
    expect($(late.text)(".error-message").text()).toBe("This password link has expired (it worked for 14 days). Ask your instructor for a new one.");
  } finally {
    now = TEST_NOW;
  }

  const store = await sessionsText();
  for (const u of [url, zaneUrl]) expect(store).not.toContain(u.split("/").pop());
  expect(store).not.toMatch(/password/i);

  const yara = t.agent();
  const path = new URL(url).pathname;
  const page = await yara.get(path);
  await yara.post(path).type("form").send({ _csrf: csrfFrom(page.text), password: "yara picks this", confirm: "yara picks this" });
  expect((await signIn(yara, "yara@example.edu", "yara picks this")).status).toBe(303);
});
