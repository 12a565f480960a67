// CSV exports opened in spreadsheets (OWASP, CSV injection): what starts a formula is shown as text.
import { csvRow, spreadsheetRow } from "../../src/platform/text.js";

test("a text cell beginning with = + - @, a tab or a carriage return gets a leading '; numbers and other text are unchanged", () => {
  expect(spreadsheetRow(["=HYPERLINK(\"http://x\",\"a\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])).toBe(`"'=HYPERLINK(""http://x"",""a"")","'+1","'-2+3","'@SUM(A1)","'\tx","'\rx"`);
  expect(spreadsheetRow(["Alice Nguyen", "a=b", "", null, -5, 0.25, "yes"])).toBe(`"Alice Nguyen","a=b","","","-5","0.25","yes"`);
  // The plain row (used to build a roster line for the importer) keeps values as they are.
  expect(csvRow(["=1+2"])).toBe(`"=1+2"`);
});
