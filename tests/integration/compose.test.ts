import fs from "node:fs";
import { parse } from "yaml";

const compose = parse(fs.readFileSync(new URL("../../docker-compose.yml", import.meta.url), "utf8"));

test("has PostgreSQL, web and worker services", () => {
  expect(Object.keys(compose.services).sort()).toEqual(["db", "web", "worker"]);
});

test("PostgreSQL uses the official image, a named volume and a pg_isready healthcheck", () => {
  const db = compose.services.db;
  expect(db.image).toMatch(/^postgres:\d+/);
  expect(db.volumes).toContain("pgdata:/var/lib/postgresql/data");
  expect(compose.volumes).toHaveProperty("pgdata");
  expect(db.healthcheck.test.join(" ")).toContain("pg_isready");
});

test("web and worker wait for a healthy database and are configured by environment", () => {
  for (const name of ["web", "worker"]) {
    const s = compose.services[name];
    expect(s.depends_on.db.condition).toBe("service_healthy");
    expect(s.environment.DATABASE_URL).toMatch(/^postgresql:\/\/.*@db:5432\//);
    expect(s.environment.NODE_ENV).toBe("production");
    expect(s.environment.SESSION_SECRET).toContain("SESSION_SECRET");
  }
  expect(compose.services.worker.command.join(" ")).toContain("src/worker.ts");
  expect(compose.services.worker.ports).toBeUndefined();
  // Workers read the files the web process stored: one data volume for both.
  for (const name of ["web", "worker"]) expect(compose.services[name].volumes).toContain("appdata:/app/.data");
  expect(compose.volumes).toHaveProperty("appdata");
});

test("web publishes port 3000 and is health-checked on /readyz", () => {
  const web = compose.services.web;
  expect(web.ports).toEqual(["${WEB_PORT:-3000}:3000"]);
  expect(web.environment.PORT).toBe("3000");
  expect(web.healthcheck.test.join(" ")).toContain("/readyz");
});

test("every file the image copies exists", () => {
  const dockerfile = fs.readFileSync(new URL("../../Dockerfile", import.meta.url), "utf8");
  const sources = [...dockerfile.matchAll(/^COPY (.+)$/gm)].flatMap(([, args]) => args!.trim().split(/\s+/).slice(0, -1));
  expect(sources).toEqual(expect.arrayContaining(["package.json", "package-lock.json", "prisma", "src", "views"]));
  for (const src of sources) expect([src, fs.existsSync(new URL(`../../${src}`, import.meta.url))]).toEqual([src, true]);
});
