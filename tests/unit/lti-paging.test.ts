// The paged GET that NRPS rosters and AGS line items and results share: the first URL, then each
// page's Link rel="next" (RFC 8288), up to a page limit.
import { nextLink, pagedGet } from "../../src/lti/lti.tokens.js";

const page = (items: unknown, link?: string) => new Response(JSON.stringify(items), { headers: link ? { Link: link } : {} });

test("follows rel=\"next\" page by page (beside other relations, quoted or not) and returns every item in order", async () => {
  const asked: string[] = [];
  const pages: Record<string, Response> = {
    "https://lms.example.edu/m": page({ members: [1, 2] }, '<https://lms.example.edu/m?p=2>; rel="next", <https://lms.example.edu/m>; rel="first"'),
    "https://lms.example.edu/m?p=2": page({ members: [3] }, '<https://lms.example.edu/m>; rel="first", <https://lms.example.edu/m?p=3>; rel="prev next"'),
    "https://lms.example.edu/m?p=3": page({ members: [4] }, "<https://lms.example.edu/m?p=2>; rel=prev"),
  };
  const got = await pagedGet<number>("https://lms.example.edu/m", {
    get: async (url) => (asked.push(url), pages[url]!),
    items: (body) => (body as { members: number[] }).members,
    maxPages: 10,
    tooMany: () => new Error("too many"),
  });
  expect(got).toEqual([1, 2, 3, 4]);
  expect(asked).toEqual(["https://lms.example.edu/m", "https://lms.example.edu/m?p=2", "https://lms.example.edu/m?p=3"]);
});

test("a platform whose next links never end is stopped at the page limit with the caller's error", async () => {
  let asked = 0;
  const run = pagedGet<number>("https://lms.example.edu/m", {
    get: async (url) => (asked++, page([1], `<${url}x>; rel="next"`)),
    items: (body) => body as number[],
    maxPages: 3,
    tooMany: () => new Error("the LMS kept sending further pages (over 3)"),
  });
  await expect(run).rejects.toThrow("the LMS kept sending further pages (over 3)");
  expect(asked).toBe(3);
});

test("a page that is not JSON reaches the reader as null, and its error stops the walk", async () => {
  const seen: unknown[] = [];
  const run = pagedGet<number>("https://lms.example.edu/m", {
    get: async () => new Response("<html>maintenance</html>", { headers: { Link: '<https://lms.example.edu/m?p=2>; rel="next"' } }),
    items: (body) => {
      seen.push(body);
      throw new Error("the LMS sent a page this tool cannot read");
    },
    maxPages: 10,
    tooMany: () => new Error("too many"),
  });
  await expect(run).rejects.toThrow("cannot read");
  expect(seen).toEqual([null]);
});

test("nextLink finds only the next relation", () => {
  expect(nextLink(null)).toBeNull();
  expect(nextLink('<https://lms.example.edu/m?p=2>; rel="nextpage"')).toBeNull();
  expect(nextLink('<https://lms.example.edu/m?p=1>; rel="prev"')).toBeNull();
  expect(nextLink('<https://lms.example.edu/m?p=2>; rel=next')).toBe("https://lms.example.edu/m?p=2");
  expect(nextLink('<https://lms.example.edu/m?p=1>; rel="prev", <https://lms.example.edu/m?p=3>; rel="next"')).toBe("https://lms.example.edu/m?p=3");
});
