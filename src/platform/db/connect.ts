import pg from "pg";

export class DatabaseUnreachable extends Error {}

function describe(url: string) {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return "the configured DATABASE_URL";
  }
}

/** Waits up to `seconds` for the database to accept a connection, then gives a clear error. */
export async function waitForDatabase(url: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  do {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      await client.end();
      return;
    } catch (e) {
      last = e;
      await client.end().catch(() => {});
      if (Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    }
  } while (Date.now() < deadline);
  const reason = last instanceof Error ? (("code" in last && last.code) || last.message) : String(last);
  throw new DatabaseUnreachable(
    `Cannot reach PostgreSQL at ${describe(url)} (${reason}) after ${seconds}s. ` +
      "Check that the server is running and that DATABASE_URL is right, or unset DATABASE_URL to use the embedded database.",
  );
}

/**
 * The pool the web process reads sessions and pages with (beside Prisma's). Its statements are prepared
 * once per connection and planned generically from their first run: they have fixed shapes (a session,
 * its user and the features' parts, keyed by ids), so PostgreSQL's default — plan each of the first five
 * runs for its own parameters before settling — only costs planning time (~4 ms a run for the session's
 * statement with the course page's parts). An `options` in the URL is kept.
 */
export function createSqlPool(url: string, max: number): pg.Pool {
  const generic = "-c plan_cache_mode=force_generic_plan";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return new pg.Pool({ connectionString: url, max, options: generic }); // pg says what is wrong at the first connection
  }
  // pg lets the URL's own parameters win over the config's: the URL's options move into the config, with ours after them.
  const fromUrl = parsed.searchParams.get("options");
  parsed.searchParams.delete("options");
  return new pg.Pool({ connectionString: parsed.toString(), max, options: [fromUrl, generic].filter(Boolean).join(" ") });
}
