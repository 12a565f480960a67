// The cache of drawn charts counts each chart once, even when two requests draw the same chart at
// the same moment (the second replaces the first): a drifting count would end the cache's use.
import { barChart, drawnChartsCache } from "../../src/platform/charts.js";

test("the same chart drawn by two requests at once is counted once", async () => {
  const o = { xTitle: "Score", yTitle: "Students", description: "Quiz scores", tableCaption: "Quiz scores" };
  const bars = [{ label: "0–10%", count: 3 }, { label: "10–20%", count: 5 }];
  const [a, b] = await Promise.all([barChart(bars, o), barChart(bars, o)]);
  expect(a).toBe(b);
  const cache = drawnChartsCache();
  expect(cache.entries).toBe(1);
  expect(cache.countedBytes).toBe(cache.actualBytes);
});
