import { Router } from "express";
import type { Db } from "./db/prisma.js";

export function healthRoutes({ db }: { db: Db }) {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (req, res) => {
    try {
      await db.$queryRaw`SELECT 1`;
      res.json({ status: "ready", database: "up" });
    } catch (err) {
      req.log.warn({ err }, "readiness check: database unreachable");
      res.status(503).json({ status: "unavailable", database: "down" });
    }
  });
  return router;
}
