// The LMS platforms this tool trusts for LTI 1.3 launches, registered by an
// administrator in a YAML file (LTI_PLATFORMS_FILE), checked at start-up with each
// problem at its line. Without the file, LTI is off and its routes say so.
import fs from "node:fs";
import { z } from "zod";
import { ConfigError } from "../platform/config.js";
import { parseYamlFile } from "../platform/yaml-file.js";

/** HTTPS, except on this machine (a platform under test): the keys that vouch for launches come from here. */
export const httpsUrl = z.url({ error: (i) => (i.input === undefined ? "is required (a full https:// URL)" : "must be a full URL (https://…)") }).refine((u) => {
  const url = new URL(u);
  return url.protocol === "https:" || (url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname));
}, "must use https:// (plain http is accepted only for localhost)");

const text = () => z.string({ error: (i) => (i.input === undefined ? "is required" : "must be text") }).min(1, "must not be empty");

const Platform = z.strictObject({
  /** Shown in messages and logs. */
  name: text(),
  /** The `iss` the platform puts in its tokens. */
  issuer: text(),
  /** The client id the platform gave this tool. */
  clientId: text(),
  /** Deployment ids accepted from this platform (each place the tool was installed). */
  deployments: z.array(text(), { error: (i) => (i.input === undefined ? "is required (a list of deployment ids)" : "must be a list of deployment ids") }).min(1, "list at least one deployment id"),
  /** The platform's OIDC authorisation endpoint (the second step of the launch). */
  authLoginUrl: httpsUrl,
  /** The platform's public keys (JWKS), which sign its launches. */
  keySetUrl: httpsUrl,
  /** The platform's OAuth 2 token endpoint: needed to send grades to its gradebook. */
  tokenUrl: httpsUrl.optional(),
  /** The course offered first when an instructor connects an LMS course of this platform (a suggestion: who may connect is checked). */
  course: text().optional(),
  /** Link a first launch to the existing (student) account with the email the platform vouches for. Off by default: never for staff or administrators. */
  trustEmail: z.boolean({ error: "must be true or false" }).default(false),
  /** The `aud` of the tool's token-request assertions when the platform wants another than its tokenUrl (Brightspace: its auth_audience). */
  authAudience: text().optional(),
  /** The origins whose pages show this tool in a frame (default: the issuer's and the authLoginUrl's): Canvas frames from the school's own domain. */
  frameOrigins: z.array(httpsUrl.transform((u) => new URL(u).origin), { error: "must be a list of https:// origins" }).optional(),
});
export type LtiPlatform = z.infer<typeof Platform>;

const PlatformsFile = z.strictObject({ platforms: z.array(Platform).min(1, "register at least one platform") });

/** A configuration error: start-up prints its message and stops. */
export class LtiConfigError extends ConfigError {}

/** Reads and checks the platforms file; throws with every problem at its line. */
export function loadLtiPlatforms(file: string | undefined): LtiPlatform[] {
  if (!file) return [];
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new LtiConfigError(`LTI_PLATFORMS_FILE=${file} cannot be read: ${(e as Error).message}`);
  }
  const r = parseYamlFile(PlatformsFile, text, file, { knownKeys: (p) => (p.length === 2 ? Object.keys(Platform.shape) : p.length === 0 ? ["platforms"] : undefined) });
  if (!r.data) throw new LtiConfigError(`LTI platforms file has problems:\n${r.issues.map((i) => `  ${i.path}:${i.line ?? 1}: ${i.message}`).join("\n")}`);
  const seen = new Map<string, number>();
  for (const [i, p] of r.data.platforms.entries()) {
    const key = `${p.issuer} ${p.clientId}`;
    if (seen.has(key)) throw new LtiConfigError(`${file}:${r.lineOf(["platforms", i])}: the same issuer and client id as the platform at line ${seen.get(key)}.`);
    seen.set(key, r.lineOf(["platforms", i]));
  }
  return r.data.platforms;
}
