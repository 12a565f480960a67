// `npm run worker`: a process that runs background jobs and serves no HTTP.
// It shares start-up (config, database, migrations) with the web process; the
// grading job handlers are registered here by the case-study feature (issue #6).
import { startRuntime } from "./platform/runtime.js";
import { QuizService } from "./quiz/quiz.service.js";
import { sweepOverdueAttempts } from "./quiz/quiz.sweeper.js";

const rt = await startRuntime("worker");
const stopSweeping = sweepOverdueAttempts(new QuizService({ db: rt.db, clock: () => new Date() }), rt.logger);
rt.logger.info("worker started; waiting for jobs");

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  rt.logger.info({ signal }, "worker shutting down");
  stopSweeping();
  await rt.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
// Keep the event loop alive while there is nothing to do.
setInterval(() => {}, 1 << 30);
