// 43 traffic-sign classes (named as in the GTSRB benchmark) drawn as vectors: the
// sign's shape and colours plus a black, white or grey symbol. Everything is drawn
// in a unit frame (the sign spans −1…1), so the generator can place, rotate and
// distort it freely. Digits and letters are stroke glyphs, so no font is needed.
import type { SKRSContext2D } from "@napi-rs/canvas";

type Ctx = SKRSContext2D;

const RED = "#c8102e";
const BLUE = "#1d5fb4";
const YELLOW = "#f5c400";
const WHITE = "#f4f4f0";
const BLACK = "#151515";
const GREY = "#8a8a8a";

// #region shapes
function polygon(ctx: Ctx, points: [number, number][]) {
  ctx.beginPath();
  points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  ctx.closePath();
}
const regular = (n: number, r: number, start: number): [number, number][] =>
  Array.from({ length: n }, (_x, i) => [r * Math.cos(start + (i * 2 * Math.PI) / n), r * Math.sin(start + (i * 2 * Math.PI) / n)]);

function disc(ctx: Ctx, r: number, fill: string) {
  ctx.beginPath();
  ctx.arc(0, 0, r, 0, Math.PI * 2);
  ctx.fillStyle = fill;
  ctx.fill();
}

function ringSign(ctx: Ctx) {
  disc(ctx, 1, RED);
  disc(ctx, 0.76, WHITE);
}
function blueSign(ctx: Ctx) {
  disc(ctx, 1, WHITE);
  disc(ctx, 0.95, BLUE);
}
function endSign(ctx: Ctx) {
  disc(ctx, 1, "#d8d8d8");
  disc(ctx, 0.95, WHITE);
}
function warningSign(ctx: Ctx) {
  polygon(ctx, regular(3, 1.08, -Math.PI / 2));
  ctx.fillStyle = RED;
  ctx.fill();
  polygon(ctx, regular(3, 0.74, -Math.PI / 2));
  ctx.fillStyle = WHITE;
  ctx.fill();
}

// #region strokes
function stroke(ctx: Ctx, color: string, width: number, draw: () => void) {
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.beginPath();
  draw();
  ctx.stroke();
  ctx.restore();
}
function line(ctx: Ctx, pts: [number, number][]) {
  pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
}
function fillPath(ctx: Ctx, color: string, draw: () => void) {
  ctx.save();
  ctx.fillStyle = color;
  ctx.beginPath();
  draw();
  ctx.fill();
  ctx.restore();
}

// Seven-segment glyphs: segments a b c d e f g; x in 0..1, y in 0..2.
const SEGMENTS: Record<string, [number, number, number, number]> = {
  a: [0, 0, 1, 0], b: [1, 0, 1, 1], c: [1, 1, 1, 2], d: [0, 2, 1, 2], e: [0, 1, 0, 2], f: [0, 0, 0, 1], g: [0, 1, 1, 1],
};
const GLYPHS: Record<string, string> = {
  "0": "abcdef", "1": "bc", "2": "abged", "3": "abgcd", "4": "fgbc", "5": "afgcd", "6": "afgedc", "7": "abc", "8": "abcdefg", "9": "abcdfg", S: "afgcd", O: "abcdef", P: "abefg",
};

/** Text of digits/letters centred at (0, 0) with the given glyph height. */
export function glyphs(ctx: Ctx, text: string, height: number, color: string, weight = 0.16) {
  const h = height / 2;
  const w = h * 0.62;
  const gap = w * 0.55;
  const total = text.length * w + (text.length - 1) * gap;
  stroke(ctx, color, height * weight, () => {
    [...text].forEach((ch, i) => {
      const x0 = -total / 2 + i * (w + gap);
      const y0 = -height / 2;
      if (ch === "T") {
        line(ctx, [[x0, y0], [x0 + w, y0]]);
        line(ctx, [[x0 + w / 2, y0], [x0 + w / 2, y0 + 2 * h]]);
        return;
      }
      for (const s of GLYPHS[ch] ?? "") {
        const [ax, ay, bx, by] = SEGMENTS[s]!;
        ctx.moveTo(x0 + ax * w, y0 + ay * h);
        ctx.lineTo(x0 + bx * w, y0 + by * h);
      }
    });
  });
}

