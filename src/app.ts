// The explicit route table: every mount, in order, readable top to bottom.
import express from "express";
import { pinoHttp } from "pino-http";
import crypto from "node:crypto";
import path from "node:path";
import type pg from "pg";
import { authRoutes } from "./auth/auth.routes.js";
import { AuthService } from "./auth/auth.service.js";
import { coursesRoutes } from "./courses/courses.routes.js";
import { CoursesService } from "./courses/courses.service.js";
import type { Config } from "./platform/config.js";
import type { Db } from "./platform/db/prisma.js";
import { errorHandler, notFoundHandler } from "./platform/errors.middleware.js";
import { healthRoutes } from "./platform/health.routes.js";
import { currentUser, securityHeaders, sessions } from "./platform/http.js";
import type { Logger } from "./platform/logger.js";
import { setupViews, VIEWS_DIR } from "./platform/views.js";

export interface AppDeps {
  config: Config;
  db: Db;
  /** A plain pg pool for the session store. */
  pool: pg.Pool;
  logger: Logger;
  sessionSecret: string;
}

export function createApp(deps: AppDeps) {
  const { config, db, pool, logger } = deps;
  const auth = new AuthService({ db });
  const courses = new CoursesService({ db });

  const app = express();
  app.set("trust proxy", config.TRUST_PROXY);
  app.disable("x-powered-by");
  setupViews(app);

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const id = crypto.randomUUID();
        res.setHeader("X-Request-Id", id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === "/healthz" || req.url === "/readyz" },
    }),
  );
  app.use(securityHeaders());
  app.use("/assets", express.static(path.join(VIEWS_DIR, "assets"), { maxAge: config.NODE_ENV === "production" ? "1d" : 0 }));
  app.use(healthRoutes({ db }));

  app.use(express.urlencoded({ extended: false, limit: "100kb", parameterLimit: 500 }));
  app.use(express.json({ limit: "100kb" }));
  app.use(sessions(config, pool, deps.sessionSecret));
  app.use(currentUser(auth));

  app.use(authRoutes({ auth, config }));
  app.use(coursesRoutes({ courses }));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
