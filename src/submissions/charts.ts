// Charts as server-rendered SVG (no script, so the strict CSP holds): a confusion
// matrix heatmap and per-class F1 bars. Readable without colour: intensity and
// position carry the values, every cell and bar has a text title, and the same
// numbers are in the per-class table next to them.
import { escapeHtml as esc } from "../platform/text.js";

export function confusionSvg(confusion: number[][], names: string[]): string {
  const k = confusion.length;
  const cell = k > 20 ? 9 : 18;
  const pad = 34;
  const size = pad + k * cell;
  const parts: string[] = [];
  for (let t = 0; t < k; t++) {
    const row = confusion[t]!;
    const total = row.reduce((a, b) => a + b, 0);
    for (let p = 0; p < k; p++) {
      const n = row[p]!;
      if (!n) continue;
      const share = n / total;
      // Darker = more of the true class went there; the diagonal in blue, mistakes in orange.
      const light = Math.round(95 - share * 70);
      const fill = t === p ? `hsl(212 70% ${light}%)` : `hsl(25 90% ${light}%)`;
      parts.push(`<rect x="${pad + p * cell}" y="${pad + t * cell}" width="${cell}" height="${cell}" fill="${fill}"><title>${esc(`true ${t} ${names[t] ?? ""} → predicted ${p} ${names[p] ?? ""}: ${n} of ${total} (${Math.round(share * 100)}%)`)}</title></rect>`);
    }
  }
  const ticks: string[] = [];
  for (let i = 0; i < k; i += k > 20 ? 5 : 1) {
    ticks.push(`<text x="${pad + i * cell + cell / 2}" y="${pad - 4}" text-anchor="middle" font-size="8">${i}</text>`);
    ticks.push(`<text x="${pad - 4}" y="${pad + i * cell + cell * 0.8}" text-anchor="end" font-size="8">${i}</text>`);
  }
  return `<svg class="chart confusion" viewBox="0 0 ${size + 4} ${size + 16}" width="${size + 4}" height="${size + 16}" role="img" aria-label="Confusion matrix: rows are the true classes, columns the predicted ones; darker cells hold more images">
<rect x="${pad}" y="${pad}" width="${k * cell}" height="${k * cell}" fill="#fafafa" stroke="#ccc"/>
${parts.join("")}
${ticks.join("")}
<text x="${pad + (k * cell) / 2}" y="10" text-anchor="middle" font-size="10">predicted class →</text>
<text x="8" y="${pad + (k * cell) / 2}" text-anchor="middle" font-size="10" transform="rotate(-90 8 ${pad + (k * cell) / 2})">true class →</text>
</svg>`;
}

export function classBarsSvg(perClass: { classId: number; name: string; f1: number; support: number }[]): string {
  const rows = perClass.filter((c) => c.support > 0);
  const h = 13;
  const label = 190;
  const width = 220;
  const bars = rows.map((c, i) => {
    const y = i * h;
    const w = Math.round(c.f1 * width);
    return `<g><title>${esc(`${c.classId} ${c.name}: F1 ${c.f1.toFixed(3)} (${c.support} images)`)}</title>` +
      `<text x="${label - 4}" y="${y + 10}" text-anchor="end" font-size="9">${esc(`${c.classId} ${c.name}`.slice(0, 34))}</text>` +
      `<rect x="${label}" y="${y + 2}" width="${w}" height="${h - 3}" fill="${c.f1 >= 0.9 ? "#1a7f37" : c.f1 >= 0.7 ? "#9a6700" : "#cf222e"}"/>` +
      `<text x="${label + w + 3}" y="${y + 10}" font-size="9">${c.f1.toFixed(2)}</text></g>`;
  });
  const height = rows.length * h + 4;
  return `<svg class="chart bars" viewBox="0 0 ${label + width + 40} ${height}" width="${label + width + 40}" height="${height}" role="img" aria-label="F1 score per class, as bars from 0 to 1">${bars.join("")}</svg>`;
}
