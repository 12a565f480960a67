// A real browser opens the tool inside an LMS page (another site), as Canvas or Moodle show it, with the
// browser dropping this tool's cookies in the frame: LTI Platform Storage binds the login (lti-storage.js
// and the LMS page's postMessage storage), and the "Open in a new window" button signs the person in there.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import type { JSONWebKeySet } from "jose";
import { CHROMIUM } from "../helpers/browser.js";
import { startTestApp, TEST_NOW, type TestApp } from "../helpers/app.js";
import { CLAIM, startFakePlatform, type FakePlatform } from "../helpers/lti-platform.js";

let t: TestApp;
let lms: FakePlatform;
let browser: Browser;
let server: http.Server;
let tool: string;

beforeAll(async () => {
  // The tool's address must be known before the app is made (PUBLIC_URL): a free port first.
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  tool = `http://127.0.0.1:${port}`;
  // The LMS on another site (127.0.0.2): the tool runs in a third-party frame.
  lms = await startFakePlatform({ clientId: "frame-client", now: () => TEST_NOW, host: "127.0.0.2" });
  lms.toolOrigin = tool;
  t = await startTestApp({ PUBLIC_URL: tool });
  server = t.app.listen(port, "127.0.0.1");
  // The route below passes the frame's requests on with fetch, which keeps sockets open between them: a socket the
  // server closed after its idle timeout (5 s), reused at that moment by a slow run, would fail a request.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.once("listening", () => r()));
  // Registered as Dynamic Registration would (a database row).
  await t.db.ltiRegistration.create({ data: { name: "Frame LMS", issuer: lms.base, clientId: "frame-client", deployments: ["d-1"], authLoginUrl: `${lms.base}/auth`, keySetUrl: `${lms.base}/jwks`, configUrl: `${lms.base}/.well-known/openid-configuration` } });
  const cnn = await t.db.course.findUniqueOrThrow({ where: { slug: "cnn" } });
  await t.db.ltiContext.create({ data: { issuer: lms.base, clientId: "frame-client", deploymentId: "d-1", contextId: "c-1", title: "Framed ML", courseId: cnn.id, approvedAt: TEST_NOW } });
  lms.toolKeys = (await (await fetch(`${tool}/lti/jwks`)).json()) as JSONWebKeySet;
  lms.launch = {
    iss: lms.base, aud: "frame-client", sub: "framed-1",
    claims: { [`${CLAIM}deployment_id`]: "d-1", [`${CLAIM}context`]: { id: "c-1" }, [`${CLAIM}target_link_uri`]: `${tool}/courses/cnn`, name: "Fran Framed" },
  };
  // As helpers/browser.ts launches it, with the LMS's address (127.0.0.2) reachable too, and without Local Network
  // Access checks, which would take the pages this test serves through a route for public ones.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    env: Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && e[0] !== "LD_PRELOAD" && !e[0].startsWith("FAKETIME"))),
    args: ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE 127.0.0.2", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-features=LocalNetworkAccessChecks"],
  });
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server?.closeAllConnections();
  await t?.close();
  await lms?.close();
});

test("in an LMS frame whose browser drops the tool's cookies, the login is bound through Platform Storage and the launch opens in a new window", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  // What happened, for a failure's message: each request the route passed on, and each frame's navigation.
  const trace: string[] = [];
  const started = Date.now();
  const note = (line: string) => trace.push(`${String(Date.now() - started).padStart(6)} ms  ${line}`);
  page.on("framenavigated", (f) => note(`${f === page.mainFrame() ? "page" : `frame ${f.name()}`} at ${f.url()}`));
  page.on("console", (m) => note(`console.${m.type()}: ${m.text()}`));
  // A browser that keeps no cookie of the tool inside the LMS page: the frame's requests to the tool are
  // made from here, without the browser's cookie jar (the browser adds cookies below what a route can change).
  await page.route(`${tool}/lti/**`, async (route) => {
    const r = route.request();
    const headers = { ...r.headers() };
    delete headers.cookie;
    // The browser adds Sec-Fetch-* below the route too: say what it says for a page in a frame, which the tool checks.
    if (r.isNavigationRequest() && !headers["sec-fetch-dest"]) headers["sec-fetch-dest"] = r.frame().parentFrame() ? "iframe" : "document";
    note(`${r.method()} ${r.url()}`);
    try {
      const res = await fetch(r.url(), { method: r.method(), headers, body: r.postData() ?? undefined, redirect: "manual" });
      note(`  ${res.status} ${res.headers.get("location") ?? ""}`);
      await route.fulfill({ status: res.status, headers: Object.fromEntries(res.headers), body: Buffer.from(await res.arrayBuffer()) });
    } catch (e) {
      // A request this route could not pass on must fail in the browser, not hang there until the test times out.
      note(`  failed: ${String(e)}`);
      await route.abort().catch(() => {});
    }
  });
  const login = `${tool}/lti/login?${new URLSearchParams({ iss: lms.base, login_hint: "h", client_id: "frame-client", lti_storage_target: "_parent" })}`;
  await page.goto(`${lms.base}/frame?src=${encodeURIComponent(login)}`);
  const frame = page.frameLocator("iframe[name=tool]");
  // The state went to the LMS page and came back; the launch was checked and signed in, but no cookie arrives here.
  await frame.getByRole("heading", { name: "Open in a new window" }).waitFor().catch(async (e: unknown) => {
    const shown = await frame.locator("main").innerText({ timeout: 1000 }).catch(() => "(no frame)");
    throw new Error(`${String(e)}\n\nThe frame shows: ${shown}\n\nWhat happened:\n${trace.join("\n")}`);
  });
  await expect(frame.locator("main").textContent()).resolves.toContain("signed you in as Fran Framed");
  const [popup] = await Promise.all([context.waitForEvent("page"), frame.getByRole("button", { name: "Open in a new window" }).click()]);
  await popup.waitForURL(`${tool}/courses/cnn`);
  await expect(popup.locator("header").textContent()).resolves.toContain("Fran Framed");
  expect(errors).toEqual([]);
  await context.close();
});
