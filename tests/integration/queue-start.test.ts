// The web process's grading queue is tried again until it starts: a database that comes up after
// the web process (here: a database created a moment later on the test's PostgreSQL) is picked up
// without a restart, and uploads are refused only until then.
import crypto from "node:crypto";
import pg from "pg";
import { pino } from "pino";
import { keepStartingQueue, runningQueue, startQueue } from "../../src/casestudy/queue.js";
import { until } from "../helpers/wait.js";

test("the grading queue is tried again until its database is there; until then no queue, and a 503 that says so", async () => {
  const name = `q_${crypto.randomBytes(6).toString("hex")}`;
  const server = new URL(process.env.TEST_TEMPLATE_URL!);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const admin = async (sql: string) => {
    const u = new URL(server);
    u.pathname = "/postgres";
    const c = new pg.Client({ connectionString: u.toString() });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  const logged: string[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void logged.push(JSON.parse(line).msg as string) });
  let started = 0;
  const grading = keepStartingQueue(() => startQueue(url.toString(), logger), async () => void started++, logger, 200);
  try {
    await grading.ready;
    expect(grading.current()).toBeNull();
    expect(logged).toContain("the grading queue could not start; uploads are refused until it does (trying again in 0 s)");
    expect(() => runningQueue(() => grading.current(), "Your upload was not kept and does not count.")).toThrow("The grading queue is not running. Your upload was not kept and does not count.");
    // The database appears: a later try starts the queue, and what runs on it, once.
    await admin(`CREATE DATABASE "${name}"`);
    const boss = await until(() => grading.current(), (b) => b !== null, 30_000, "the queue to start");
    expect(started).toBe(1);
    expect(logged).toContain("the grading queue started; uploads are accepted again");
    await boss!.send("score-submission", { submissionId: "00000000-0000-0000-0000-000000000000" });
  } finally {
    await grading.stop({ graceful: false, timeout: 2000 });
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
  expect(grading.current()).toBeNull();
});
