// The course's Markdown dialect (Python-Markdown with meta, footnotes, fenced_code,
// attr_list, tables, admonition, toc; KaTeX math; the site's placeholders) on
// markdown-it and its well-kept plugins. Two small rules of our own fill the gaps no
// plugin covers as the course writes them: `!!!type "Title"` admonitions with
// indented bodies, and `[!embed](url)` video embeds.
import katex from "katex";
import MarkdownIt from "markdown-it";
import anchor from "markdown-it-anchor";
import attrs from "markdown-it-attrs";
import footnote from "markdown-it-footnote";
import mathModule from "@vscode/markdown-it-katex";
import hljs from "highlight.js";
import sanitizeHtml from "sanitize-html";
import { LineCounter, parseDocument } from "yaml";
import type { StateBlock, Token } from "markdown-it";

export interface ContentIssue {
  line?: number;
  severity: "error" | "warning";
  message: string;
}

export interface RenderOptions {
  /** Replaces {{URLROOT}}: where the module's files (images, data) are served. */
  urlRoot: string;
  /** Where `./name.html` links point: `${readingBase}/name`. */
  readingBase: string;
  /** Slugs of the readings that exist, to report dead `./name.html` links. Omit to skip that check. */
  knownReadings?: Set<string>;
}

export interface ChecklistCandidate {
  key: string;
  section: "THEORY" | "PRACTICAL";
  title: string;
  anchor: string;
  href?: string;
  line: number;
}

export interface RenderedReading {
  title: string;
  frontMatter: Record<string, unknown>;
  html: string;
  tocHtml: string;
  estimatedMinutes: { min: number; max: number };
  items: ChecklistCandidate[];
  issues: ContentIssue[];
}

// #region admonitions
const ADMONITION_LINE = /^!!!\s*([A-Za-z][\w-]*)(?:\s+"([^"]*)")?\s*$/;
export const KNOWN_ADMONITIONS = new Set(["note", "warning", "def", "time", "tip", "danger", "info", "important", "example", "question"]);

function admonitionRule(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  if (state.sCount[startLine]! - state.blkIndent >= 4) return false; // an indented code block
  const line = state.src.slice(state.bMarks[startLine]! + state.tShift[startLine]!, state.eMarks[startLine]);
  const m = ADMONITION_LINE.exec(line);
  if (!m) return false;
  if (silent) return true;

  // The body: the following lines indented by a tab or 4 spaces more; blank lines may sit between them.
  const bodyIndent = state.blkIndent + 4;
  let last = startLine;
  for (let next = startLine + 1; next < endLine; next++) {
    if (state.isEmpty(next)) continue;
    if (state.sCount[next]! < bodyIndent) break;
    last = next;
  }

  const type = m[1]!.toLowerCase();
  const title = m[2] ?? type.charAt(0).toUpperCase() + type.slice(1); // Python-Markdown: no title → the type; "" → none
  const open = state.push("admonition_open", "aside", 1);
  open.attrSet("class", `admonition ${KNOWN_ADMONITIONS.has(type) ? type : "generic"}`);
  open.attrSet("data-type", type);
  open.map = [startLine, last + 1];
  open.block = true;
  if (title) {
    state.push("admonition_title_open", "p", 1).attrSet("class", "admonition-title");
    const inline = state.push("inline", "", 0);
    inline.content = title;
    inline.map = [startLine, startLine + 1];
    inline.children = [];
    state.push("admonition_title_close", "p", -1);
  }
  const [oldParent, oldLineMax, oldIndent] = [state.parentType, state.lineMax, state.blkIndent];
  state.parentType = "blockquote" as typeof state.parentType;
  state.lineMax = last + 1;
  state.blkIndent = bodyIndent;
  state.md.block.tokenize(state, startLine + 1, last + 1);
  state.parentType = oldParent;
  state.lineMax = oldLineMax;
  state.blkIndent = oldIndent;
  state.push("admonition_close", "aside", -1).block = true;
  state.line = last + 1;
  return true;
}
// #endregion

// #region embeds
const EMBED_LINE = /^\[!embed\]\(\s*<?([^)\s>]+)>?\s*\)\s*$/;

