// A YAML file checked against a zod schema, with every problem reported at its line:
// module.yaml files and quiz files are both read this way.
import { isMap, isScalar, LineCounter, parseDocument, type Document } from "yaml";
import type { z } from "zod";

export interface FileIssue {
  path: string;
  line?: number;
  severity: "error" | "warning";
  message: string;
}

function lineOf(doc: Document, lc: LineCounter, pathParts: PropertyKey[]): number {
  for (let n = pathParts.length; n > 0; n--) {
    const node = doc.getIn(pathParts.slice(0, n) as (string | number)[], true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lc.linePos(node.range[0]).line;
  }
  return 1;
}

function keyLine(doc: Document, lc: LineCounter, parent: PropertyKey[], key: string): number {
  const map = parent.length ? doc.getIn(parent as (string | number)[], true) : doc.contents;
  if (!isMap(map)) return lineOf(doc, lc, parent);
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
  return range ? lc.linePos(range[0]).line : lineOf(doc, lc, parent);
}

export interface ParsedYaml<T> {
  data?: T;
  issues: FileIssue[];
  /** The line of a value in the file, for problems found after validation. */
  lineOf: (path: PropertyKey[]) => number;
}

/**
 * Parses `text` as YAML and validates it with `schema`. `describe` turns a zod issue
 * path into the words shown before the message (default: the dotted path).
 */
export function parseYamlFile<S extends z.ZodType>(
  schema: S,
  text: string,
  file: string,
  opts: { knownKeys?: (path: PropertyKey[]) => string[] | undefined } = {},
): ParsedYaml<z.infer<S>> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const lineAt = (p: PropertyKey[]) => lineOf(doc, lc, p);
  if (doc.errors.length) {
    return { lineOf: lineAt, issues: doc.errors.map((e) => ({ path: file, line: lc.linePos(e.pos[0]).line, severity: "error", message: `Not valid YAML: ${e.message.split("\n")[0]}` })) };
  }
  const parsed = schema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return { data: parsed.data, issues: [], lineOf: lineAt };
  const where = (p: PropertyKey[]) => p.map(String).join(".");
  return {
    lineOf: lineAt,
    issues: parsed.error.issues.flatMap((i): FileIssue[] => {
      if (i.code === "unrecognized_keys") {
        const known = opts.knownKeys?.(i.path);
        return i.keys.map((k) => ({
          path: file, line: keyLine(doc, lc, i.path, k), severity: "error",
          message: `${i.path.length ? `${where(i.path)}: ` : ""}Unknown field "${k}".${known ? ` Known fields: ${known.join(", ")}.` : ""}`,
        }));
      }
      return [{ path: file, line: lineAt(i.path), severity: "error", message: `${where(i.path) || "file"}: ${i.message}` }];
    }),
  };
}
