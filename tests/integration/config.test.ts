import { ConfigError, loadConfig } from "../../src/platform/config.js";

test("defaults give a development server on port 3000 with the embedded database and demo course", () => {
  const c = loadConfig({});
  expect(c).toMatchObject({ NODE_ENV: "development", PORT: 3000, DATA_DIR: ".data", cookieSecure: false, seedDemo: true });
  expect(c.DATABASE_URL).toBeUndefined();
});

test("DATABASE_URL switches off the demo seed unless asked for", () => {
  expect(loadConfig({ DATABASE_URL: "postgres://u:p@h/db" }).seedDemo).toBe(false);
  expect(loadConfig({ DATABASE_URL: "postgres://u:p@h/db", SEED_DEMO: "true" }).seedDemo).toBe(true);
});

test("production with the embedded database seeds no demo (published passwords) unless SEED_DEMO=true", () => {
  const prod = { NODE_ENV: "production", SESSION_SECRET: "x".repeat(40) };
  expect(loadConfig(prod).seedDemo).toBe(false);
  expect(loadConfig({ ...prod, SEED_DEMO: "true" }).seedDemo).toBe(true);
  expect(loadConfig({ NODE_ENV: "test" }).seedDemo).toBe(true);
});

test("each bad value is named with what was expected", () => {
  let message = "";
  try {
    loadConfig({ PORT: "eighty", DATABASE_URL: "mysql://x", LOG_LEVEL: "loud", SESSION_SECRET: "short" });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    message = (e as Error).message;
  }
  expect(message).toContain('PORT="eighty": must be a number');
  expect(message).toContain('DATABASE_URL="mysql://x": must start with postgres:// or postgresql://');
  expect(message).toContain('LOG_LEVEL="loud"');
  expect(message).toContain('SESSION_SECRET="short": must be at least 32 characters');
});

test("a port out of range is refused", () => {
  expect(() => loadConfig({ PORT: "70000" })).toThrow(/PORT="70000": must be 1–65535/);
});

test("production requires a session secret and uses secure cookies", () => {
  expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/SESSION_SECRET is required/);
  const c = loadConfig({ NODE_ENV: "production", SESSION_SECRET: "x".repeat(40), DATABASE_URL: "postgres://h/db" });
  expect(c.cookieSecure).toBe(true);
});

test("empty variables count as unset", () => {
  expect(loadConfig({ PORT: "", DATABASE_URL: "" }).PORT).toBe(3000);
});
