// The explicit route table: every mount, in order, readable top to bottom.
import express from "express";
import { pinoHttp } from "pino-http";
import crypto from "node:crypto";
import path from "node:path";
import type pg from "pg";
import type PgBoss from "pg-boss";
import { adminRoutes, setupGate } from "./admin/admin.routes.js";
import { AdminService } from "./admin/admin.service.js";
import { authRoutes } from "./auth/auth.routes.js";
import { AuthService } from "./auth/auth.service.js";
import { HashGate } from "./auth/hash.gate.js";
import { ChecklistService } from "./checklist/checklist.service.js";
import { systemClock, type Clock } from "./platform/clock.js";
import { checklistRoutes } from "./checklist/checklist.routes.js";
import { loadCourse } from "./courses/courses.loaders.js";
import { homeRoutes } from "./courses/courses.routes.js";
import { peopleRoutes } from "./courses/people.routes.js";
import { RosterService } from "./courses/roster.service.js";
import { modulePages } from "./week/module.routes.js";
import { coursePages } from "./week/week.routes.js";
import { CoursesService, coursesInSession } from "./courses/courses.service.js";
import { weekPagesInSession } from "./week/week.session.js";
import type { Config } from "./platform/config.js";
import type { Db } from "./platform/db/prisma.js";
import { errorHandler, notFoundHandler } from "./platform/errors.middleware.js";
import { healthRoutes } from "./platform/health.routes.js";
import { listenWithAppPrototypes } from "./platform/http-server.js";
import { currentUser, noStore, refuseNul, requireUser, securityHeaders, sessions } from "./platform/http.js";
import { requestLogSerializer, responseLogSerializer, type Logger } from "./platform/logger.js";
import { ROOT, setupViews, VIEWS_DIR } from "./platform/views.js";
import { contentAssets } from "./content/content.assets.js";
import { dashboardRoutes } from "./dashboard/dashboard.routes.js";
import { DashboardService } from "./dashboard/dashboard.service.js";
import { loadLtiPlatforms, type LtiPlatform } from "./lti/lti.platforms.js";
import { toolKeySource } from "./lti/lti.keys.js";
import { ltiFraming } from "./lti/lti.frames.js";
import { ltiEgressFor, type LtiEgress } from "./lti/lti.egress.js";
import { LtiLineItems } from "./lti/lti.lineitems.js";
import { LtiRegistrations } from "./lti/lti.registration.js";
import { ltiRegistrationRoutes } from "./lti/lti.registration.routes.js";
import { gradeEventsWithLti } from "./lti/lti.outbox.js";
import { ltiRoutes } from "./lti/lti.routes.js";
import { LtiRoster } from "./lti/lti.roster.js";
import { LtiService } from "./lti/lti.service.js";
import { reviewsRoutes } from "./reviews/reviews.routes.js";
import { ReviewsService } from "./reviews/reviews.service.js";
import { quizMarkingRoutes } from "./quiz/quiz.marking.routes.js";
import { QuizMarkingService } from "./quiz/quiz.marking.service.js";
import { quizRoutes } from "./quiz/quiz.routes.js";
import { quizPreviewRoutes } from "./quiz/quiz.preview.js";
import { quizStatsRoutes } from "./quiz/quiz.stats.routes.js";
import { QuizService } from "./quiz/quiz.service.js";
import { readingsRoutes } from "./readings/readings.routes.js";
import { caseStudyRoutes } from "./casestudy/casestudy.routes.js";
import { submissionsRoutes } from "./casestudy/submissions.routes.js";
import { SubmissionsService } from "./casestudy/submissions.service.js";
import { ReadingsService } from "./readings/readings.service.js";
import { ContentCache } from "./platform/content-cache.js";
import { syncContent } from "./content/content.sync.js";

export interface AppDeps {
  config: Config;
  db: Db;
  /** A plain pg pool for the session store. */
  pool: pg.Pool;
  logger: Logger;
  sessionSecret: string;
  /** Where module readings live (content/). */
  contentDir: string;
  clock?: Clock;
  /** The grading queue, once started (null while it is not). */
  boss?: () => PgBoss | null;
  /** LMS platforms registered for LTI (default: read from LTI_PLATFORMS_FILE). */
  ltiPlatforms?: LtiPlatform[];
  /** The one-time set-up token (production, no administrator yet); see admin.setup.ts. */
  setupToken?: string;
  /** Where requests to LMS platforms may connect (default: ltiEgressFor(NODE_ENV): a Dynamic Registration's platform only to public addresses). */
  ltiEgress?: LtiEgress;
}

