import type { CourseRole } from "../platform/db/prisma.js";

export const ROLE_LABEL: Record<CourseRole, string> = { STUDENT: "Student", INSTRUCTOR: "Instructor", GRADER: "Grader" };
