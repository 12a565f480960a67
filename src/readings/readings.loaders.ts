import type { RequestHandler } from "express";
import { NotFound } from "../platform/errors.js";
import type { ReadingsService } from "./readings.service.js";
import { pageContext } from "../platform/page-context.js";

type ModuleRow = NonNullable<Awaited<ReturnType<ReadingsService["module"]>>>;
type ReadingRow = NonNullable<Awaited<ReturnType<ReadingsService["reading"]>>>;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      module?: ModuleRow;
      reading?: ReadingRow;
    }
  }
}

/** The module named in the URL, within the already-loaded (and so authorised) course. */
export function loadModule(readings: ReadingsService): RequestHandler {
  return async (req, res, next) => {
    const mod = await readings.module(pageContext(res, "course").course.id, String(req.params.moduleSlug));
    if (!mod) throw new NotFound("There is no such module in this course. Pick one from the course page.");
    res.locals.module = mod;
    next();
  };
}

export function loadReading(readings: ReadingsService): RequestHandler {
  return async (req, res, next) => {
    const reading = await readings.reading(pageContext(res, "module").module.id, String(req.params.readingSlug));
    if (!reading) throw new NotFound("There is no such reading in this module. It may have been renamed: go back to the module page.");
    res.locals.reading = reading;
    next();
  };
}
