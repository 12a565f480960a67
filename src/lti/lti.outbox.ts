// LTI grade passback subscribes to grade changes (platform/grade-events.ts): a quiz grade
// change writes the outbox row that lti.grades.ts sends, in the transaction that changed it.
// Quizzes and case studies never import LTI; the processes wire this (app.ts, server.ts, worker.ts).
import { GradeEvents } from "../platform/grade-events.js";
import { queueQuizScore } from "./lti.grades.js";

/** Grade events with the LMS gradebook subscribed. */
export function gradeEventsWithLti(): GradeEvents {
  return new GradeEvents().onQuizGrade((tx, change) => queueQuizScore(tx, change.quizId, change.userId, change.percent, change.at));
}
