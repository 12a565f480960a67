// What `npm run admin:create` and `npm run course:create` share: the database as the server
// finds it, and reading a password without showing it.
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { ConfigError, loadConfig } from "../platform/config.js";
import { HttpError } from "../platform/errors.js";
import { startRuntime, type Runtime } from "../platform/runtime.js";

export class UsageError extends Error {}

/**
 * DATABASE_URL, or the embedded database: the one a running server holds (reached with the
 * password it keeps in DATA_DIR/pg.password), else started for the command and stopped after it.
 * Stopping a running server's PostgreSQL, as a fresh start would, must not happen.
 */
export async function cliRuntime(name: string): Promise<Runtime> {
  process.env.LOG_LEVEL ??= "warn"; // the command prints its own result
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  if (!config.DATABASE_URL) {
    const url = await runningEmbedded(config.DATA_DIR, config.PG_PORT);
    if (url) process.env.DATABASE_URL = url;
  }
  return startRuntime(name);
}

async function runningEmbedded(dataDir: string, port: number): Promise<string | null> {
  let password: string;
  try {
    password = fs.readFileSync(path.join(dataDir, "pg.password"), "utf8").trim();
  } catch {
    return null;
  }
  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/app`;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return url;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Runs a command's work against the database, then exits: with the status the work returns (0 if
 * none), or 1 with the message on stderr when it is refused (a usage or HTTP-style error); anything
 * else is a crash, after the database is closed.
 */
export async function runCommand(name: string, work: (rt: Runtime) => Promise<number | void>): Promise<never> {
  const rt = await cliRuntime(name);
  let status: number;
  try {
    status = (await work(rt)) ?? 0;
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof HttpError)) throw e;
    process.stderr.write(`${e.message}\n`);
    status = 1;
  } finally {
    await rt.close();
  }
  process.exit(status);
}

export function fail(message: string, status = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(status);
}

/** The password: from --password-file (its first line), from a pipe (its first line), or typed at a prompt without echo (twice). */
export async function readPassword(passwordFile: string | undefined): Promise<string> {
  if (passwordFile) {
    try {
      return firstLine(fs.readFileSync(passwordFile, "utf8"));
    } catch (e) {
      throw new UsageError(`Cannot read the password file ${passwordFile}: ${(e as Error).message}`);
    }
  }
  if (!process.stdin.isTTY) {
    let text = "";
    for await (const chunk of process.stdin) text += String(chunk);
    return firstLine(text);
  }
  const first = await prompt("Password (at least 8 characters): ");
  const second = await prompt("The same password again: ");
  if (first !== second) throw new UsageError("The two passwords differ. Run the command again.");
  return first;
}

const firstLine = (text: string) => text.split(/\r?\n/)[0] ?? "";

function prompt(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    let value = "";
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") return done(new UsageError("Cancelled."));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else if (ch >= " ") value += ch;
      }
    };
    stdin.on("data", onData);
  });
}
