// Configuration from the environment, validated once at start-up. Each bad value
// is reported by name with what was expected, and the process exits non-zero.
import { z } from "zod";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" })
  .transform((v) => v === "true" || v === "1" || v === "yes");

const port = z.coerce.number({ message: "must be a number" }).int("must be a whole number").min(1, "must be 1–65535").max(65535, "must be 1–65535");

export const ConfigSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"], { message: "must be development, production or test" }).default("development"),
  HOST: z.string().min(1).default("0.0.0.0"),
  PORT: port.default(3000),
  PUBLIC_URL: z.url({ message: "must be a full URL such as https://course.example.edu" }).optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
    .optional(),
  DATA_DIR: z.string().min(1).default(".data"),
  CONTENT_DIR: z.string().min(1).default("content"),
  QUIZ_DIR: z.string().min(1).default("quizzes"),
  WATCH_CONTENT: bool.optional(),
  PG_PORT: port.default(55433),
  DB_WAIT_SECONDS: z.coerce.number({ message: "must be a number" }).min(0).max(600).default(10),
  SESSION_SECRET: z.string().min(32, "must be at least 32 characters (use a long random string)").optional(),
  SESSION_MAX_AGE_HOURS: z.coerce.number({ message: "must be a number" }).positive().max(24 * 30).default(12),
  COOKIE_SECURE: bool.optional(),
  TRUST_PROXY: z.string().default("loopback"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SEED_DEMO: bool.optional(),
  RUN_WORKER: bool.optional(),
  PREPARE_CASE_DATA: bool.default(true),
  GENERATED_DATA_SCALE: z.coerce.number({ message: "must be a number" }).gt(0, "must be above 0").max(1, "must be at most 1").default(1),
  GRADING_JOB_EXPIRE_SECONDS: z.coerce.number({ message: "must be a number" }).int().min(2).default(15 * 60),
  QUEUE_MAINTENANCE_SECONDS: z.coerce.number({ message: "must be a number" }).int().min(1).default(30),
  LOGIN_RATE_LIMIT: z.coerce.number({ message: "must be a number" }).int().min(1).default(10),
  LOGIN_ADDRESS_RATE_LIMIT: z.coerce.number({ message: "must be a number" }).int("must be a whole number").min(1, "must be at least 1").default(50),
  PASSWORD_HASH_CONCURRENCY: z.coerce.number({ message: "must be a number" }).int("must be a whole number").min(1, "must be at least 1").max(64).default(2),
  PASSWORD_HASH_QUEUE: z.coerce.number({ message: "must be a number" }).int("must be a whole number").min(0, "must be 0 or more").default(100),
  FAILED_UPLOADS_PER_DAY: z.coerce.number({ message: "must be a number" }).int("must be a whole number").min(1, "must be at least 1").default(10),
  FAILED_UPLOAD_RETENTION_DAYS: z.coerce.number({ message: "must be a number" }).min(0, "must be 0 or more").default(7),
  LTI_PLATFORMS_FILE: z.string().min(1).optional(),
});

export type Config = z.infer<typeof ConfigSchema> & { cookieSecure: boolean; seedDemo: boolean; watchContent: boolean; runWorker: boolean };

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ""));
  const parsed = ConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}=${JSON.stringify(env[String(i.path[0])] ?? "")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}\nSee the configuration table in README.md.`);
  }
  const c = parsed.data;
  if (c.NODE_ENV === "production" && !c.SESSION_SECRET) {
    throw new ConfigError("Invalid configuration:\n  SESSION_SECRET is required when NODE_ENV=production (at least 32 random characters).");
  }
  return {
    ...c,
    cookieSecure: c.COOKIE_SECURE ?? c.NODE_ENV === "production",
    // The demo's accounts have published passwords: never seeded in production unless asked for.
    seedDemo: c.SEED_DEMO ?? (c.NODE_ENV !== "production" && !c.DATABASE_URL),
    // With the embedded database (one machine) the web process grades too; elsewhere run `npm run worker`.
    runWorker: c.RUN_WORKER ?? !c.DATABASE_URL,
    watchContent: c.WATCH_CONTENT ?? c.NODE_ENV === "development",
  };
}
