// Every chart of the app, drawn on the server by Vega-Lite (specs compiled by vega-lite,
// rendered to an SVG string by vega with no canvas and no script), so axes, scales and
// legends come from one tested library and the strict CSP holds: Vega writes
// presentation attributes (fill, font-size), never style attributes.
//
// Each chart is an SVG that scales to its container (viewBox, width 100%; the drawing is
// about as wide as a phone's column, so its 14-unit text stays at 12 px or more there),
// with role="img" and an aria-label that says what it shows, followed by its numbers in a
// real <table> inside <details> for keyboard and screen-reader users.
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { escapeHtml as esc } from "./text.js";

/** The drawing's width in SVG units (the plot is narrower: axes and legend take the rest). */
const WIDTH = 340;
const FONT = 14;
/** Colours that keep 3:1 against white, told apart also by dash pattern or legend position. */
const COLOURS = ["#0b5cad", "#9a6700", "#1a7f37", "#8250df", "#cf222e", "#57606a"];
const DASHES = [[1, 0], [6, 3], [2, 3], [8, 3, 2, 3], [1, 2], [10, 4]];

const CONFIG = {
  font: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
  // The SVG as a whole is one image with an aria-label; the marks inside say nothing of their own.
  aria: false,
  background: "#ffffff",
  padding: 4,
  view: { stroke: null },
  axis: { labelFontSize: FONT, titleFontSize: FONT, titleFontWeight: 600, labelColor: "#24292f", titleColor: "#24292f", gridColor: "#d0d7de", domainColor: "#57606a", tickColor: "#57606a", labelOverlap: true },
  legend: { labelFontSize: FONT, titleFontSize: FONT, titleFontWeight: 600, labelColor: "#24292f", titleColor: "#24292f", orient: "bottom", direction: "horizontal", labelLimit: 300 },
  text: { fontSize: FONT, fill: "#24292f" },
};

export interface DataTable {
  caption: string;
  columns: string[];
  rows: (string | number)[][];
}

export interface ChartOptions {
  /** One sentence for the SVG's aria-label: what the chart shows, with its key figures. */
  description: string;
  /** The same numbers as a table, shown under the chart in a <details>. */
  table: DataTable;
}

function tableHtml(t: DataTable): string {
  const head = t.columns.map((c) => `<th scope="col">${esc(c)}</th>`).join("");
  const body = t.rows.map((r) => `<tr>${r.map((v, i) => (i === 0 ? `<th scope="row">${esc(String(v))}</th>` : `<td>${esc(String(v))}</td>`)).join("")}</tr>`).join("");
  return `<details class="chart-data"><summary>Table: ${esc(t.caption)}</summary><div class="table-wrap"><table><caption class="visually-hidden">${esc(t.caption)}</caption>` +
    `<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div></details>`;
}

/**
 * Charts already drawn, by everything that goes into them (the spec with its data, the
 * label, the table): the same inputs always give the same markup, so a hit is never stale,
 * and changed data is a new key. Drawing costs tens of milliseconds per chart, a hit
 * nothing. Least recently used first out, within a byte budget.
 */
const drawn = new Map<string, string>();
let drawnBytes = 0;
const DRAWN_BUDGET = 16 * 1024 * 1024;

/** What the cache of drawn charts holds, and what it counts (for tests and diagnostics). */
export function drawnChartsCache(): { entries: number; countedBytes: number; actualBytes: number } {
  let actualBytes = 0;
  for (const [k, v] of drawn) actualBytes += k.length + v.length;
  return { entries: drawn.size, countedBytes: drawnBytes, actualBytes };
}

function remember(key: string, html: string) {
  // Two requests may draw the same chart at once: the second replaces the first, counted once.
  const old = drawn.get(key);
  if (old !== undefined) drawnBytes -= key.length + old.length;
  drawn.set(key, html);
  drawnBytes += key.length + html.length;
  for (const [k, v] of drawn) {
    if (drawnBytes <= DRAWN_BUDGET) break;
    drawn.delete(k);
    drawnBytes -= k.length + v.length;
  }
}