export function youtubeId(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  const host = u.hostname.replace(/^(www\.|m\.)/, "");
  let id: string | null = null;
  if (host === "youtu.be") id = u.pathname.slice(1);
  else if (host === "youtube.com" || host === "youtube-nocookie.com") {
    id = u.pathname === "/watch" ? u.searchParams.get("v") : (/^\/(?:embed|shorts|live)\/([^/]+)/.exec(u.pathname)?.[1] ?? null);
  }
  return id && /^[\w-]{11}$/.test(id) ? id : null;
}

function embedRule(state: StateBlock, startLine: number, _endLine: number, silent: boolean): boolean {
  if (state.sCount[startLine]! - state.blkIndent >= 4) return false;
  const line = state.src.slice(state.bMarks[startLine]! + state.tShift[startLine]!, state.eMarks[startLine]);
  const m = EMBED_LINE.exec(line);
  if (!m) return false;
  if (silent) return true;
  const token = state.push("embed", "", 0);
  token.content = m[1]!;
  token.map = [startLine, startLine + 1];
  token.block = true;
  state.line = startLine + 1;
  return true;
}

const esc = MarkdownIt().utils.escapeHtml;

function renderEmbed(tokens: Token[], idx: number): string {
  const url = tokens[idx]!.content;
  const id = youtubeId(url);
  if (!id) return `<p class="embed-link"><a href="${esc(url)}">${esc(url)}</a></p>\n`;
  const start = (() => {
    try {
      const t = new URL(url).searchParams.get("t") ?? new URL(url).searchParams.get("start");
      return t && /^\d+s?$/.test(t) ? `?start=${parseInt(t, 10)}` : "";
    } catch {
      return "";
    }
  })();
  return (
    `<figure class="video-embed"><div class="video-frame">` +
    `<iframe src="https://www.youtube-nocookie.com/embed/${id}${start}" title="Video player (YouTube)" loading="lazy" ` +
    `allow="accelerometer; encrypted-media; gyroscope; picture-in-picture; fullscreen" allowfullscreen referrerpolicy="strict-origin-when-cross-origin"></iframe>` +
    `</div><figcaption><a href="${esc(`https://www.youtube.com/watch?v=${id}`)}">Watch on YouTube</a></figcaption></figure>\n`
  );
}
// #endregion

function attr(t: Token | undefined, name: string): string | undefined {
  const v = t?.attrGet(name);
  return v === null || v === undefined ? undefined : String(v);
}

export function slugify(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^\w\s-]/g, "")
    .trim()
    .replace(/[\s_-]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

function highlight(code: string, lang: string): string {
  const language = lang && hljs.getLanguage(lang) ? lang : null;
  const body = language ? hljs.highlight(code, { language, ignoreIllegals: true }).value : esc(code);
  // tabindex: a block wider than the page scrolls, and keyboard users scroll it once it has focus.
  return `<pre class="code" tabindex="0"><code class="hljs${language ? ` language-${language}` : ""}">${body}</code></pre>`;
}

function createMarkdown() {
  const md = new MarkdownIt({ html: false, linkify: true, typographer: true, highlight });
  md.block.ruler.before("fence", "admonition", admonitionRule as never, { alt: ["paragraph", "reference", "blockquote", "list"] });
  md.block.ruler.before("paragraph", "embed", embedRule as never, { alt: ["paragraph"] });
  md.renderer.rules.embed = renderEmbed as never;
  md.use(footnote);
  md.use(attrs, { allowedAttributes: ["id", "class", "title", "width", "height", "loading"] });
  md.use(anchor, { slugify, tabIndex: false });
  // A CommonJS module whose function is its `default` export.
  const mathPlugin = ((mathModule as unknown as { default?: unknown }).default ?? mathModule) as Parameters<InstanceType<typeof MarkdownIt>["use"]>[0];
  md.use(mathPlugin, { output: "mathml", throwOnError: false } as never);
  // Tables: the CSP forbids style attributes, so alignment becomes a class.
  for (const rule of ["th_open", "td_open"] as const) {
    md.renderer.rules[rule] = (tokens, idx, options, _env, self) => {
      const t = tokens[idx]!;
      const style = attr(t, "style");
      const align = style && /text-align:(left|right|center)/.exec(style)?.[1];
      if (style) t.attrs = (t.attrs ?? []).filter(([k]) => k !== "style");
      if (align) t.attrJoin("class", `align-${align}`);
      return self.renderToken(tokens, idx, options);
    };
  }
  return md;
}

const md = createMarkdown();

const MATHML = ["math", "semantics", "annotation", "mrow", "mi", "mo", "mn", "ms", "mtext", "mspace", "msup", "msub", "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom", "menclose", "merror"];

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [
    ...sanitizeHtml.defaults.allowedTags, "img", "iframe", "figure", "figcaption", "aside", "section", "nav",
    "details", "summary", "sup", "sub", "del", "ins", "mark", "kbd", "span", "h1", "h2", ...MATHML,
  ],
  allowedAttributes: {
    "*": ["id", "class", "title", "lang", "dir", "aria-hidden", "aria-label", "role", "data-type"],
    a: ["href", "name", "rel"],
    img: ["src", "alt", "title", "width", "height", "loading"],
    iframe: ["src", "title", "allow", "allowfullscreen", "loading", "referrerpolicy"],
    pre: [{ name: "tabindex", multiple: false, values: ["0"] }],
    th: ["colspan", "rowspan", "scope"],
    td: ["colspan", "rowspan"],
    ol: ["start", "type"],
    math: ["xmlns", "display"],
    annotation: ["encoding"],
    mo: ["stretchy", "fence", "separator", "lspace", "rspace", "minsize", "maxsize", "accent", "movablelimits", "form"],
    mi: ["mathvariant"],
    mspace: ["width"],
    mpadded: ["width", "height", "depth", "lspace", "voffset"],
    mtable: ["columnalign", "rowspacing", "columnspacing", "displaystyle", "rowlines", "columnlines"],
    mtd: ["columnalign"],
    mstyle: ["displaystyle", "scriptlevel", "mathcolor", "mathsize"],
    mover: ["accent"],
    munder: ["accentunder"],
    menclose: ["notation"],
    mfrac: ["linethickness"],
  },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesAppliedToAttributes: ["href", "src"],
  allowProtocolRelative: false,
  allowedIframeHostnames: ["www.youtube-nocookie.com"],
  allowIframeRelativeUrls: false,
  parser: { lowerCaseAttributeNames: false },
};

