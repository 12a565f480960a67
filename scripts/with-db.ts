// Runs a command with the embedded PostgreSQL up and DATABASE_URL set, e.g.
//   npm run migrate:dev -- --name add_quizzes
import { spawnSync } from "node:child_process";
import { loadConfig } from "../src/platform/config.js";
import { startEmbeddedPostgres } from "../src/platform/db/embedded.js";
import { createLogger } from "../src/platform/logger.js";

const [cmd, ...args] = process.argv.slice(2);
const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL, "with-db");
const pg = config.DATABASE_URL
  ? { url: config.DATABASE_URL, stop: async () => {} }
  : await startEmbeddedPostgres({ dataDir: `${config.DATA_DIR}/pg`, port: config.PG_PORT, database: "app", logger });
const r = spawnSync(cmd!, args, {
  stdio: "inherit",
  env: { ...process.env, DATABASE_URL: pg.url, PATH: `node_modules/.bin:${process.env.PATH}` },
});
await pg.stop();
process.exit(r.status ?? 1);