/** Renders a Vega-Lite spec to SVG markup made responsive and labelled, followed by its data table. */
async function render(spec: TopLevelSpec, o: ChartOptions, kind: string): Promise<string> {
  const key = JSON.stringify([kind, spec, o]);
  const hit = drawn.get(key);
  if (hit !== undefined) {
    drawn.delete(key);
    drawn.set(key, hit);
    return hit;
  }
  const html = await draw(spec, o, kind);
  remember(key, html);
  return html;
}

async function draw(spec: TopLevelSpec, o: ChartOptions, kind: string): Promise<string> {
  const { spec: vg } = compile({ ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec);
  // Two legends under a chart go one above the other, not side by side (wider than a phone).
  vg.config = { ...vg.config, legend: { ...vg.config?.legend, layout: { bottom: { anchor: "start", direction: "vertical", margin: 8 } } } };
  const view = new vega.View(vega.parse(vg), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    // Vega's root element: <svg xmlns… class="marks" width="W" height="H" viewBox="0 0 W H">.
    const labelled = svg.replace(/^<svg([^>]*?) class="marks" width="[\d.]+" height="[\d.]+" (viewBox="[^"]+")>/,
      (_m, ns: string, viewBox: string) => `<svg${ns} class="chart ${kind}" width="100%" ${viewBox} role="img" aria-label="${esc(o.description)}" focusable="false">`);
    if (labelled === svg) throw new Error("charts: Vega's SVG root element changed shape");
    // Inside the one labelled image, Vega's own ARIA roles (graphics-symbol, without names) would be
    // unnamed images to a screen reader and to axe: the marks are drawing only.
    const root = labelled.indexOf(">") + 1;
    const inner = labelled.slice(root).replace(/ (?:role|aria-roledescription|aria-label|aria-hidden)="[^"]*"/g, "");
    return `<div class="chart-box">${labelled.slice(0, root)}${inner}</div>${tableHtml(o.table)}`;
  } finally {
    view.finalize();
  }
}

export const percent = (share: number, digits = 0) => `${(share * 100).toFixed(digits)}%`;

/** "No data yet." in place of a chart with nothing to draw. */
export const EMPTY_CHART = `<p class="muted chart-empty">No data yet.</p>`;

/** Vertical bars of counts per category (a histogram of bins), each bar with its count above it. */
export async function barChart(bars: { label: string; count: number }[], o: { xTitle: string; yTitle: string; description: string; tableCaption: string }): Promise<string> {
  if (bars.every((b) => b.count === 0)) return EMPTY_CHART;
  const max = Math.max(...bars.map((b) => b.count));
  const values = bars.map((b, i) => ({ ...b, i }));
  return render({
    width: WIDTH - 60, height: 180, data: { values },
    encoding: {
      x: { field: "label", type: "ordinal", sort: null, title: o.xTitle, axis: { labelAngle: -45 } },
      y: { field: "count", type: "quantitative", title: o.yTitle, scale: { domain: [0, max * 1.15] }, axis: { tickMinStep: 1, format: "d" } },
    },
    layer: [
      { mark: { type: "bar", color: COLOURS[0] } },
      // Counts on top of the bars, none on empty ones (no row of zeros along the axis).
      { transform: [{ filter: "datum.count > 0" }], mark: { type: "text", dy: -8, fontSize: FONT }, encoding: { text: { field: "count", type: "quantitative" } } },
    ],
  } as TopLevelSpec, { description: o.description, table: { caption: o.tableCaption, columns: [o.xTitle, o.yTitle], rows: bars.map((b) => [b.label, b.count]) } }, "histogram");
}

export interface LineSeries {
  label: string;
  points: { x: number; y: number }[];
}

/**
 * Lines with a legend (colour and dash pattern per series, so they differ without colour),
 * points marked. x is either categories (`xLabels[i]` at x = i) or times in ms (`xTime`,
 * shown in the given zone's wall-clock time); y is a share shown in percent, or a score.
 */
export async function lineChart(series: LineSeries[], o: {
  xTitle: string; yTitle: string; y: "percent" | "score"; description: string; tableCaption: string;
  xLabels?: string[]; xTime?: { zoneOffsetMinutes: (ms: number) => number; format: (ms: number) => string };
}): Promise<string> {
  const drawn = series.filter((s) => s.points.length);
  if (!drawn.length) return EMPTY_CHART;
  const xOf = (x: number) => (o.xTime ? x + o.xTime.zoneOffsetMinutes(x) * 60_000 : x);
  const values = drawn.flatMap((s) => s.points.map((p) => ({ series: s.label, x: xOf(p.x), xl: o.xLabels?.[p.x] ?? "", y: p.y })));
  const names = drawn.map((s) => s.label);
  const yAxis = o.y === "percent" ? { format: ".0%", tickCount: 5 } : { format: ".1f", tickCount: 5 };
  const x = o.xLabels
    ? { field: "xl", type: "ordinal", sort: o.xLabels, title: o.xTitle, axis: { labelAngle: -45 }, scale: { domain: o.xLabels } }
    // Wall-clock times of the course's zone, drawn as UTC so the server's own zone plays no part.
    : (() => {
      const { ticks, format } = timeTicks(values.map((v) => v.x));
      return { field: "x", type: "temporal", title: o.xTitle, scale: { type: "utc", domain: [ticks[0]!, ticks.at(-1)!] }, axis: { format, values: ticks, labelAngle: -45 } };
    })();
  const legend = { title: null, columns: 1, symbolType: "stroke", symbolStrokeWidth: 3, symbolSize: 300 };
  const rows = drawn.flatMap((s) => s.points.map((p) => [s.label, o.xLabels ? (o.xLabels[p.x] ?? "") : o.xTime!.format(p.x), o.y === "percent" ? percent(p.y, 1) : p.y.toFixed(3)]));
  return render({
    width: WIDTH - 60, height: 200, data: { values },
    encoding: {
      x,
      y: { field: "y", type: "quantitative", title: o.yTitle, scale: { domain: [0, 1] }, axis: yAxis },
      color: { field: "series", type: "nominal", scale: { domain: names, range: COLOURS.slice(0, names.length) }, legend },
      strokeDash: { field: "series", type: "nominal", scale: { domain: names, range: DASHES.slice(0, names.length) }, legend },
    },
    layer: [
      { mark: { type: "line", strokeWidth: 2.5 } },
      { mark: { type: "point", filled: true, size: 40 } },
    ],
  } as TopLevelSpec, { description: o.description, table: { caption: o.tableCaption, columns: ["Series", o.xTitle, o.yTitle], rows } }, "lines");
}

/**
 * About four ticks over the times drawn, each on a whole minute, hour or day (the first and last
 * bound the axis), and the labels' format: the minute ("Thu 01:44"), so ticks closer than a minute
 * (uploads seconds apart) would repeat one; or, a day or more apart, the date.
 */
function timeTicks(times: number[]): { ticks: number[]; format: string } {
  const [first, last] = [Math.min(...times), Math.max(...times)];
  const wanted = (last - first) / 60_000 / 4;
  const minutes = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440].find((m) => m >= wanted) ?? 1440 * Math.ceil(wanted / 1440);
  const step = minutes * 60_000;
  // The times are wall-clock times drawn as UTC (see xOf), so whole steps of UTC are whole steps of
  // the course's clock. From the step at or before the first to the one at or after the last (two at least):
  // the axis's domain, so every tick is inside it.
  const from = Math.floor(first / step) * step;
  const to = Math.max(from + step, Math.ceil(last / step) * step);
  const ticks: number[] = [];
  for (let t = from; t <= to; t += step) ticks.push(t);
  // Ticks a day or more apart are midnights: named by their date ("Thu 3 Dec"), as a week's would all be "Thu 00:00".
  return { ticks, format: minutes >= 1440 ? "%a %-d %b" : "%a %H:%M" };
}

