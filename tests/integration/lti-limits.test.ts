// LTI login initiations store a state row each until their launch: a flood of them from one
// address is cut off, and the table has a ceiling however many addresses take part.
import { LTI_LOGINS_PER_ADDRESS } from "../../src/lti/lti.routes.js";
import { MAX_PENDING_LOGINS } from "../../src/lti/lti.service.js";
import { startTestApp, TEST_NOW, type TestApp } from "../helpers/app.js";
import { tempDir } from "../helpers/grading.js";
import { writePlatformsFile } from "../helpers/lti-platform.js";

const ISS = "https://lms.example.edu";
const dir = tempDir("lti-limits-");
let t: TestApp;

beforeAll(async () => {
  const file = writePlatformsFile(dir.dir, [{
    name: "Example LMS", issuer: ISS, clientId: "tool-client-1", deployments: ["deploy-1"],
    authLoginUrl: `${ISS}/auth`, keySetUrl: `${ISS}/jwks`, tokenUrl: `${ISS}/token`,
  }]);
  t = await startTestApp({ LTI_PLATFORMS_FILE: file, PUBLIC_URL: "https://tool.example.org" });
});
afterAll(async () => {
  await t.close();
  dir.remove();
});

const begin = () => t.agent().get("/lti/login").query({ iss: ISS, login_hint: "hint", client_id: "tool-client-1" });
const pending = async () => Number((await t.db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM "LtiLaunchState"`)[0]!.n);

test("logins begun and never launched stop at a ceiling: the next is refused with a 429 and no row is written", async () => {
  // Fill the table to the ceiling with states from many platforms' users (recent, so not pruned).
  await t.db.$executeRaw`INSERT INTO "LtiLaunchState" (state, nonce, issuer, "clientId", "createdAt")
    SELECT 'filler-' || g, 'n-' || g, ${ISS}, 'tool-client-1', ${TEST_NOW} FROM generate_series(1, ${MAX_PENDING_LOGINS}) AS g`;
  const res = await begin();
  expect(res.status).toBe(429);
  expect(res.text).toContain("Too many LTI sign-ins are in progress");
  expect(await pending()).toBe(MAX_PENDING_LOGINS);
  // An hour on, the abandoned ones are pruned and logins work again.
  await t.db.$executeRaw`UPDATE "LtiLaunchState" SET "createdAt" = ${new Date(TEST_NOW.getTime() - 61 * 60_000)}`;
  expect((await begin()).status).toBe(302);
  expect(await pending()).toBe(1);
});

test(`one address may begin ${LTI_LOGINS_PER_ADDRESS} logins in ten minutes (a lecture hall behind one NAT), then gets a 429`, async () => {
  let ok = 0;
  for (let i = 0; i < LTI_LOGINS_PER_ADDRESS; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, LTI_LOGINS_PER_ADDRESS - i) }, () => begin()));
    ok += batch.filter((r) => r.status === 302).length;
  }
  expect(ok).toBe(LTI_LOGINS_PER_ADDRESS - 2); // the first test's two requests (429 and 302) count too
  const res = await begin();
  expect(res.status).toBe(429);
  expect(res.text).toContain("Too many LTI sign-ins from your network");
});
