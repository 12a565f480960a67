// The tool key rotates without breaking platforms: the new key signs, the previous one stays published
// until the rotation is finished; and Canvas's JSON configuration names this site's endpoints.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { createLocalJWKSet, jwtVerify, SignJWT } from "jose";
import { KeyRotationError, loadToolKey, rotateToolKey, toolKeySource } from "../../src/lti/lti.keys.js";
import { startTestApp } from "../helpers/app.js";
import { tempDir } from "../helpers/grading.js";
import { writePlatformsFile } from "../helpers/lti-platform.js";

const dir = tempDir("lti-keys-");
afterAll(() => dir.remove());

const sign = (key: Awaited<ReturnType<typeof loadToolKey>>) => new SignJWT({}).setProtectedHeader({ alg: "RS256", kid: key.kid }).setIssuer("tool").setIssuedAt().setExpirationTime("5m").sign(key.privateKey);

test("a rotation publishes the new key a day before it signs, then signs with it in running processes at once, the old key still accepted", async () => {
  const source = toolKeySource(dir.dir); // as a running web or worker process holds it
  const before = await source();
  const oldToken = await sign(before);
  expect(before.publishedJwks.map((k) => k.kid)).toEqual([before.kid]);

  // Step 1, the command as an operator runs it: the new key is published, the old one still signs.
  const run = promisify(execFile);
  const cli = (...args: string[]) => run(process.execPath, ["--import", "tsx", "scripts/lti-rotate-key.ts", ...args], { env: { ...process.env, DATA_DIR: dir.dir, NODE_OPTIONS: "" } });
  expect((await cli()).stdout).toContain("staged");
  const staged = await source();
  expect(staged.kid).toBe(before.kid);
  expect(staged.publishedJwks).toHaveLength(2);
  const next = staged.publishedJwks[1]!;
  expect(next.kid).not.toBe(before.kid);
  expect(staged.publishedJwks.every((k) => !("d" in k))).toBe(true); // never the private parts
  expect(fs.statSync(path.join(dir.dir, "lti-tool-key.next.json")).mode & 0o777).toBe(0o600);
  // A second rotation before the first is finished is refused (it would unpublish a key in use).
  await expect(cli()).rejects.toMatchObject({ stderr: expect.stringContaining("already staged") });

  // Step 2: the staged key signs — in the running process, without a restart — and the old stays published.
  expect((await cli("--finish")).stdout).toContain("Rotation finished");
  const after = await source();
  expect(after.kid).toBe(next.kid);
  expect(after.publishedJwks.map((k) => k.kid)).toEqual([next.kid, before.kid]);
  // A platform that fetched the key set during the staging accepts the new signatures, and the old ones too.
  const cachedByPlatform = createLocalJWKSet({ keys: staged.publishedJwks });
  await expect(jwtVerify(await sign(after), cachedByPlatform)).resolves.toBeTruthy();
  await expect(jwtVerify(oldToken, createLocalJWKSet({ keys: after.publishedJwks }))).resolves.toBeTruthy();
  // The next rotation retires the old key for good.
  await rotateToolKey(dir.dir);
  expect((await source()).publishedJwks.map((k) => k.kid)).not.toContain(before.kid);
  await expect(rotateToolKey(dir.dir)).rejects.toThrow(KeyRotationError);
});

test("/lti/jwks publishes the staged key during a rotation; /lti/canvas.json gives Canvas this site's endpoints", async () => {
  const file = writePlatformsFile(dir.dir, [{
    name: "Canvas", issuer: "https://canvas.instructure.com", clientId: "10000000000001", deployments: ["1"],
    authLoginUrl: "https://sso.canvaslms.com/api/lti/authorize_redirect", keySetUrl: "https://sso.canvaslms.com/api/lti/security/jwks",
  }]);
  const t = await startTestApp({ LTI_PLATFORMS_FILE: file, PUBLIC_URL: "https://course.example.edu" });
  try {
    await rotateToolKey(t.dataDir);
    const keys = (await t.agent().get("/lti/jwks")).body as { keys: { kid: string }[] };
    expect(keys.keys).toHaveLength(2);
    const canvas = (await t.agent().get("/lti/canvas.json")).body as Record<string, unknown>;
    expect(canvas).toMatchObject({
      oidc_initiation_url: "https://course.example.edu/lti/login",
      target_link_uri: "https://course.example.edu/lti/launch",
      public_jwk_url: "https://course.example.edu/lti/jwks",
    });
    expect(canvas.scopes).toEqual(expect.arrayContaining(["https://purl.imsglobal.org/spec/lti-ags/scope/score", "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"]));
    const placements = ((canvas.extensions as { settings: { placements: { placement: string; message_type: string }[] } }[])[0]!).settings.placements;
    expect(placements).toEqual(expect.arrayContaining([expect.objectContaining({ placement: "link_selection", message_type: "LtiDeepLinkingRequest" })]));
  } finally {
    await t.close();
  }
});
