import fs from "node:fs";
import * as cheerio from "cheerio";
import { renderReading, youtubeId } from "../../src/platform/markdown.js";

const SEED = new URL("../fixtures/readings/module-06-cnn.seed.md", import.meta.url);
const opts = { urlRoot: "/content/cnn", readingBase: "/courses/cnn/modules/cnn/readings", knownReadings: new Set(["overview", "keras-cnn"]) };
const render = (src: string) => renderReading(src, opts);

describe("the course's own module page (shared fixture)", () => {
  const r = render(fs.readFileSync(SEED, "utf8"));
  const $ = cheerio.load(r.html);

  test("title from front matter, and no problems", () => {
    expect(r.title).toBe("Module 06 — Convolutional Neural Networks");
    expect(r.issues).toEqual([]);
  });

  test("both admonitions render with their titles, the tab-indented bodies inside the boxes", () => {
    const time = $("aside.admonition.time");
    expect(time.find(".admonition-title").text()).toBe("Estimated Reading Time");
    expect(time.find("p").last().text()).toMatch(/^Plan on around 120 - 240 minutes/);
    const note = $("aside.admonition.note");
    expect(note.find(".admonition-title").text()).toBe("Theory vs Practice");
    expect(note.find("p:not(.admonition-title)").length).toBe(2);
    expect(note.text()).toContain("There is a lot of content to read this week");
    expect(note.text()).toContain("before you start in on the actual case study work on Monday");
    expect(note.find("em").first().text()).toBe("Theory");
    expect(r.html).not.toContain("!!!");
  });

  test("the embed is a privacy-enhanced YouTube player with a link fallback", () => {
    const iframe = $("figure.video-embed iframe");
    expect(iframe.attr("src")).toBe("https://www.youtube-nocookie.com/embed/iaSUYvmCekI");
    expect(iframe.attr("title")).toBeTruthy();
    expect($("figure.video-embed figcaption a").attr("href")).toBe("https://www.youtube.com/watch?v=iaSUYvmCekI");
    expect(r.html).not.toContain("[!embed]");
  });

  test("{{URLROOT}} is resolved inside the image source", () => {
    expect($("img").attr("src")).toBe("/content/cnn/shared/img/eye.jpg");
    expect(r.html).not.toContain("URLROOT");
  });

  test("Theory and Practical sections, and the link to the Keras page resolved to our route", () => {
    expect($("h3#theory").text()).toBe("Theory");
    expect($("h3#practical").text()).toBe("Practical");
    expect($('a:contains("this collection of tutorials")').attr("href")).toBe("/courses/cnn/modules/cnn/readings/keras-cnn");
  });

  test("checklist items: the Theory sub-headings and the Practical list item", () => {
    expect(r.items.map((i) => [i.section, i.key, i.title])).toEqual([
      ["THEORY", "theory/convolutional-neural-networks", "Convolutional Neural Networks"],
      ["THEORY", "theory/network-architecture", "Network Architecture"],
      ["PRACTICAL", "practical/item-keras-cnn", "Read this collection of tutorials on the Keras library"],
    ]);
    expect($(`#${r.items[2]!.anchor}`).is("li")).toBe(true);
  });

  test("estimated time comes from the time box; the table of contents stops at depth 3", () => {
    expect(r.estimatedMinutes).toEqual({ min: 120, max: 240 });
    const toc = cheerio.load(r.tocHtml);
    expect(toc("a").map((_i, a) => toc(a).text()).get()).toEqual(["Overview", "Preparation Reading", "Theory", "Practical"]);
  });
});

describe("admonitions", () => {
  test("every type renders; unknown types as a generic box; 4-space bodies; default and empty titles", () => {
    const r = render("!!! warning\n    Spaces body.\n\n!!!def \"\"\n\tNo title.\n\n!!!mystery \"Odd\"\n\tStill here.\n\nAfter.");
    const $ = cheerio.load(r.html);
    expect($("aside.warning .admonition-title").text()).toBe("Warning");
    expect($("aside.warning").text()).toContain("Spaces body.");
    expect($("aside.def .admonition-title").length).toBe(0);
    expect($("aside.def").text()).toContain("No title.");
    expect($("aside.generic").attr("data-type")).toBe("mystery");
    expect($("aside.generic").text()).toContain("Still here.");
    expect($("body > p").last().text()).toBe("After.");
  });

  test("a blank line inside the body keeps the box open; an unindented line closes it", () => {
    const $ = cheerio.load(render("!!!note \"N\"\n\tone\n\n\ttwo\nthree").html);
    expect($("aside p").length).toBe(3);
    expect($("aside").text()).not.toContain("three");
  });

  test("lists and code inside an admonition", () => {
    const $ = cheerio.load(render("!!!tip \"T\"\n\t- a [link](https://x.example)\n\t- b\n").html);
    expect($("aside.tip li").length).toBe(2);
  });
});

