// The tool key rotates without breaking platforms: the new key signs, the previous one stays published
// until the rotation is finished; and Canvas's JSON configuration names this site's endpoints.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { createLocalJWKSet, jwtVerify, SignJWT } from "jose";
import { loadToolKey, rotateToolKey } from "../../src/auth/lti.keys.js";
import { startTestApp } from "../helpers/app.js";
import { tempDir } from "../helpers/grading.js";

const dir = tempDir("lti-keys-");
afterAll(() => dir.remove());

const sign = (key: Awaited<ReturnType<typeof loadToolKey>>) => new SignJWT({}).setProtectedHeader({ alg: "RS256", kid: key.kid }).setIssuer("tool").setIssuedAt().setExpirationTime("5m").sign(key.privateKey);

test("a rotation signs with a new key and keeps the previous one published until it is finished", async () => {
  const before = await loadToolKey(dir.dir);
  const oldToken = await sign(before);
  expect(before.publishedJwks.map((k) => k.kid)).toEqual([before.kid]);

  // The command, as an operator runs it.
  const run = promisify(execFile);
  const out = await run(process.execPath, ["--import", "tsx", "scripts/lti-rotate-key.ts"], { env: { ...process.env, DATA_DIR: dir.dir, NODE_OPTIONS: "" } });
  expect(out.stdout).toContain("stays published");
  const after = await loadToolKey(dir.dir);
  expect(after.kid).not.toBe(before.kid);
  expect(after.publishedJwks.map((k) => k.kid)).toEqual([after.kid, before.kid]);
  expect(after.publishedJwks.every((k) => !("d" in k))).toBe(true); // never the private parts
  expect(fs.statSync(path.join(dir.dir, "lti-tool-key.previous.json")).mode & 0o777).toBe(0o600);
  // A platform holding the published set accepts what either key signed.
  const jwks = createLocalJWKSet({ keys: after.publishedJwks });
  await expect(jwtVerify(oldToken, jwks)).resolves.toBeTruthy();
  await expect(jwtVerify(await sign(after), jwks)).resolves.toBeTruthy();

  const finished = await rotateToolKey(dir.dir, { finish: true });
  expect(finished).toEqual({ current: after.kid, previous: null });
  const only = createLocalJWKSet({ keys: (await loadToolKey(dir.dir)).publishedJwks });
  await expect(jwtVerify(oldToken, only)).rejects.toThrow();
});

test("/lti/jwks publishes both keys during a rotation; /lti/canvas.json gives Canvas this site's endpoints", async () => {
  const file = path.join(dir.dir, "lti.yaml");
  fs.writeFileSync(file, "platforms:\n  - name: Canvas\n    issuer: https://canvas.instructure.com\n    clientId: '10000000000001'\n    deployments: ['1']\n    authLoginUrl: https://sso.canvaslms.com/api/lti/authorize_redirect\n    keySetUrl: https://sso.canvaslms.com/api/lti/security/jwks\n");
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
