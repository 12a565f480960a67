import crypto from "node:crypto";
import pg from "pg";
import { createPrisma, type Db } from "../../src/platform/db/prisma.js";

export interface TestDb {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

function templateUrl(): URL {
  const url = process.env.TEST_TEMPLATE_URL;
  if (!url) throw new Error("TEST_TEMPLATE_URL is not set: run the tests with `npm test` (its global setup starts PostgreSQL).");
  return new URL(url);
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const u = templateUrl();
  u.pathname = "/postgres";
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated, empty database of the test file's own. */
export async function createTestDb(): Promise<TestDb> {
  const name = `t_${crypto.randomBytes(6).toString("hex")}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE test_template`));
  const u = templateUrl();
  u.pathname = `/${name}`;
  const url = u.toString();
  const db = createPrisma(url);
  return {
    url,
    db,
    async drop() {
      await db.$disconnect();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
