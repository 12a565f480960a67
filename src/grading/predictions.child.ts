// The process that reads one predictions CSV (predictions.ts) and exits: the only place
// a predictions file is parsed, so a web process never holds one.
import { ModelRefused } from "./errors.js";
import { readPredictionsCsv, type PredictionsJob, type PredictionsMessage } from "./predictions.js";

const send = (m: PredictionsMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

process.on("disconnect", () => process.exit(0));
process.once("message", (job: PredictionsJob) => {
  readPredictionsCsv(job)
    .then((predictions) => send({ type: "done", predictions }))
    .catch((e: unknown) => (e instanceof ModelRefused ? send({ type: "refused", message: e.message, code: e.code }) : send({ type: "failed", message: (e as Error)?.message ?? String(e) })))
    .finally(() => process.exit(0));
});