function car(ctx: Ctx, x: number, y: number, s: number, color: string) {
  fillPath(ctx, color, () => {
    ctx.rect(x - 0.22 * s, y - 0.05 * s, 0.44 * s, 0.22 * s);
    ctx.rect(x - 0.13 * s, y - 0.2 * s, 0.26 * s, 0.16 * s);
    ctx.arc(x - 0.13 * s, y + 0.19 * s, 0.06 * s, 0, Math.PI * 2);
    ctx.arc(x + 0.13 * s, y + 0.19 * s, 0.06 * s, 0, Math.PI * 2);
  });
}
function truck(ctx: Ctx, x: number, y: number, s: number, color: string) {
  fillPath(ctx, color, () => {
    ctx.rect(x - 0.3 * s, y - 0.22 * s, 0.42 * s, 0.36 * s);
    ctx.rect(x + 0.14 * s, y - 0.08 * s, 0.18 * s, 0.22 * s);
    ctx.arc(x - 0.18 * s, y + 0.2 * s, 0.06 * s, 0, Math.PI * 2);
    ctx.arc(x + 0.2 * s, y + 0.2 * s, 0.06 * s, 0, Math.PI * 2);
  });
}
function person(ctx: Ctx, x: number, y: number, s: number, color: string, stride = 0.12) {
  fillPath(ctx, color, () => ctx.arc(x, y - 0.32 * s, 0.08 * s, 0, Math.PI * 2));
  stroke(ctx, color, 0.07 * s, () => {
    line(ctx, [[x, y - 0.22 * s], [x, y + 0.05 * s]]);
    line(ctx, [[x - stride * s, y + 0.3 * s], [x, y + 0.05 * s], [x + stride * s, y + 0.3 * s]]);
    line(ctx, [[x - 0.12 * s, y - 0.02 * s], [x, y - 0.16 * s], [x + 0.13 * s, y - 0.05 * s]]);
  });
}
function arrow(ctx: Ctx, pts: [number, number][], color: string, width: number) {
  stroke(ctx, color, width, () => line(ctx, pts));
  const [x1, y1] = pts[pts.length - 2]!;
  const [x2, y2] = pts[pts.length - 1]!;
  const a = Math.atan2(y2 - y1, x2 - x1);
  const head = width * 1.7;
  fillPath(ctx, color, () => {
    ctx.moveTo(x2 + Math.cos(a) * head * 0.9, y2 + Math.sin(a) * head * 0.9);
    ctx.lineTo(x2 + Math.cos(a + 2.3) * head, y2 + Math.sin(a + 2.3) * head);
    ctx.lineTo(x2 + Math.cos(a - 2.3) * head, y2 + Math.sin(a - 2.3) * head);
    ctx.closePath();
  });
}
function endStripe(ctx: Ctx, lines = 1) {
  for (let i = 0; i < lines; i++) {
    const o = (i - (lines - 1) / 2) * 0.1;
    stroke(ctx, BLACK, lines > 1 ? 0.045 : 0.13, () => line(ctx, [[-0.68 + o, 0.68 + o], [0.68 + o, -0.68 + o]]));
  }
}

// #region the 43 classes
export interface SignClass {
  id: number;
  name: string;
  draw(ctx: Ctx): void;
}

const speed = (n: number) => (ctx: Ctx) => {
  ringSign(ctx);
  glyphs(ctx, String(n), n >= 100 ? 0.62 : 0.78, BLACK);
};
const warn = (symbol: (ctx: Ctx) => void) => (ctx: Ctx) => {
  warningSign(ctx);
  ctx.save();
  ctx.translate(0, 0.12);
  ctx.scale(0.85, 0.85);
  symbol(ctx);
  ctx.restore();
};
const mandatory = (symbol: (ctx: Ctx) => void) => (ctx: Ctx) => {
  blueSign(ctx);
  symbol(ctx);
};

