// The app's HTTP server makes each request and response on the app's own prototypes, so Express,
// which gives them those prototypes as they enter the app, has nothing left to change: its
// Object.setPrototypeOf calls set the prototype the objects already have. Everything else is
// Express as usual. Checked on a small app, and on the app createApp makes (its app.listen).
import http from "node:http";
import type { AddressInfo } from "node:net";
import express, { type Express } from "express";
import request from "supertest";
import pg from "pg";
import { createApp } from "../../src/app.js";
import { loadConfig } from "../../src/platform/config.js";
import { createPrisma } from "../../src/platform/db/prisma.js";
import { createHttpServer, listenWithAppPrototypes } from "../../src/platform/http-server.js";
import { createLogger } from "../../src/platform/logger.js";

function testApp() {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.get("/hello/:name", (req, res) => {
    res.cookie("seen", "1");
    res.json({
      name: req.params.name,
      query: req.query.q,
      requestIsApps: Object.getPrototypeOf(req) === app.request,
      responseIsApps: Object.getPrototypeOf(res) === app.response,
      isNodeRequest: req instanceof http.IncomingMessage,
      isNodeResponse: res instanceof http.ServerResponse,
      get: req.get("x-test"),
    });
  });
  app.post("/echo", (req, res) => res.redirect(303, `/hello/${encodeURIComponent(String((req.body as { name?: string }).name))}`));
  return app;
}

/** The prototype changes Object.setPrototypeOf makes while `run` runs: calls that set the prototype an object already has are not counted. */
async function prototypeChanges(run: () => Promise<unknown>) {
  const original = Object.setPrototypeOf;
  let changes = 0;
  Object.setPrototypeOf = (o: object, proto: object | null) => {
    if (Object.getPrototypeOf(o) !== proto) changes++;
    return original(o, proto);
  };
  try {
    await run();
  } finally {
    Object.setPrototypeOf = original;
  }
  return changes;
}

test("Express's own server changes two prototypes per request (what this server avoids)", async () => {
  const app = testApp();
  const changes = await prototypeChanges(() => request(http.createServer(app)).get("/hello/ada").expect(200));
  expect(changes).toBe(2);
});

test("on the app's server, requests and responses start with the app's prototypes: none is changed, and Express works as before", async () => {
  const app = testApp();
  const server = createHttpServer(app);
  let res: request.Response | undefined;
  const changes = await prototypeChanges(async () => {
    res = await request(server).get("/hello/ada?q=1").set("X-Test", "yes").expect(200);
  });
  expect(changes).toBe(0);
  expect(res!.body).toEqual({ name: "ada", query: "1", requestIsApps: true, responseIsApps: true, isNodeRequest: true, isNodeResponse: true, get: "yes" });
  expect(res!.headers["set-cookie"]).toEqual(["seen=1; Path=/"]);
  const posted = await request(server).post("/echo").type("form").send({ name: "grace hopper" }).expect(303);
  expect(posted.headers.location).toBe("/hello/grace%20hopper");
});

test("app.listen made by listenWithAppPrototypes listens on that server, and its callback hears a failure to listen", async () => {
  const app: Express = testApp();
  app.listen = listenWithAppPrototypes(app);
  const server = await new Promise<http.Server>((resolve, reject) => {
    const s = app.listen(0, "127.0.0.1", (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  try {
    const { port } = server.address() as AddressInfo;
    const changes = await prototypeChanges(async () => {
      const r = await fetch(`http://127.0.0.1:${port}/hello/ada`);
      expect((await r.json()).requestIsApps).toBe(true);
    });
    expect(changes).toBe(0);
    // The same port again: the callback gets the error, on the server, once, as with Express's own listen.
    const calls: { err: unknown; self: unknown }[] = [];
    let again: http.Server | undefined;
    await new Promise<void>((resolve) => {
      again = app.listen(port, "127.0.0.1", function (this: unknown, err?: Error) {
        calls.push({ err, self: this });
        resolve();
      });
    });
    again!.emit("listening"); // what server.listen's own callback hears: the wrapped callback was called already
    expect(calls).toHaveLength(1);
    expect((calls[0]!.err as NodeJS.ErrnoException).code).toBe("EADDRINUSE");
    expect(calls[0]!.self).toBe(again);
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test("the app createApp makes listens on that server: its requests have no prototype changed", async () => {
  // No database is reached: /healthz answers without one (tests/integration/health.test.ts).
  const url = "postgresql://postgres:password@127.0.0.1:9/none";
  const db = createPrisma(url);
  const pool = new pg.Pool({ connectionString: url });
  const app = createApp({ config: loadConfig({ NODE_ENV: "test", DATABASE_URL: url }), db, pool, logger: createLogger("silent"), sessionSecret: "x".repeat(40), contentDir: "content" });
  const server = app.listen(0, "127.0.0.1");
  try {
    await new Promise((r) => server.once("listening", r));
    const { port } = server.address() as AddressInfo;
    const changes = await prototypeChanges(async () => {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(r.status).toBe(200);
    });
    expect(changes).toBe(0);
  } finally {
    await new Promise((r) => server.close(r));
    await pool.end();
    await db.$disconnect();
  }
});
