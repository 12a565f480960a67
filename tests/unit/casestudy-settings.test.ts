// CaseStudy.settings (a JSON column) is checked against its schema when read, not cast.
import { settingsOf } from "../../src/casestudy/submissions.service.js";

const stored = {
  title: "Traffic signs",
  deadline: "2026-12-07T09:00",
  data: { generate: { seed: 2026, trainPerClass: 120, miniHoldout: 215, holdout: 12630 } },
  points: { metric: "macroF1", zeroAt: 0.79, fullAt: 0.91, max: 100 },
  limits: { perDay: 5, total: 50, cooldownMinutes: 10, finalSubmissions: 2, maxUploadMb: 200 },
};

test("stored settings as the sync writes them read back unchanged", () => {
  expect(settingsOf({ settings: stored })).toEqual(stored);
});

test("stored settings written before a field had a default get the default (points.max 100)", () => {
  const { points, ...rest } = stored;
  expect(settingsOf({ settings: { ...rest, points: { metric: points.metric, zeroAt: 0.79, fullAt: 0.91 } } }).points.max).toBe(100);
});

test("stored settings that do not fit the schema are refused with what is wrong and what to do", () => {
  expect(() => settingsOf({ settings: { title: "Traffic signs", points: { max: "a hundred" } } })).toThrow(/deadline.*points\.max.*sync the content again/s);
  expect(() => settingsOf({ settings: null })).toThrow(/sync the content again/);
});
