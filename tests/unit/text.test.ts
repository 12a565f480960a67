// Text helpers: CSV exports opened in spreadsheets (OWASP, CSV injection), where what starts a formula is shown as text; counts with their nouns.
import { countOf, csvRow, spreadsheetRow } from "../../src/platform/text.js";

test("a text cell beginning with = + - @, a tab or a carriage return gets a leading '; numbers and other text are unchanged", () => {
  expect(spreadsheetRow(["=HYPERLINK(\"http://x\",\"a\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])).toBe(`"'=HYPERLINK(""http://x"",""a"")","'+1","'-2+3","'@SUM(A1)","'\tx","'\rx"`);
  expect(spreadsheetRow(["Alice Nguyen", "a=b", "", null, -5, 0.25, "yes"])).toBe(`"Alice Nguyen","a=b","","","-5","0.25","yes"`);
  // The plain row (used to build a roster line for the importer) keeps values as they are.
  expect(csvRow(["=1+2"])).toBe(`"=1+2"`);
});

test("a count takes the singular noun for exactly one, else the plural (given for an irregular noun)", () => {
  expect([0, 1, 2].map((n) => countOf(n, "error"))).toEqual(["0 errors", "1 error", "2 errors"]);
  expect([1, 3].map((n) => countOf(n, "quiz", "quizzes"))).toEqual(["1 quiz", "3 quizzes"]);
});
