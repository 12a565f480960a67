// The course and module pages say when the quiz closes in words, in the course's time zone, and say
// "closed on" once it has (not "closes Nov 27" for a quiz long closed).
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { $, signedIn, startTestApp, TEST_NOW, type TestApp } from "../helpers/app.js";

let t: TestApp;
let now = TEST_NOW;
beforeAll(async () => {
  t = await startTestApp({}, { clock: () => now });
});
afterAll(() => t.close());

test("the quiz's closing time reads in words on the course and module pages, before and after it closes", async () => {
  const alice = await signedIn(t, "alice@example.edu", DEMO_PASSWORDS.student);
  // The demo course starts at TEST_NOW, Wed 12 Mar 2031 11:00 in Denver (MDT); its quiz closes
  // "start, +1 day, friday 09:00": Fri 14 Mar 09:00 MDT, two calendar days on.
  const quizLine = async (path: string) => $((await alice.get(path)).text)("a[href='/courses/cnn/quizzes/cnn-friday']").closest("li").text().replace(/\s+/g, " ");
  expect(await quizLine("/courses/cnn")).toContain("closes in 2 days, Fri 14 Mar 09:00 MDT");
  expect(await quizLine("/courses/cnn/modules/cnn")).toContain("closes in 2 days, Fri 14 Mar 09:00 MDT");
  // The case study's deadline in the same words and zone: a week after the start, at 23:59 (Wed 19 Mar).
  const caseLine = $((await alice.get("/courses/cnn")).text)("a[href='/courses/cnn/case-studies/cnn']").closest("li").text().replace(/\s+/g, " ");
  expect(caseLine).toContain("due in 7 days, Wed 19 Mar 23:59 MDT");
  now = new Date("2031-03-15T18:00:00Z"); // Saturday
  expect(await quizLine("/courses/cnn")).toContain("closed on Fri 14 Mar 09:00 MDT");
  expect(await quizLine("/courses/cnn/modules/cnn")).toContain("closed on Fri 14 Mar 09:00 MDT");
  now = TEST_NOW;
});

test("without LMS platforms set up, an instructor's course page has no 'LMS connections' link (it would lead nowhere)", async () => {
  const prof = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const page = $((await prof.get("/courses/cnn")).text);
  expect(page("h1").text()).toBe("Convolutional Neural Networks");
  expect(page("a[href='/lti/courses/cnn']")).toHaveLength(0);
});
