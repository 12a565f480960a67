// Submits quiz attempts whose time ran out while nobody was looking (closed laptop,
// lost connection), so grades and statistics are complete without anyone visiting.
// Each submit locks its attempt, so several processes sweeping at once are safe.
import type { Logger } from "pino";
import type { QuizService } from "./quiz.service.js";

export function sweepOverdueAttempts(quizzes: QuizService, logger: Logger, everyMs = 30_000): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    quizzes
      .finishOverdue()
      .then((n) => n && logger.info({ submitted: n }, "quiz attempts submitted when their time ran out"))
      .catch((err) => logger.error({ err }, "overdue quiz attempts could not be submitted; will retry"))
      .finally(() => (running = false));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
