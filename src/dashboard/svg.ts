// Small server-drawn SVG charts for the dashboard (no script, so the strict CSP
// holds). Readable without colour: series differ by dash pattern and are labelled at
// their ends; bars carry their counts; every chart has a text description.
import { escapeHtml as esc } from "../platform/text.js";

const DASHES = ["", "6 3", "2 3", "8 3 2 3", "1 2", "10 4"];
const COLOURS = ["#0b5cad", "#9a6700", "#1a7f37", "#8250df", "#cf222e", "#57606a"];

export function histogramSvg(counts: number[], labels: string[], description: string, { width = 420, height = 180 } = {}): string {
  if (counts.every((n) => n === 0)) return `<p class="muted chart-empty">No data yet.</p>`;
  const max = Math.max(1, ...counts);
  const left = 30;
  const bottom = 30;
  const bw = (width - left - 10) / counts.length;
  const bars = counts.map((n, i) => {
    const h = ((height - bottom - 16) * n) / max;
    const x = left + i * bw;
    const y = height - bottom - h;
    return `<g><title>${esc(`${labels[i]}: ${n}`)}</title><rect x="${x + 2}" y="${y}" width="${bw - 4}" height="${h}" fill="#0b5cad"/>` +
      (n ? `<text x="${x + bw / 2}" y="${y - 3}" text-anchor="middle" font-size="10">${n}</text>` : "") +
      `<text x="${x + bw / 2}" y="${height - bottom + 12}" text-anchor="middle" font-size="9">${esc(labels[i]!)}</text></g>`;
  });
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(description)}">` +
    `<line x1="${left}" y1="${height - bottom}" x2="${width - 5}" y2="${height - bottom}" stroke="#57606a"/>${bars.join("")}</svg>`;
}

export interface Series {
  label: string;
  points: { x: number; y: number }[];
}

/** Lines over an x range; y from 0 to yMax. `xLabels` are placed at their x values. */
export function lineChartSvg(series: Series[], opts: { xMin: number; xMax: number; yMax: number; xLabels: { x: number; label: string }[]; yLabel: string; description: string; width?: number; height?: number }): string {
  const width = opts.width ?? 560;
  const height = opts.height ?? 220;
  const left = 40;
  const right = 120;
  const top = 22; // room for the y-axis title above the plot
  const bottom = 30;
  const sx = (x: number) => left + ((x - opts.xMin) / Math.max(1e-9, opts.xMax - opts.xMin)) * (width - left - right);
  const sy = (y: number) => height - bottom - (y / Math.max(1e-9, opts.yMax)) * (height - top - bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = sy(f * opts.yMax);
    return `<line x1="${left}" y1="${y}" x2="${width - right}" y2="${y}" stroke="#d0d7de"/><text x="${left - 4}" y="${y + 3}" text-anchor="end" font-size="9">${Number((f * opts.yMax).toFixed(2))}</text>`;
  });
  const xl = opts.xLabels.map((l) => `<text x="${sx(l.x)}" y="${height - bottom + 14}" text-anchor="middle" font-size="9">${esc(l.label)}</text>`);
  // End labels, pushed apart so lines ending at the same value stay readable, and kept
  // above the x-axis labels (pushed up from the bottom when they would run into them).
  const labelY = new Map<number, number>();
  const ends = series.map((s, i) => ({ i, y: s.points.length ? sy(s.points.at(-1)!.y) + 3 : 0 })).filter((e) => series[e.i]!.points.length).sort((a, b) => a.y - b.y);
  const ys = ends.map((e) => e.y);
  for (let k = 1; k < ys.length; k++) ys[k] = Math.max(ys[k]!, ys[k - 1]! + 11);
  for (let k = ys.length - 1; k >= 0; k--) ys[k] = Math.min(ys[k]!, k === ys.length - 1 ? height - bottom - 2 : ys[k + 1]! - 11);
  for (const [k, e] of ends.entries()) labelY.set(e.i, ys[k]!);
  const lines = series.map((s, i) => {
    if (!s.points.length) return "";
    const d = s.points.map((p, k) => `${k ? "L" : "M"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ");
    const last = s.points.at(-1)!;
    return `<g><title>${esc(`${s.label}: ${s.points.map((p) => Number(p.y.toFixed(3))).join(", ")}`)}</title>` +
      `<path d="${d}" fill="none" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="2" stroke-dasharray="${DASHES[i % DASHES.length]}"/>` +
      `<text x="${sx(last.x) + 4}" y="${labelY.get(i)!}" font-size="10">${esc(s.label)}</text></g>`;
  });
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(opts.description)}">` +
    `${grid.join("")}${xl.join("")}<text x="${left}" y="${top - 10}" font-size="9">${esc(opts.yLabel)}</text>${lines.join("")}</svg>`;
}