const FRONT_MATTER = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

function parseFrontMatter(source: string, issues: ContentIssue[]): { data: Record<string, unknown>; body: string; lineOffset: number } {
  const m = FRONT_MATTER.exec(source);
  if (!m) return { data: {}, body: source, lineOffset: 0 };
  const lineOffset = m[0].split(/\n/).length - 1;
  const lc = new LineCounter();
  const doc = parseDocument(m[1]!, { lineCounter: lc, prettyErrors: false });
  for (const e of doc.errors) {
    issues.push({ line: lc.linePos(e.pos[0]).line + 1, severity: "error", message: `Front matter is not valid YAML: ${e.message.split("\n")[0]}` });
  }
  const data = doc.errors.length ? {} : doc.toJS();
  if (data !== null && (typeof data !== "object" || Array.isArray(data))) {
    issues.push({ line: 2, severity: "error", message: "Front matter must be a list of `key: value` lines, such as `title: Week 6`." });
    return { data: {}, body: source.slice(m[0].length), lineOffset };
  }
  return { data: data ?? {}, body: source.slice(m[0].length), lineOffset };
}

function inlineText(t: Token | undefined): string {
  return (t?.children ?? []).filter((c) => c.type === "text" || c.type === "code_inline").map((c) => c.content).join("").trim();
}

