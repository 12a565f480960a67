import { dueLabel } from "../../src/checklist/checklist.service.js";

describe("a checklist's due time in words, in the course's zone (Denver, MST = UTC−7 in November)", () => {
  const tz = "America/Denver";
  const due = new Date("2026-11-27T16:00:00Z"); // Fri 27 Nov 09:00 MST
  test.each([
    ["two days ahead: the weekday", "2026-11-25T19:00:00Z", "due Friday 9:00 MST"],
    ["a week ahead: the date", "2026-11-20T19:00:00Z", "due Fri, Nov 27, 9:00 MST"],
    ["at the moment itself: still due", "2026-11-27T16:00:00.000Z", "due Friday 9:00 MST"],
    // The same minute as the line above, half a second later: labels are kept per minute, but passing is exact.
    ["half a second later: was due", "2026-11-27T16:00:00.500Z", "was due Fri, Nov 27, 9:00 MST"],
    ["a day later", "2026-11-28T16:00:00Z", "was due Fri, Nov 27, 9:00 MST"],
  ])("%s", (_what, now, expected) => {
    expect(dueLabel(due, tz, new Date(now))).toBe(expected);
  });

  test("the same time in another course's zone is written in that zone", () => {
    expect(dueLabel(due, "Europe/Berlin", new Date("2026-11-25T19:00:00Z"))).toBe("due Friday 17:00 GMT+1");
  });
});
