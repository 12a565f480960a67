// The embedded PostgreSQL's superuser password: generated per installation into DATA_DIR (0600), never
// the published default, kept across restarts; a cluster made with the old default gets a generated one.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../../src/platform/db/embedded.js";
import { createLogger } from "../../src/platform/logger.js";
import { freePort } from "../helpers/test-database.js";

const logger = createLogger("silent", "embedded-test");
let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "cnn-embedded-"));
  fs.chmodSync(root, 0o755); // the postgres user must reach the data folder when tests run as root
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function canConnect(port: number, password: string): Promise<boolean> {
  const c = new pg.Client({ host: "127.0.0.1", port, user: "postgres", password, database: "postgres" });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

test("a fresh cluster gets a generated superuser password kept in DATA_DIR, and the old default is refused", async () => {
  const dataDir = path.join(root, "fresh", "pg");
  const port = await freePort();
  let db = await startEmbeddedPostgres({ dataDir, port, database: "app", logger });
  const file = path.join(root, "fresh", "pg.password");
  try {
    const password = fs.readFileSync(file, "utf8").trim();
    expect(password.length).toBeGreaterThanOrEqual(32); // 24 random bytes, base64url
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(decodeURIComponent(new URL(db.url).password)).toBe(password);
    expect(await canConnect(port, "password")).toBe(false);
    expect(await canConnect(port, password)).toBe(true);
    await db.stop();

    db = await startEmbeddedPostgres({ dataDir, port, database: "app", logger }); // a restart keeps it
    expect(fs.readFileSync(file, "utf8").trim()).toBe(password);
    expect(await canConnect(port, password)).toBe(true);
  } finally {
    await db.stop();
  }
});

test("a cluster made with the old published password gets a generated one at its next start", async () => {
  const dataDir = path.join(root, "legacy", "pg");
  const file = path.join(root, "legacy", "pg.password");
  const port = await freePort();
  let db = await startEmbeddedPostgres({ dataDir, port, database: "app", logger });
  // Make it what an installation from before looked like: the default password and no password file.
  const c = new pg.Client(db.url);
  await c.connect();
  await c.query("ALTER USER postgres PASSWORD 'password'");
  await c.end();
  await db.stop();
  fs.rmSync(file);

  db = await startEmbeddedPostgres({ dataDir, port, database: "app", logger });
  try {
    const password = fs.readFileSync(file, "utf8").trim();
    expect(password).not.toBe("password");
    expect(await canConnect(port, "password")).toBe(false);
    expect(await canConnect(port, password)).toBe(true);
    const app = new pg.Client(db.url); // the URL the app is given works
    await app.connect();
    expect((await app.query("SELECT current_database() AS d")).rows[0].d).toBe("app");
    await app.end();
  } finally {
    await db.stop();
  }
});