/** Horizontal bars of a score from 0 to 1 per row (per-class F1), coloured by band with a legend. */
export async function scoreBars(rows: { label: string; score: number }[], o: {
  xTitle: string; bands: { min: number; label: string }[]; description: string; table: DataTable;
}): Promise<string> {
  if (!rows.length) return EMPTY_CHART;
  const bandOf = (v: number) => o.bands.find((b) => v >= b.min)!.label;
  const values = rows.map((r) => ({ ...r, band: bandOf(r.score), text: r.score.toFixed(2) }));
  const bandColours = ["#1a7f37", "#9a6700", "#cf222e"];
  return render({
    width: WIDTH - 160, height: { step: 20 }, data: { values },
    encoding: {
      y: { field: "label", type: "nominal", sort: null, title: null, axis: { labelLimit: 150, labelOverlap: false } },
      x: { field: "score", type: "quantitative", title: o.xTitle, scale: { domain: [0, 1] }, axis: { format: ".1f", tickCount: 5 } },
    },
    layer: [
      { mark: { type: "bar" }, encoding: { color: { field: "band", type: "nominal", title: null, scale: { domain: o.bands.map((b) => b.label), range: bandColours.slice(0, o.bands.length) }, legend: { columns: 1 } } } },
    ],
  } as TopLevelSpec, { description: o.description, table: o.table }, "bars");
}

