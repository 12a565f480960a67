// LtiHandoff.payload (the session plan a launch in a frame hands to a new window) is JSON in the
// database: it is read back through its versioned schema, and a row that does not fit is refused
// (null: the ticket cannot be used, as if expired), never cast.
import { handoffPayload, readHandoffPayload, type PendingLaunch, type SessionPlan } from "../../src/lti/lti.plan.js";

const pending: PendingLaunch = {
  issuer: "https://lms.example.edu", clientId: "tool-client-1", sub: "lms-lena", name: "Lena Learner", email: "lena@example.edu",
  role: "STUDENT", contextRowId: "ctx-row-1", targetLinkUri: "https://tool.example.org/courses/cnn", resourceLinkId: "link-1",
  lineitem: null, frameOrigins: ["https://lms.example.edu"], at: 1_795_000_000_000,
};
const plan: SessionPlan = {
  ltiPending: { ...pending },
  frameOrigins: ["https://lms.example.edu", "https://school.example.edu"],
  dest: "/lti/link",
  who: "lena@example.edu",
};
const signedIn: SessionPlan = {
  userId: "user-1",
  ltiDeepLink: { returnUrl: "https://lms.example.edu/deep-link/return", acceptMultiple: true, data: null, deploymentId: "deploy-1", contextRowId: "ctx-row-1" },
  flash: { kind: "info", text: "Signed in from your LMS." },
  frameOrigins: [],
  contextRowId: "ctx-row-1",
  dest: "/lti/deep-link",
  who: "Irene Instructor",
};
/** Through the database: a JSON column keeps what JSON keeps. */
const stored = (json: unknown) => JSON.parse(JSON.stringify(json)) as unknown;

test("a plan as stored says its version (1) and reads back unchanged", () => {
  expect(stored(handoffPayload(plan))).toEqual({ ...plan, version: 1 });
  expect(readHandoffPayload(stored(handoffPayload(plan)))).toEqual(plan);
  expect(readHandoffPayload(stored(handoffPayload(signedIn)))).toEqual(signedIn);
});

test("a row written before the version was stored (the same shape, no version) reads as version 1", () => {
  expect(readHandoffPayload(stored(plan))).toEqual(plan);
});

test("a row that does not fit the schema is refused, not cast: null", () => {
  for (const corrupt of [
    null, "a plan", 42, [], {},
    { ...plan, version: 2 }, // a version this release does not know
    { ...plan, dest: 42 },
    { frameOrigins: [], dest: "/courses/cnn" }, // who is missing
    { ...plan, frameOrigins: "https://lms.example.edu" },
    { ...plan, ltiPending: { ...pending, role: "OWNER" } },
    { ...signedIn, flash: { kind: "shout", text: "hi" } },
  ]) {
    expect(readHandoffPayload(corrupt)).toBeNull();
  }
});