/** Theory/Practical items: sub-headings of those sections, and their top-level list items, that link to or embed something. */
function checklistCandidates(tokens: Token[], lineOffset: number): ChecklistCandidate[] {
  const out: ChecklistCandidate[] = [];
  let section: { kind: "THEORY" | "PRACTICAL"; level: number } | null = null;
  let itemLevel: number | null = null;
  let current: (ChecklistCandidate & { hasResource: boolean }) | null = null;
  let listDepth = 0;
  const flush = () => {
    if (current?.hasResource) out.push({ key: current.key, section: current.section, title: current.title, anchor: current.anchor, href: current.href, line: current.line });
    current = null;
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === "heading_open") {
      const level = Number(t.tag.slice(1));
      const text = inlineText(tokens[i + 1]);
      if (section && level <= section.level) {
        flush();
        section = null;
      }
      const kind = /^theory\b/i.test(text) ? "THEORY" : /^practi(cal|ce)\b/i.test(text) ? "PRACTICAL" : null;
      if (!section && kind) {
        section = { kind, level };
        itemLevel = null;
        continue;
      }
      if (section && level > section.level && (itemLevel === null || level <= itemLevel)) {
        flush();
        itemLevel = level;
        const id = attr(t, "id") ?? slugify(text);
        current = { key: `${section.kind.toLowerCase()}/${id}`, section: section.kind, title: text, anchor: id, line: (t.map?.[0] ?? 0) + lineOffset + 1, hasResource: false };
      }
      continue;
    }
    if (!section) continue;
    if (t.type === "bullet_list_open" || t.type === "ordered_list_open") listDepth++;
    if (t.type === "bullet_list_close" || t.type === "ordered_list_close") listDepth--;
    if (t.type === "list_item_open" && listDepth === 1 && itemLevel === null) {
      // A list item directly under Theory/Practical (no sub-headings there): one item each.
      flush();
      const inline = tokens.slice(i).find((x) => x.type === "inline");
      const link = inline?.children?.find((c) => c.type === "link_open");
      const text = inlineText(inline) || (inline?.content ?? "");
      const basis = attr(link, "data-reading") ?? attr(link, "href") ?? text;
      const id = `item-${slugify(basis.replace(/^https?:\/\//, "").replace(/\.html$/, "").replace(/\W+/g, " ")).slice(0, 60)}`;
      t.attrSet("id", id);
      current = { key: `${section.kind.toLowerCase()}/${id}`, section: section.kind, title: text, anchor: id, line: (t.map?.[0] ?? 0) + lineOffset + 1, hasResource: false };
    }
    if (t.type === "list_item_close" && listDepth === 1 && itemLevel === null) flush();
    if (current) {
      const c: ChecklistCandidate & { hasResource: boolean } = current;
      if (t.type === "embed") {
        c.hasResource = true;
        c.href ??= t.content;
      }
      for (const child of t.children ?? []) {
        if (child.type === "link_open") {
          c.hasResource = true;
          c.href ??= attr(child, "href") ?? undefined;
        }
      }
    }
  }
  flush();
  // Two items with the same key (two identical headings): number the later ones so keys stay unique.
  const seen = new Map<string, number>();
  for (const item of out) {
    const n = (seen.get(item.key) ?? 0) + 1;
    seen.set(item.key, n);
    if (n > 1) item.key = `${item.key}-${n}`;
  }
  return out;
}

function tableOfContents(tokens: Token[]): string {
  const heads = tokens.flatMap((t, i) => {
    if (t.type !== "heading_open") return [];
    const level = Number(t.tag.slice(1));
    return level <= 3 ? [{ level, id: attr(t, "id") ?? "", text: inlineText(tokens[i + 1]) }] : [];
  });
  if (heads.length === 0) return "";
  let html = "";
  const stack: number[] = [];
  for (const h of heads) {
    if (stack.length === 0 || h.level > stack[stack.length - 1]!) {
      html += "<ol>";
      stack.push(h.level);
    } else {
      html += "</li>";
      while (stack.length > 1 && h.level < stack[stack.length - 1]!) {
        html += "</ol></li>";
        stack.pop();
      }
    }
    html += `<li><a href="#${esc(h.id)}">${esc(h.text)}</a>`;
  }
  html += "</li>" + "</ol></li>".repeat(stack.length - 1) + "</ol>";
  return `<nav class="toc" aria-label="On this page">${html}</nav>`;
}

function estimateMinutes(front: Record<string, unknown>, tokens: Token[], body: string): { min: number; max: number } {
  const fromText = (s: string) => {
    const range = /(\d+)\s*(?:-|–|to)\s*(\d+)\s*min/i.exec(s);
    if (range) return { min: Number(range[1]), max: Number(range[2]) };
    const one = /(\d+)\s*min/i.exec(s);
    return one ? { min: Number(one[1]), max: Number(one[1]) } : null;
  };
  const declared = front.estimated_time ?? front.estimatedTime;
  if (typeof declared === "number") return { min: declared, max: declared };
  if (typeof declared === "string" && fromText(declared)) return fromText(declared)!;
  const timeBox = tokens.findIndex((t) => t.type === "admonition_open" && attr(t, "data-type") === "time");
  if (timeBox >= 0) {
    const text = tokens.slice(timeBox).find((t, k) => k > 0 && t.type === "inline" && t.content && !/reading time/i.test(t.content));
    const found = text && fromText(text.content);
    if (found) return found;
  }
  const words = body.split(/\s+/).filter(Boolean).length;
  const minutes = Math.max(1, Math.round(words / 200));
  return { min: minutes, max: minutes };
}