/**
 * A confusion matrix as a heatmap: each cell's colour is its share of the true class's
 * images, correct predictions (the diagonal) in blue and mistakes in orange, each with its
 * own colour legend (mistakes are small shares; one scale would leave them all white).
 */
export async function confusionHeatmap(confusion: number[][], names: string[], o: { description: string }): Promise<string> {
  const k = confusion.length;
  const cells: { t: number; p: number; n: number; share: number }[] = [];
  for (let t = 0; t < k; t++) {
    const total = confusion[t]!.reduce((a, b) => a + b, 0);
    for (let p = 0; p < k; p++) if (confusion[t]![p]) cells.push({ t, p, n: confusion[t]![p]!, share: confusion[t]![p]! / total });
  }
  if (!cells.length) return EMPTY_CHART;
  const classes = Array.from({ length: k }, (_v, i) => i);
  const every = k > 20 ? 5 : 1;
  const axis = { values: classes.filter((i) => i % every === 0), labelAngle: 0, labelFontSize: FONT };
  const side = WIDTH - 70;
  const mistakesMax = Math.max(0.01, ...cells.filter((c) => c.t !== c.p).map((c) => c.share));
  const legend = (title: string) => ({ title, format: ".0%", gradientLength: 150, orient: "bottom", direction: "horizontal", titleLimit: 320 });
  const name = (i: number) => `${i}${names[i] ? ` ${names[i]}` : ""}`;
  return render({
    width: side, height: side, data: { values: cells },
    encoding: {
      x: { field: "p", type: "ordinal", title: "Predicted class", scale: { domain: classes }, axis: { ...axis, orient: "top" } },
      y: { field: "t", type: "ordinal", title: "True class", scale: { domain: classes }, axis },
    },
    layer: [
      { transform: [{ filter: "datum.t === datum.p" }], mark: { type: "rect" }, encoding: { color: { field: "share", type: "quantitative", scale: { scheme: "blues", domain: [0, 1] }, legend: legend("Right: % of the true class") } } },
      { transform: [{ filter: "datum.t !== datum.p" }], mark: { type: "rect" }, encoding: { color: { field: "share", type: "quantitative", scale: { scheme: "oranges", domain: [0, mistakesMax] }, legend: legend("Wrong: % of the true class") } } },
    ],
    resolve: { scale: { color: "independent" } },
  } as TopLevelSpec, {
    description: o.description,
    table: {
      caption: "images per true and predicted class (only pairs that occur)",
      columns: ["True class", "Predicted class", "Images", "Share of the true class"],
      rows: cells.map((c) => [name(c.t), name(c.p), c.n, percent(c.share, 1)]),
    },
  }, "confusion");
}
