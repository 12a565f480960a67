// Dates in content files: absolute local times, or steps from the course's start.
// Expected instants are worked out by hand from a calendar (America/Denver: MST = UTC−7,
// MDT = UTC−6 from 2027-03-14 02:00).
import { courseDateProblem, courseDateTime, resolveCourseDate } from "../../src/platform/course-dates.js";

const denver = (startsAt: string) => ({ timeZone: "America/Denver", startsAt: new Date(startsAt) });
const at = (text: string, startsAt: string) => resolveCourseDate(text, denver(startsAt)).toISOString();

test("an absolute local time is in the course's zone and ignores the start", () => {
  expect(at("2026-11-27T09:00", "2031-01-01T00:00:00Z")).toBe("2026-11-27T16:00:00.000Z");
  expect(resolveCourseDate("2026-11-27T09:00", { timeZone: "Europe/Berlin", startsAt: new Date() }).toISOString()).toBe("2026-11-27T08:00:00.000Z");
});

test("steps count from the start, each from the point the last one reached", () => {
  const start = "2026-12-01T11:26:00Z"; // Tuesday 04:26 MST
  expect(at("start", start)).toBe("2026-12-01T11:26:00.000Z");
  expect(at("friday 09:00", start)).toBe("2026-12-04T16:00:00.000Z");
  expect(at("Fri 09:00", start)).toBe("2026-12-04T16:00:00.000Z");
  expect(at("start, +1 day, friday 09:00", start)).toBe("2026-12-04T16:00:00.000Z");
  expect(at("start, +1 day, friday 09:00, monday 09:00", start)).toBe("2026-12-07T16:00:00.000Z");
  expect(at("start, +7 days, 23:59", start)).toBe("2026-12-09T06:59:00.000Z"); // Tue Dec 8, 23:59 MST
  expect(at("+2 weeks", start)).toBe("2026-12-15T11:26:00.000Z");
  expect(at("-1 day, 00:00", start)).toBe("2026-11-30T07:00:00.000Z");
});

test("a weekday step is strictly after its point, so a demo started on Friday morning still gets a day", () => {
  expect(at("friday 09:00", "2026-12-04T16:00:00Z")).toBe("2026-12-11T16:00:00.000Z"); // exactly Friday 09:00 → next week
  expect(at("friday 09:00", "2026-12-04T15:00:00Z")).toBe("2026-12-04T16:00:00.000Z"); // Friday 08:00 → in an hour
  expect(at("start, +1 day, friday 09:00", "2026-12-04T15:00:00Z")).toBe("2026-12-11T16:00:00.000Z");
  expect(at("start, +1 day, friday 09:00", "2026-12-03T15:00:00Z")).toBe("2026-12-04T16:00:00.000Z"); // Thursday 08:00 → 25 h
});

test("local times hold across a daylight-saving change", () => {
  expect(at("monday 09:00", "2027-03-12T17:00:00Z")).toBe("2027-03-15T15:00:00.000Z"); // 09:00 MDT
  expect(at("+7 days", "2027-03-10T17:00:00Z")).toBe("2027-03-17T16:00:00.000Z"); // 10:00 MST → 10:00 MDT
});

test("what is not a date gets a message its author can act on", () => {
  expect(courseDateProblem("2026-11-27T09:00")).toBeNull();
  expect(courseDateProblem("start, +1 day, friday 09:00")).toBeNull();
  expect(courseDateProblem("Friday")).toBe('"Friday" needs a time as HH:MM, such as "friday 09:00"');
  expect(courseDateProblem("friday 9am")).toBe('"friday 9am" needs a time as HH:MM, such as "friday 09:00"');
  expect(courseDateProblem("tomorrow")).toBe('"tomorrow" is not a step (start, +N days, +N weeks, a weekday with HH:MM, or HH:MM)');
  expect(courseDateProblem("+3 months")).toBe('"+3 months" is not a step (start, +N days, +N weeks, a weekday with HH:MM, or HH:MM)');
  expect(courseDateProblem("monday 09:00, start")).toBe('"start" can only be the first step');
  expect(courseDateProblem("2026-02-30T09:00")).toBe("2026-02-30T09:00 is not a real date");
  expect(courseDateProblem("24:00")).toBe('"24:00" is not a step (start, +N days, +N weeks, a weekday with HH:MM, or HH:MM)');
  const parsed = courseDateTime().safeParse("Friday");
  expect(parsed.success).toBe(false);
  expect(parsed.error!.issues[0]!.message).toBe('must be a local date and time such as 2026-11-27T09:00 (no time zone; the course\'s zone applies) or steps from the course\'s start such as "friday 09:00": "Friday" needs a time as HH:MM, such as "friday 09:00"');
  expect(() => resolveCourseDate("tomorrow", denver("2026-12-01T00:00:00Z"))).toThrow("not a course date: tomorrow");
});
