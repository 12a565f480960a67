// What a launch leaves for a later request, as zod schemas (the types are inferred from them): the
// verified launch waiting for the person to choose an account, a content selection (Deep Linking)
// request, and the session plan a launch in a frame hands to a new window. The plan is stored as
// JSON (LtiHandoff.payload) and read back through readHandoffPayload, checked, never cast.
import { z } from "zod";
import { CourseRole, type Prisma } from "../platform/db/prisma.js";

/** What a Deep Linking request asks for (LTI Deep Linking 2.0, deep_linking_settings) and where the answer goes. */
export const DeepLinking = z.object({
  returnUrl: z.string(),
  acceptMultiple: z.boolean(),
  /** Opaque to the tool: echoed in the response. */
  data: z.string().nullable(),
  deploymentId: z.string(),
});
export type DeepLinking = z.infer<typeof DeepLinking>;

/** What a verified launch asks for, kept (in the browser's session) while the person chooses an account. */
export const PendingLaunch = z.object({
  issuer: z.string(),
  clientId: z.string(),
  sub: z.string(),
  name: z.string().nullable(),
  email: z.string().nullable(),
  role: z.enum(CourseRole),
  /** Our LtiContext row for the LMS course launched from. */
  contextRowId: z.string(),
  targetLinkUri: z.string().nullable(),
  resourceLinkId: z.string(),
  lineitem: z.string().nullable(),
  /** A content-selection (Deep Linking) request: where to send the choice. */
  deepLinking: DeepLinking.optional(),
  /** The origins whose pages may frame this person's session: the platform's, and the LMS site it names (tool_platform.url). */
  frameOrigins: z.array(z.string()).optional(),
  at: z.number(),
});
export type PendingLaunch = z.infer<typeof PendingLaunch>;

/** What a launch puts in the session, and where it goes next. */
const SessionPlan = z.object({
  userId: z.string().optional(),
  ltiPending: PendingLaunch.optional(),
  ltiDeepLink: DeepLinking.extend({ contextRowId: z.string() }).optional(),
  flash: z.object({ kind: z.enum(["success", "error", "info"]), text: z.string() }).optional(),
  frameOrigins: z.array(z.string()),
  /** The LMS course (LtiContext id) launched, if any: its connect page may be shown in the LMS frame. */
  contextRowId: z.string().optional(),
  dest: z.string(),
  /** Shown on the new-window page: who will be signed in. */
  who: z.string(),
});
export type SessionPlan = z.infer<typeof SessionPlan>;

/**
 * LtiHandoff.payload as stored, by version: version 1 is the session plan with `version: 1` beside
 * its fields (a row written before the version was stored is version 1 too: handoffs last minutes,
 * and those of the release before have this shape). A change of shape adds a version here, read
 * by readHandoffPayload.
 */
export const HandoffPayload = {
  v1: SessionPlan.extend({ version: z.literal(1).default(1) }),
} as const;

/** The plan as stored (the newest version). */
export function handoffPayload(plan: SessionPlan): Prisma.InputJsonValue {
  return { ...SessionPlan.parse(plan), version: 1 };
}

/** The stored plan checked against its schema, or null when it does not fit (a ticket that cannot be used, as if expired). */
export function readHandoffPayload(json: unknown): SessionPlan | null {
  const parsed = HandoffPayload.v1.safeParse(json);
  if (!parsed.success) return null;
  const { version: _version, ...plan } = parsed.data;
  return plan;
}
