// What `npm start` and `npm run worker` share: config, logger, the database
// (embedded unless DATABASE_URL is set), migrations. Each failure has a clear message.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { createSqlPool, DatabaseUnreachable, waitForDatabase } from "./db/connect.js";
import { EmbeddedPostgresError, startEmbeddedPostgres } from "./db/embedded.js";
import { migrateDeploy } from "./db/migrate.js";
import { createPrisma, type Db } from "./db/prisma.js";
import { createLogger, type Logger } from "./logger.js";

export interface Runtime {
  config: Config;
  logger: Logger;
  db: Db;
  pool: pg.Pool;
  databaseUrl: string;
  /** Closes database connections and stops the embedded server, if one was started. */
  close(): Promise<void>;
}

/** Errors we expect at start-up print only their message; anything else prints the stack. */
export function failStartup(err: unknown, logger?: Logger): never {
  const known = err instanceof ConfigError || err instanceof DatabaseUnreachable || err instanceof EmbeddedPostgresError || err instanceof StartupError;
  const text = known ? (err as Error).message : err instanceof Error ? err.stack : String(err);
  if (logger && !known) logger.fatal({ err }, "start-up failed");
  process.stderr.write(`\nCould not start: ${text}\n\n`);
  process.exit(1);
}

export class StartupError extends Error {}

export async function startRuntime(name: string): Promise<Runtime> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    failStartup(e);
  }
  const logger = createLogger(config.LOG_LEVEL, name);
  let embedded: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  try {
    let url = config.DATABASE_URL;
    if (!url) {
      embedded = await startEmbeddedPostgres({ dataDir: path.join(config.DATA_DIR, "pg"), port: config.PG_PORT, database: "app", logger });
      url = embedded.url;
    }
    await waitForDatabase(url, config.DB_WAIT_SECONDS);
    const t0 = Date.now();
    await migrateDeploy(url);
    logger.info({ ms: Date.now() - t0 }, "database migrations applied");
    const db = createPrisma(url);
    // Every signed-in request reads its session (and the signed-in context) on this pool, and a
    // page its own statement: as many connections as Prisma's pool (pg's default, 10), which is
    // also what bench:readings measures with.
    const pool = createSqlPool(url, 10);
    pool.on("error", (err) => logger.error({ err }, "idle database connection failed"));
    return {
      config,
      logger,
      db,
      pool,
      databaseUrl: url,
      async close() {
        await db.$disconnect().catch((err) => logger.warn({ err }, "closing Prisma"));
        await pool.end().catch((err) => logger.warn({ err }, "closing the session pool"));
        await embedded?.stop();
      },
    };
  } catch (e) {
    await embedded?.stop();
    failStartup(e, logger);
  }
}

/** SESSION_SECRET, or one generated once and kept in DATA_DIR so sessions survive restarts. */
export function sessionSecret(config: Config): string {
  if (config.SESSION_SECRET) return config.SESSION_SECRET;
  const file = path.join(config.DATA_DIR, "session-secret");
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8").trim();
  fs.mkdirSync(config.DATA_DIR, { recursive: true });
  const secret = crypto.randomBytes(32).toString("base64url");
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