describe("embeds and links", () => {
  test.each([
    ["https://www.youtube.com/watch?v=iaSUYvmCekI", "iaSUYvmCekI"],
    ["https://youtu.be/iaSUYvmCekI", "iaSUYvmCekI"],
    ["https://www.youtube.com/embed/iaSUYvmCekI", "iaSUYvmCekI"],
    ["https://www.youtube.com/watch?v=bad", null],
    ["https://evil.example/watch?v=iaSUYvmCekI", null],
    ["not a url", null],
  ])("youtubeId(%s) = %s", (url, id) => {
    expect(youtubeId(url)).toBe(id);
  });

  test("a non-YouTube embed is a plain link, with a warning on its line", () => {
    const r = render("# T\n\n[!embed](https://vimeo.com/1)");
    expect(cheerio.load(r.html)("p.embed-link a").attr("href")).toBe("https://vimeo.com/1");
    expect(r.issues).toEqual([{ line: 3, severity: "warning", message: expect.stringContaining("not a YouTube video") }]);
  });

  test("a link to a reading that does not exist is reported with its line", () => {
    const r = render("# T\n\nSee [x](./nope.html#part).");
    expect(cheerio.load(r.html)("a").attr("href")).toBe("/courses/cnn/modules/cnn/readings/nope#part");
    expect(r.issues).toEqual([{ line: 3, severity: "warning", message: "The link to ./nope.html#part points to a reading that does not exist in this module." }]);
  });
});

describe("the rest of the dialect", () => {
  const r = render(
    [
      "---", "title: Rest", "---",
      "## Table {.wide}", "", "| a | b |", "|--:|:-:|", "| 1 | 2 |", "",
      "Note[^1] and $x^2$.", "", "[^1]: The footnote.", "",
      "$$", "\\frac{a}{b}", "$$", "",
      "```python", "x = 1", "```", "",
      "Go [home]({{URLROOT}}/file.pdf) in \"quotes\".",
    ].join("\n"),
  );
  const $ = cheerio.load(r.html);
  test("tables with alignment as classes (no inline styles)", () => {
    expect($("th.align-right").text()).toBe("a");
    expect(r.html).not.toContain("style=");
  });
  test("attr_list on headings", () => expect($("h2#table").hasClass("wide")).toBe(true));
  test("footnotes", () => expect($("section.footnotes li").text()).toContain("The footnote."));
  test("math rendered on the server as MathML", () => {
    expect($("math").length).toBe(2);
    expect($('math[display="block"] mfrac').length).toBe(1);
  });
  test("code highlighted on the server", () => expect($("code.language-python .hljs-number").text()).toBe("1"));
  test("placeholders inside link targets, smart quotes", () => {
    expect($('a:contains("home")').attr("href")).toBe("/content/cnn/file.pdf");
    expect(r.html).toContain("“quotes”");
  });
  test("bad math is reported with its line", () => {
    expect(render("# T\n\nBad $\\frac{1}{$ here").issues[0]).toMatchObject({ line: 3, severity: "warning", message: expect.stringContaining("Math that does not render") });
  });
});

describe("problems are reported, never thrown", () => {
  test("broken front matter: an error with the line inside the file", () => {
    const r = render("---\ntitle: ok\nbad: [unclosed\n---\n# Body");
    expect(r.issues[0]).toMatchObject({ severity: "error", line: 3 });
    expect(r.issues[0]!.message).toMatch(/^Front matter is not valid YAML/);
  });
  test("no title", () => expect(render("Just text.").issues).toEqual([{ line: 1, severity: "error", message: expect.stringContaining("has no title") }]));
  test("unknown placeholder", () => expect(render("# T\n{{COURSE}}").issues[0]).toMatchObject({ line: 2, severity: "error", message: expect.stringContaining("{{COURSE}}") }));
});

