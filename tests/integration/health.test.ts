import pg from "pg";
import request from "supertest";
import { createApp } from "../../src/app.js";
import { loadConfig } from "../../src/platform/config.js";
import { createPrisma } from "../../src/platform/db/prisma.js";
import { createLogger } from "../../src/platform/logger.js";
import { startTestApp, type TestApp } from "../helpers/app.js";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

test("/healthz and /readyz answer when the database is up", async () => {
  expect((await t.agent().get("/healthz")).body).toEqual({ status: "ok" });
  const ready = await t.agent().get("/readyz");
  expect(ready.status).toBe(200);
  expect(ready.body).toEqual({ status: "ready", database: "up" });
});

test("/readyz is 503 while the database is unreachable, /healthz stays up", async () => {
  const url = "postgresql://postgres:password@127.0.0.1:9/none"; // port 9: nothing listens
  const db = createPrisma(url);
  const pool = new pg.Pool({ connectionString: url });
  const app = createApp({ config: loadConfig({ NODE_ENV: "test", DATABASE_URL: url }), db, pool, logger: createLogger("silent"), sessionSecret: "x".repeat(40), contentDir: "content" });
  expect((await request(app).get("/healthz")).status).toBe(200);
  const ready = await request(app).get("/readyz");
  expect(ready.status).toBe(503);
  expect(ready.body).toEqual({ status: "unavailable", database: "down" });
  await pool.end();
  await db.$disconnect();
});
