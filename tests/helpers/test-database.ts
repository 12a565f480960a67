// Jest's global setup: one embedded PostgreSQL for the whole run, on a free port with its own data
// folder (never the dev server's), migrated once into a template database that
// each test file clones (tests/helpers/db.ts).
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../../src/platform/db/embedded.js";
import { migrateDeploy } from "../../src/platform/db/migrate.js";
import { createLogger } from "../../src/platform/logger.js";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts the run's PostgreSQL, sets TEST_TEMPLATE_URL for the test workers, and returns how to stop it. */
export async function startTestDatabase() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cnn-test-pg-"));
  fs.chmodSync(dataDir, 0o755);
  const pg = await startEmbeddedPostgres({
    dataDir: path.join(dataDir, "pg"),
    port: await freePort(),
    database: "test_template",
    logger: createLogger("warn", "test-db"),
  });
  await migrateDeploy(pg.url);
  process.env.TEST_TEMPLATE_URL = pg.url;
  return {
    async stop() {
      await pg.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
