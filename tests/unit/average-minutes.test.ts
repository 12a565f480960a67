// The average time on a quiz, as the statistics page and the dashboard write it.
import { averageMinutes } from "../../src/quiz/quiz.present.js";

test("minutes with one decimal; no time at all is 0.0 minutes, not a dash; no timed attempt is none", () => {
  expect(averageMinutes(90)).toBe("1.5");
  expect(averageMinutes(1500)).toBe("25.0");
  expect(averageMinutes(0)).toBe("0.0");
  expect(averageMinutes(null)).toBeNull();
});