export function createApp(deps: AppDeps) {
  const { config, db, pool, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const auth = new AuthService({ db, clock, gate: new HashGate({ concurrency: config.PASSWORD_HASH_CONCURRENCY, queue: config.PASSWORD_HASH_QUEUE }) });
  // Content rows cached until the next sync (by any process): see platform/content-cache.ts.
  const content = new ContentCache();
  const courses = new CoursesService({ db, sql: pool, content });
  const readings = new ReadingsService({ db, content });
  const checklist = new ChecklistService({ db, sql: pool, clock, content });
  // Grade changes reach the LMS gradebook through the outbox the LTI side subscribes with.
  const grades = gradeEventsWithLti();
  const quizzes = new QuizService({ db, sql: pool, clock, grades });
  const submissions = new SubmissionsService({ db, clock, dataDir: config.DATA_DIR, failuresPerDay: config.FAILED_UPLOADS_PER_DAY, failedRetentionDays: config.FAILED_UPLOAD_RETENTION_DAYS });
  const dashboard = new DashboardService({ db });
  const roster = new RosterService({ db });
  const reviews = new ReviewsService({ db, clock });
  const ltiPlatforms = deps.ltiPlatforms ?? loadLtiPlatforms(config.LTI_PLATFORMS_FILE);
  const ltiEgress = deps.ltiEgress ?? ltiEgressFor(config.NODE_ENV);
  const lti = new LtiService({ db, clock, platforms: ltiPlatforms, publicOrigin: config.PUBLIC_URL ? new URL(config.PUBLIC_URL).origin : null, egress: ltiEgress });
  const toolKey = toolKeySource(config.DATA_DIR);
  const ltiRoster = new LtiRoster({ db, clock, platforms: ltiPlatforms, toolKey, egress: ltiEgress });
  const ltiLineItems = new LtiLineItems({ db, clock, platforms: ltiPlatforms, toolKey, egress: ltiEgress });
  const ltiRegistrations = lti.publicOrigin ? new LtiRegistrations({ db, publicOrigin: lti.publicOrigin, platforms: lti.platforms, egress: ltiEgress }) : null;
  // A course made by the administrator picks up the content files that name it: the start-up sync, run again.
  const admin = new AdminService({
    db,
    syncContent: () => syncContent({ db, contentDir: deps.contentDir, quizDir: config.QUIZ_DIR, dataDir: config.DATA_DIR, prepareData: config.PREPARE_CASE_DATA, dataScale: config.GENERATED_DATA_SCALE, logger, grades }),
  });

  const app = express();
  // Its server makes requests and responses on the app's prototypes: Express then has none to change (platform/http-server.ts).
  app.listen = listenWithAppPrototypes(app);
  app.set("trust proxy", config.TRUST_PROXY);
  app.disable("x-powered-by");
  // No ETag on what res.send sends (pages, JSON, CSV): each is the signed-in user's own, made
  // afresh; hashing every body to answer a rare revalidation costs more than it saves. Files keep
  // theirs: express.static, and res.sendFile/download, which follow app.enabled("etag") (still true).
  app.set("etag", () => undefined);
  setupViews(app, { watch: config.NODE_ENV === "development" });

  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const id = crypto.randomUUID();
        res.setHeader("X-Request-Id", id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === "/healthz" || req.url === "/readyz" },
      serializers: { req: requestLogSerializer, res: responseLogSerializer },
    }),
  );
  app.use(securityHeaders());
  const maxAge = config.NODE_ENV === "production" ? "1d" : 0;
  app.use("/assets", express.static(path.join(VIEWS_DIR, "assets"), { maxAge }));
  app.use("/assets/vendor/hljs", express.static(path.join(ROOT, "node_modules/highlight.js/styles"), { maxAge }));
  app.use("/content", contentAssets(deps.contentDir));
  app.use(noStore);
  app.use(healthRoutes({ db }));
  app.use(express.urlencoded({ extended: false, limit: "100kb", parameterLimit: 500 }));
  app.use(express.json({ limit: "100kb" }));
  app.use(refuseNul);
  // The signed-in context read with the session in one statement: the user's courses and roles, and
  // on a student's course, week, module and reading pages their own state there (week/week.session.ts).
  app.use(sessions(config, pool, deps.sessionSecret, [coursesInSession, ...weekPagesInSession()], logger));
  app.use(currentUser(auth));
  // Pages an LMS may show in its frame: /lti/* and the pages of LTI-launched sessions (CSP frame-ancestors).
  app.use(ltiFraming(lti.platforms));
  app.use(setupGate(admin));
  const course = express.Router({ mergeParams: true });
  // The module and reading pages first: the pages students open most, and a request pays a pass through
  // each router mounted before its own (their routes are GETs under /modules/, where coursePages and
  // peopleRoutes have none, so the order changes no route).
  course.use(modulePages({ sql: pool, readings, checklist, quizzes }));
  course.use(coursePages({ sql: pool, courses, readings, quizzes, submissions, checklist, reviews, lmsLinked: async () => !!lti.publicOrigin && (await lti.enabled()) }));
  course.use(peopleRoutes({ courses, roster, auth, clock, publicUrl: config.PUBLIC_URL }));
  course.use(readingsRoutes({ readings }));
  course.use(checklistRoutes({ readings, checklist }));
  // Before quizRoutes: it adds the staff's mark changes to the attempt review that quizRoutes renders.
  course.use(quizMarkingRoutes({ marking: new QuizMarkingService({ db, clock, grades }), quizzes, courses }));
  course.use(quizRoutes({ quizzes, courses, reviews }));
  course.use(quizPreviewRoutes({ quizzes }));
  course.use(quizStatsRoutes({ quizzes }));
  course.use(dashboardRoutes({ dashboard, courses, quizzes, submissions, readings, reviews }));
  course.use(caseStudyRoutes({ submissions, courses, boss: deps.boss ?? (() => null), dataDir: config.DATA_DIR }));
  course.use(submissionsRoutes({ submissions, courses, reviews, boss: deps.boss ?? (() => null), dataDir: config.DATA_DIR }));
  course.use(reviewsRoutes({ reviews }));
  // The course's pages are most of the traffic: mounted before the routers of sign-in, LTI, admin
  // and home, whose routes (none under /courses/, a test checks) each request would otherwise try.
  app.use("/courses/:courseSlug", requireUser, loadCourse(courses), course);
  app.use(adminRoutes({ admin, config, setupToken: deps.setupToken }));

  app.use(authRoutes({ auth, config, secret: deps.sessionSecret }));
  app.use(ltiRegistrationRoutes({ registrations: ltiRegistrations, publicOrigin: lti.publicOrigin }));
  app.use(ltiRoutes({ lti, roster: ltiRoster, lineItems: ltiLineItems, config, toolKey, checkPassword: (email, password) => auth.authenticate(email, password).then((u) => u?.id ?? null) }));
  app.use(homeRoutes({ courses }));

  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
