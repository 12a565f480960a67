// A holdout folder: image files (PNG or JPEG, any size) + labels.csv
// (`filename,class_id`, filenames relative to the folder) + an optional classes.csv
// (`class_id,name`). Every problem is reported with the file and line.
import { parse } from "csv-parse/sync";
import fs from "node:fs";
import path from "node:path";
import { HoldoutRefused } from "./errors.js";

export interface Holdout {
  dir: string;
  files: string[];
  labels: Int32Array;
  numClasses: number;
  classNames: string[];
}

function readCsv(file: string, header: string[]): { rows: string[][]; line: (i: number) => number } {
  let records: string[][];
  try {
    records = parse(fs.readFileSync(file, "utf8"), { bom: true, skip_empty_lines: true, trim: true, relax_column_count: false }) as string[][];
  } catch (e) {
    throw new HoldoutRefused(`${path.basename(file)}: not a valid CSV file (${(e as Error).message}).`);
  }
  const got = (records[0] ?? []).map((h) => h.toLowerCase());
  if (got.join(",") !== header.join(",")) throw new HoldoutRefused(`${path.basename(file)}: the first line must be the header "${header.join(",")}" (found "${(records[0] ?? []).join(",")}").`);
  return { rows: records.slice(1), line: (i) => i + 2 };
}

export function readHoldout(dir: string): Holdout {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new HoldoutRefused(`The holdout folder ${dir} does not exist.`);
  const labelsFile = path.join(dir, "labels.csv");
  if (!fs.existsSync(labelsFile)) throw new HoldoutRefused(`The holdout folder has no labels.csv (header "filename,class_id").`);
  const { rows, line } = readCsv(labelsFile, ["filename", "class_id"]);
  if (rows.length === 0) throw new HoldoutRefused("labels.csv lists no images.");
  const root = path.resolve(dir);
  const files: string[] = [];
  const labels = new Int32Array(rows.length);
  const seen = new Set<string>();
  rows.forEach(([filename, id], i) => {
    const where = `labels.csv line ${line(i)}`;
    const full = path.resolve(root, filename ?? "");
    if (!filename || path.isAbsolute(filename) || !full.startsWith(root + path.sep)) throw new HoldoutRefused(`${where}: "${filename}" must be a file name inside the holdout folder.`);
    if (!/\.(png|jpe?g)$/i.test(filename)) throw new HoldoutRefused(`${where}: "${filename}" is not a PNG or JPEG file.`);
    if (seen.has(filename)) throw new HoldoutRefused(`${where}: "${filename}" is listed twice.`);
    if (!fs.existsSync(full)) throw new HoldoutRefused(`${where}: the image "${filename}" is missing.`);
    if (!/^\d+$/.test(id ?? "")) throw new HoldoutRefused(`${where}: class_id "${id}" is not a whole number.`);
    seen.add(filename);
    files.push(filename);
    labels[i] = Number(id);
  });
  let classNames: string[] = [];
  const classesFile = path.join(dir, "classes.csv");
  if (fs.existsSync(classesFile)) {
    const c = readCsv(classesFile, ["class_id", "name"]);
    c.rows.forEach(([id, name], i) => {
      if (!/^\d+$/.test(id ?? "")) throw new HoldoutRefused(`classes.csv line ${c.line(i)}: class_id "${id}" is not a whole number.`);
      classNames[Number(id)] = name ?? "";
    });
  }
  const maxLabel = labels.reduce((m, v) => Math.max(m, v), 0);
  if (classNames.length && maxLabel >= classNames.length) throw new HoldoutRefused(`labels.csv uses class ${maxLabel}, which classes.csv does not name.`);
  const numClasses = Math.max(classNames.length, maxLabel + 1);
  classNames = Array.from({ length: numClasses }, (_x, i) => classNames[i] || `class ${i}`);
  return { dir: root, files, labels, numClasses, classNames };
}
