// Loaders fetch what the URL names together with the caller's right to see it,
// and put it on res.locals, or throw. Routes after them can rely on both.
import type { RequestHandler } from "express";
import { CourseRole } from "../platform/db/prisma.js";
import { Forbidden, NotFound } from "../platform/errors.js";
import type { CoursesService, LoadedCourse } from "./courses.service.js";
import { isUuid } from "../platform/text.js";
import { pageContext } from "../platform/page-context.js";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      course?: LoadedCourse;
    }
  }
}

export function loadCourse(courses: CoursesService): RequestHandler {
  return async (req, res, next) => {
    const { course, exists } = await courses.courseFor(pageContext(res, "user").user, String(req.params.courseSlug));
    if (!exists) throw new NotFound("There is no course at this address. Check the link, or pick a course from your home page.");
    if (!course) throw new Forbidden("You are not enrolled in this course. If you should be, ask your instructor to add you.");
    res.locals.course = course;
    next();
  };
}

export function requireCourseRole(...roles: CourseRole[]): RequestHandler {
  return (_req, res, next) => {
    if (!roles.includes(pageContext(res, "course").course.role)) {
      throw new Forbidden("This page is for course staff. If you need something from it, ask your instructor.");
    }
    next();
  };
}

export const requireStaff = requireCourseRole(CourseRole.INSTRUCTOR, CourseRole.GRADER);

/** A student page: visible to that student and to course staff, never to another student. */
export function loadStudent(courses: CoursesService): RequestHandler {
  return async (req, res, next) => {
    const { course, user: me } = pageContext(res, "course", "user");
    const userId = String(req.params.userId);
    if (course.role === CourseRole.STUDENT && userId !== me.id) {
      throw new Forbidden("You can only see your own pages.");
    }
    const member = isUuid(userId) ? await courses.member(course.id, userId) : null;
    if (!member || member.role !== CourseRole.STUDENT) throw new NotFound("There is no such student in this course.");
    res.locals.student = { id: member.user.id, name: member.user.name, email: member.user.email, lastSeenAt: member.user.lastSeenAt };
    next();
  };
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      student?: { id: string; name: string; email: string; lastSeenAt: Date | null };
    }
  }
}