export const PLACEHOLDERS = ["URLROOT", "TITLE", "TOC"] as const;

/** Renders one reading. Never throws on content: problems come back in `issues` with line numbers. */
export function renderReading(source: string, opts: RenderOptions): RenderedReading {
  const issues: ContentIssue[] = [];
  const { data: front, body, lineOffset } = parseFrontMatter(source, issues);

  source.split(/\r?\n/).forEach((text, i) => {
    for (const m of text.matchAll(/\{\{\s*([A-Za-z_]+)\s*\}\}/g)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
        issues.push({ line: i + 1, severity: "error", message: `Unknown placeholder {{${m[1]}}}. Known ones: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(", ")}.` });
      }
    }
    const embed = /^\s*\[!embed\]\(\s*<?([^)\s>]+)/.exec(text);
    if (embed && !youtubeId(embed[1]!)) {
      issues.push({ line: i + 1, severity: "warning", message: `The embed ${embed[1]} is not a YouTube video, so it is shown as a plain link.` });
    }
  });

  const env = {};
  const tokens = md.parse(body, env) as Token[];
  const line = (t: Token | undefined) => (t?.map ? t.map[0] + lineOffset + 1 : undefined);

  // Links between readings: `./name.html` → our reading route; dead ones are reported.
  let block: Token | undefined;
  for (const t of tokens) {
    if (t.map) block = t;
    for (const child of t.children ?? []) {
      if (child.type === "math_inline") checkMath(child.content, false, line(block), issues);
      if (child.type !== "link_open") continue;
      const href = attr(child, "href") ?? "";
      const m = /^(?:\.\/)?([\w-]+)\.html(#[\w-]*)?$/.exec(href);
      if (!m) continue;
      child.attrSet("href", `${opts.readingBase}/${m[1]}${m[2] ?? ""}`);
      child.attrSet("data-reading", m[1]!);
      if (opts.knownReadings && !opts.knownReadings.has(m[1]!)) {
        issues.push({ line: line(block), severity: "warning", message: `The link to ${href} points to a reading that does not exist in this module.` });
      }
    }
    if (t.type === "math_block" || t.type === "math_block_eqno") checkMath(t.content, true, line(t), issues);
  }

  const h1 = tokens.findIndex((t) => t.type === "heading_open" && t.tag === "h1");
  const title = typeof front.title === "string" && front.title.trim() ? front.title.trim() : h1 >= 0 ? inlineText(tokens[h1 + 1]) : "";
  if (!title && !issues.some((i) => i.severity === "error" && i.message.startsWith("Front matter"))) issues.push({ line: 1, severity: "error", message: "The reading has no title: add front matter `title: …` or a `# Heading` at the top." });

  const items = checklistCandidates(tokens, lineOffset);
  const tocHtml = tableOfContents(tokens);
  let html = md.renderer.render(tokens as never, md.options, env);
  const values: Record<(typeof PLACEHOLDERS)[number], string> = { URLROOT: opts.urlRoot.replace(/\/$/, ""), TITLE: esc(title), TOC: tocHtml };
  for (const [name, value] of Object.entries(values)) {
    // markdown-it percent-encodes braces inside link targets, so both spellings are replaced.
    html = html.replaceAll(`{{${name}}}`, value).replaceAll(`%7B%7B${name}%7D%7D`, value);
  }
  return {
    title,
    frontMatter: front,
    html: sanitizeHtml(html, SANITIZE),
    tocHtml: sanitizeHtml(tocHtml, SANITIZE),
    estimatedMinutes: estimateMinutes(front, tokens, body),
    items,
    issues: issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
  };
}

function checkMath(latex: string, display: boolean, line: number | undefined, issues: ContentIssue[]) {
  try {
    katex.renderToString(latex, { throwOnError: true, displayMode: display, output: "mathml" });
  } catch (e) {
    issues.push({ line, severity: "warning", message: `Math that does not render: ${(e as Error).message.replace(/^KaTeX parse error: /, "")}` });
  }
}

/**
 * A short piece of the dialect (a quiz question, a choice, feedback): the same
 * Markdown and math, sanitised the same way. `inline` renders without a paragraph.
 */
export function renderFragment(source: string, { inline = false } = {}): string {
  const html = inline ? md.renderInline(source) : md.render(source);
  return sanitizeHtml(html, SANITIZE);
}
