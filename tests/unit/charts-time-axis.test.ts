// The leaderboard-over-time chart's time axis names minutes ("Thu 01:44"): its labels never repeat,
// however close together the uploads are.
import { lineChart } from "../../src/platform/charts.js";

/** The x axis's labels of a drawn line chart (the SVG's axis-label groups; the first is the x axis). */
function xLabels(svg: string): string[] {
  const axis = /role-axis-label[\s\S]*?<\/g><\/g>/.exec(svg)?.[0] ?? "";
  return [...axis.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

test.each([
  ["15 seconds", 15_000],
  ["a minute", 60_000],
  ["ten minutes", 600_000],
])("uploads %s apart: each label once, every one a minute of Thursday 3 December in Denver", async (_what, step) => {
  const t0 = Date.UTC(2026, 11, 3, 8, 44); // 01:44 in Denver (UTC−7)
  const svg = await lineChart([
    { label: "Stop Signs", points: [0, 2, 4].map((i) => ({ x: t0 + i * step, y: 0.5 + i * 0.05 })) },
    { label: "Yield Ahead", points: [1, 3].map((i) => ({ x: t0 + i * step, y: 0.4 })) },
  ], {
    xTitle: "Time (America/Denver)", yTitle: "Best public macro-F1", y: "score", description: "d", tableCaption: "c",
    xTime: { zoneOffsetMinutes: () => -420, format: (ms) => new Date(ms).toISOString() },
  });
  const labels = xLabels(svg).filter((l) => l !== "Time (America/Denver)");
  expect(labels.length).toBeGreaterThan(0);
  expect(new Set(labels).size).toBe(labels.length);
  for (const l of labels) expect(l).toMatch(/^Thu 0[12]:\d\d$/);
});

test("uploads over four weeks: ticks a week apart, each named by its date", async () => {
  const t0 = Date.UTC(2026, 10, 5, 17); // Thu 5 Nov 10:00 in Denver
  const day = 86_400_000;
  const svg = await lineChart([{ label: "Stop Signs", points: [0, 9, 18, 26].map((d, i) => ({ x: t0 + d * day, y: 0.5 + i * 0.05 })) }], {
    xTitle: "Time", yTitle: "F1", y: "score", description: "d", tableCaption: "c",
    xTime: { zoneOffsetMinutes: () => -420, format: (ms) => new Date(ms).toISOString() },
  });
  const labels = xLabels(svg).filter((l) => l !== "Time");
  expect(labels.length).toBeGreaterThan(1);
  expect(new Set(labels).size).toBe(labels.length);
  for (const l of labels) expect(l).toMatch(/^[A-Z][a-z]{2} \d{1,2} (Nov|Dec)$/);
});