export const SIGN_CLASSES: SignClass[] = [
  ...[20, 30, 50, 60, 70, 80].map((n, i) => ({ id: i, name: `Speed limit (${n}km/h)`, draw: speed(n) })),
  { id: 6, name: "End of speed limit (80km/h)", draw: (ctx) => { endSign(ctx); glyphs(ctx, "80", 0.78, GREY); endStripe(ctx); } },
  { id: 7, name: "Speed limit (100km/h)", draw: speed(100) },
  { id: 8, name: "Speed limit (120km/h)", draw: speed(120) },
  { id: 9, name: "No passing", draw: (ctx) => { ringSign(ctx); car(ctx, -0.26, 0, 1, RED); car(ctx, 0.26, 0, 1, BLACK); } },
  { id: 10, name: "No passing veh over 3.5 tons", draw: (ctx) => { ringSign(ctx); truck(ctx, -0.22, 0, 0.9, RED); car(ctx, 0.32, 0, 0.85, BLACK); } },
  { id: 11, name: "Right-of-way at intersection", draw: warn((ctx) => { stroke(ctx, BLACK, 0.13, () => line(ctx, [[0, -0.45], [0, 0.4]])); stroke(ctx, BLACK, 0.07, () => line(ctx, [[-0.32, -0.05], [0.32, -0.05]])); }) },
  { id: 12, name: "Priority road", draw: (ctx) => { polygon(ctx, regular(4, 1.05, 0)); ctx.fillStyle = WHITE; ctx.fill(); polygon(ctx, regular(4, 0.72, 0)); ctx.fillStyle = YELLOW; ctx.fill(); } },
  { id: 13, name: "Yield", draw: (ctx) => { polygon(ctx, regular(3, 1.08, Math.PI / 2)); ctx.fillStyle = RED; ctx.fill(); polygon(ctx, regular(3, 0.68, Math.PI / 2)); ctx.fillStyle = WHITE; ctx.fill(); } },
  { id: 14, name: "Stop", draw: (ctx) => { polygon(ctx, regular(8, 1.05, Math.PI / 8)); ctx.fillStyle = WHITE; ctx.fill(); polygon(ctx, regular(8, 0.96, Math.PI / 8)); ctx.fillStyle = RED; ctx.fill(); glyphs(ctx, "STOP", 0.42, WHITE, 0.2); } },
  { id: 15, name: "No vehicles", draw: ringSign },
  { id: 16, name: "Veh > 3.5 tons prohibited", draw: (ctx) => { ringSign(ctx); truck(ctx, 0, 0, 1.2, BLACK); } },
  { id: 17, name: "No entry", draw: (ctx) => { disc(ctx, 1, RED); fillPath(ctx, WHITE, () => ctx.rect(-0.66, -0.16, 1.32, 0.32)); } },
  { id: 18, name: "General caution", draw: warn((ctx) => { stroke(ctx, BLACK, 0.14, () => line(ctx, [[0, -0.42], [0, 0.12]])); fillPath(ctx, BLACK, () => ctx.arc(0, 0.32, 0.08, 0, Math.PI * 2)); }) },
  { id: 19, name: "Dangerous curve left", draw: warn((ctx) => arrow(ctx, [[0.15, 0.4], [0.15, 0], [-0.05, -0.25], [-0.25, -0.3]], BLACK, 0.1)) },
  { id: 20, name: "Dangerous curve right", draw: warn((ctx) => arrow(ctx, [[-0.15, 0.4], [-0.15, 0], [0.05, -0.25], [0.25, -0.3]], BLACK, 0.1)) },
  { id: 21, name: "Double curve", draw: warn((ctx) => stroke(ctx, BLACK, 0.1, () => line(ctx, [[-0.1, 0.42], [-0.1, 0.2], [0.18, 0.02], [0.18, -0.12], [-0.12, -0.3], [-0.12, -0.42]]))) },
  { id: 22, name: "Bumpy road", draw: warn((ctx) => { stroke(ctx, BLACK, 0.1, () => { ctx.moveTo(-0.5, 0.25); ctx.lineTo(-0.4, 0.25); ctx.arc(-0.2, 0.25, 0.2, Math.PI, 0); ctx.arc(0.2, 0.25, 0.2, Math.PI, 0); ctx.lineTo(0.5, 0.25); }); }) },
  { id: 23, name: "Slippery road", draw: warn((ctx) => { car(ctx, 0, -0.12, 0.9, BLACK); stroke(ctx, BLACK, 0.05, () => { line(ctx, [[-0.3, 0.3], [-0.15, 0.15], [-0.2, 0.45]]); line(ctx, [[0.3, 0.3], [0.15, 0.15], [0.2, 0.45]]); }); }) },
  { id: 24, name: "Road narrows on the right", draw: warn((ctx) => stroke(ctx, BLACK, 0.1, () => { line(ctx, [[-0.18, 0.45], [-0.18, -0.4]]); line(ctx, [[0.25, 0.45], [0.25, 0.05], [0.08, -0.15], [0.08, -0.4]]); })) },
  { id: 25, name: "Road work", draw: warn((ctx) => { person(ctx, -0.05, 0.05, 1.1, BLACK, 0.18); stroke(ctx, BLACK, 0.06, () => line(ctx, [[0.1, -0.1], [0.3, 0.3]])); fillPath(ctx, BLACK, () => { ctx.moveTo(0.15, 0.42); ctx.lineTo(0.45, 0.42); ctx.lineTo(0.32, 0.25); ctx.closePath(); }); }) },
  { id: 26, name: "Traffic signals", draw: warn((ctx) => { fillPath(ctx, BLACK, () => ctx.rect(-0.16, -0.46, 0.32, 0.86)); for (const [y, c] of [[-0.3, "#e22"], [-0.03, "#fb0"], [0.24, "#2b5"]] as const) fillPath(ctx, c, () => ctx.arc(0, y, 0.1, 0, Math.PI * 2)); }) },
  { id: 27, name: "Pedestrians", draw: warn((ctx) => person(ctx, 0, 0.05, 1.25, BLACK, 0.2)) },
  { id: 28, name: "Children crossing", draw: warn((ctx) => { person(ctx, -0.17, 0.02, 1.05, BLACK, 0.16); person(ctx, 0.2, 0.12, 0.75, BLACK, 0.14); }) },
  { id: 29, name: "Bicycles crossing", draw: warn((ctx) => stroke(ctx, BLACK, 0.06, () => { ctx.moveTo(-0.1, 0.22); ctx.arc(-0.24, 0.22, 0.14, 0, Math.PI * 2); ctx.moveTo(0.38, 0.22); ctx.arc(0.24, 0.22, 0.14, 0, Math.PI * 2); line(ctx, [[-0.24, 0.22], [-0.05, -0.05], [0.2, -0.05], [0.24, 0.22]]); line(ctx, [[-0.05, -0.05], [0.02, 0.22], [0.2, -0.05]]); line(ctx, [[-0.1, -0.15], [0.02, -0.15]]); })) },
  { id: 30, name: "Beware of ice/snow", draw: warn((ctx) => stroke(ctx, BLACK, 0.06, () => { for (let k = 0; k < 3; k++) { const a = (k * Math.PI) / 3 + Math.PI / 2; line(ctx, [[Math.cos(a) * 0.38, Math.sin(a) * 0.38 - 0.02], [-Math.cos(a) * 0.38, -Math.sin(a) * 0.38 - 0.02]]); } })) },
  { id: 31, name: "Wild animals crossing", draw: warn((ctx) => { fillPath(ctx, BLACK, () => ctx.ellipse(0, 0.05, 0.28, 0.12, -0.3, 0, Math.PI * 2)); stroke(ctx, BLACK, 0.06, () => { line(ctx, [[0.2, -0.05], [0.32, -0.3], [0.4, -0.4]]); line(ctx, [[0.32, -0.3], [0.25, -0.42]]); line(ctx, [[-0.2, 0.1], [-0.35, 0.35]]); line(ctx, [[-0.1, 0.12], [-0.05, 0.38]]); line(ctx, [[0.15, 0.05], [0.28, 0.32]]); }); }) },
  { id: 32, name: "End of all speed and passing limits", draw: (ctx) => { endSign(ctx); endStripe(ctx, 5); } },
  { id: 33, name: "Turn right ahead", draw: mandatory((ctx) => arrow(ctx, [[-0.25, 0.5], [-0.25, -0.05], [0.3, -0.05]], WHITE, 0.14)) },
  { id: 34, name: "Turn left ahead", draw: mandatory((ctx) => arrow(ctx, [[0.25, 0.5], [0.25, -0.05], [-0.3, -0.05]], WHITE, 0.14)) },
  { id: 35, name: "Ahead only", draw: mandatory((ctx) => arrow(ctx, [[0, 0.55], [0, -0.38]], WHITE, 0.16)) },
  { id: 36, name: "Go straight or right", draw: mandatory((ctx) => { arrow(ctx, [[-0.12, 0.55], [-0.12, -0.4]], WHITE, 0.12); arrow(ctx, [[-0.12, 0.2], [0.1, 0], [0.36, 0]], WHITE, 0.12); }) },
  { id: 37, name: "Go straight or left", draw: mandatory((ctx) => { arrow(ctx, [[0.12, 0.55], [0.12, -0.4]], WHITE, 0.12); arrow(ctx, [[0.12, 0.2], [-0.1, 0], [-0.36, 0]], WHITE, 0.12); }) },
  { id: 38, name: "Keep right", draw: mandatory((ctx) => arrow(ctx, [[-0.35, -0.35], [0.22, 0.22]], WHITE, 0.16)) },
  { id: 39, name: "Keep left", draw: mandatory((ctx) => arrow(ctx, [[0.35, -0.35], [-0.22, 0.22]], WHITE, 0.16)) },
  { id: 40, name: "Roundabout mandatory", draw: mandatory((ctx) => { for (let k = 0; k < 3; k++) { const a0 = (k * 2 * Math.PI) / 3 - Math.PI / 2; const pts: [number, number][] = Array.from({ length: 6 }, (_x, i) => { const a = a0 + (i / 5) * 1.5; return [Math.cos(a) * 0.45, Math.sin(a) * 0.45]; }); arrow(ctx, pts, WHITE, 0.1); } }) },
  { id: 41, name: "End of no passing", draw: (ctx) => { endSign(ctx); car(ctx, -0.26, 0, 1, GREY); car(ctx, 0.26, 0, 1, GREY); endStripe(ctx); } },
  { id: 42, name: "End no passing veh > 3.5 tons", draw: (ctx) => { endSign(ctx); truck(ctx, -0.22, 0, 0.9, GREY); car(ctx, 0.32, 0, 0.85, GREY); endStripe(ctx); } },
];
