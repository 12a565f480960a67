// Small text helpers shared by features: HTML escaping for markup built in code,
// CSV rows (and spreadsheet-safe ones for exports), counts with their nouns, and the shape of ids that arrive in URLs.
import MarkdownIt from "markdown-it";

/** Escapes &, <, >, " and ' for text placed in HTML or SVG. */
export const escapeHtml: (s: string) => string = MarkdownIt().utils.escapeHtml;

/** One CSV line: every value quoted, quotes doubled (safe for spreadsheets' column splitting). */
export function csvRow(values: unknown[]): string {
  return values.map((v) => `"${String(v ?? "").replace(/"/g, '""')}"`).join(",");
}

/**
 * One CSV line of an export people open in a spreadsheet: as csvRow, and a text value that
 * begins with = + - @ (or a tab or carriage return) gets a leading ' so it is shown, never
 * evaluated as a formula (OWASP, CSV injection). Numbers are left as they are.
 */
export function spreadsheetRow(values: unknown[]): string {
  return csvRow(values.map((v) => (typeof v === "string" && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v)));
}

/**
 * A CSV file for spreadsheets: its lines, each ended by a newline, after a UTF-8 byte-order mark.
 * Excel (Windows and Mac) reads a CSV without the mark in the computer's legacy code page, so
 * "Chloé" came out as "ChloÃ©"; LibreOffice, Google Sheets, pandas and LMS gradebook imports read
 * it either way (Python's csv module: open with encoding="utf-8-sig").
 */
export function spreadsheetCsv(lines: string[]): string {
  return `\ufeff${lines.map((l) => `${l}\n`).join("")}`;
}

/** A number (or a number already formatted) with its noun, singular for exactly one: "1 error", "3 errors", "0.5 points"; `plural` for an irregular noun ("quizzes"). */
export function countOf(n: number | string, noun: string, plural = `${noun}s`): string {
  return `${n} ${Number(n) === 1 ? noun : plural}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a well-formed UUID: anything else in a URL is a 404 without a database query. */
export function isUuid(s: string): boolean {
  return UUID.test(s);
}
