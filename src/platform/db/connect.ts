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