describe("raw HTML in the source is text, never markup (markdown-it runs with html: false)", () => {
  test.each([
    ["script", "<script>alert(1)</script>"],
    ["iframe", "<iframe src=https://evil.example></iframe>"],
    ["img", "<img src=x onerror=alert(1)>"],
  ])("<%s> is shown as written", (tag, src) => {
    const $ = cheerio.load(render(`# T\n\n${src}`).html);
    expect($(tag)).toHaveLength(0);
    expect($("p").text()).toBe(src);
  });

  test("a javascript: target in a Markdown link leaves text, not a link (markdown-it refuses the target)", () => {
    const $ = cheerio.load(render("# T\n\n[x](javascript:alert(1))").html);
    expect($("p a")).toHaveLength(0);
    expect($("p").text()).toBe("[x](javascript:alert(1))");
  });

  test("an attribute list keeps id and class and drops an event handler (markdown-it-attrs' own list)", () => {
    const $ = cheerio.load(render("# T {onclick=alert(1) .c #i}").html);
    expect($("h1#i").hasClass("c")).toBe(true);
    expect($("[onclick]")).toHaveLength(0);
  });
});

// What the dialect's own rules and plugins write reaches the page only through
// sanitize-html's allow-list: these inputs get past markdown-it, so the allow-list is
// what removes their dangerous parts.
describe("sanitising what the dialect writes", () => {
  test.each([
    ["javascript:alert%281%29"],
    ["data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="],
    ["vbscript:msgbox"],
  ])("an embed of %s is shown as text with nothing to follow; an ordinary page's embed keeps its link", (url) => {
    const $ = cheerio.load(render(`# T\n\n[!embed](${url})\n\n[!embed](https://vimeo.com/1)`).html);
    const embeds = $("p.embed-link a").map((_i, a) => [[$(a).text(), $(a).attr("href") ?? null]]).get();
    expect(embeds).toEqual([[url, null], ["https://vimeo.com/1", "https://vimeo.com/1"]]);
  });

  test("links and images keep only http(s), mailto and same-site targets", () => {
    const r = render([
      "# T",
      "",
      "[msdt](ms-msdt:/id%20PCWDiagnostic) [search](search-ms:query=x) [page](https://example.org/a) [mail](mailto:staff@example.edu) [reading](./overview.html) [part](#theory)",
      "",
      "![tracker](//evil.example/p.png) ![inline](data:image/png;base64,AAAA) ![photo](https://example.org/a.png) ![local]({{URLROOT}}/img/a.png)",
    ].join("\n"));
    const $ = cheerio.load(r.html);
    expect($("a").map((_i, a) => [[$(a).text(), $(a).attr("href") ?? null]]).get()).toEqual([
      ["msdt", null], ["search", null], ["page", "https://example.org/a"], ["mail", "mailto:staff@example.edu"],
      ["reading", "/courses/cnn/modules/cnn/readings/overview"], ["part", "#theory"],
    ]);
    expect($("img").map((_i, img) => [[$(img).attr("alt"), $(img).attr("src") ?? null]]).get()).toEqual([
      ["tracker", null], ["inline", null], ["photo", "https://example.org/a.png"], ["local", "/content/cnn/img/a.png"],
    ]);
  });

  test("math KaTeX cannot read keeps its class, message and source but not KaTeX's inline style (the CSP forbids them); good math keeps its MathML", () => {
    const r = render("# T\n\nBad $\\frac{1}{$ and red $\\color{red}{z}$.");
    const $ = cheerio.load(r.html);
    const error = $("span.katex-error");
    expect(error.text()).toBe("\\frac{1}{");
    expect(error.attr("title")).toMatch(/^ParseError: KaTeX parse error: /);
    expect(error.attr("style")).toBeUndefined();
    expect(r.html).not.toContain("style=");
    expect($('math mstyle[mathcolor="red"] mi').text()).toBe("z");
    expect($('annotation[encoding="application/x-tex"]').text()).toBe("\\color{red}{z}");
  });

  test("footnotes keep their links both ways", () => {
    const $ = cheerio.load(render("# T\n\nNote[^a].\n\n[^a]: The note.").html);
    const ref = $("sup.footnote-ref a");
    expect($(`${ref.attr("href")}`).text()).toContain("The note.");
    expect($(`${$("a.footnote-backref").attr("href")}`).is(ref)).toBe(true);
  });
});
