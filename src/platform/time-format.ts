// Times shown to people, in the course's time zone (one zone per page): the moment a quiz
// or case study opens or closes in words, and a named time of day.
import { DateTime } from "luxon";

/**
 * When a quiz opens or closes, in words that are right before and after the moment, in the
 * course's time zone: "opened on Mon 23 Nov 09:00 MST", "closes in 2 days, Fri 27 Nov
 * 09:00 MST", "closes tomorrow, …", "closes today at 09:00 MST", "closed on …".
 */
export function whenPhrase(kind: "opens" | "closes" | "due", at: Date, now: Date, timeZone: string): string {
  // The words depend on `now` only through its minute and the whole minutes left (times in a zone
  // change on whole minutes), so a phrase is kept for that pair: working in a zone costs a course
  // page more than all its queries, and every student sees the same few due times.
  const key = `${kind} ${at.getTime()} ${timeZone} ${Math.floor(now.getTime() / 60_000)} ${Math.ceil((at.getTime() - now.getTime()) / 60_000)} ${at.getTime() <= now.getTime()}`;
  let phrase = phrases.get(key);
  if (phrase === undefined) {
    if (phrases.size >= 2000) phrases.clear();
    phrase = phraseNow(kind, at, now, timeZone);
    phrases.set(key, phrase);
  }
  return phrase;
}

const phrases = new Map<string, string>();

function phraseNow(kind: "opens" | "closes" | "due", at: Date, now: Date, timeZone: string): string {
  const t = DateTime.fromJSDate(at, { zone: timeZone }).setLocale("en-US");
  const n = DateTime.fromJSDate(now, { zone: timeZone }).setLocale("en-US");
  const zone = t.offsetNameShort ?? "";
  const time = `${t.toFormat("HH:mm")} ${zone}`.trim();
  const day = t.toFormat(t.year === n.year ? "ccc d LLL" : "ccc d LLL yyyy");
  if (at.getTime() <= now.getTime()) return `${kind === "opens" ? "opened" : kind === "closes" ? "closed" : "was due"} on ${day} ${time}`;
  const minutes = Math.ceil((at.getTime() - now.getTime()) / 60_000);
  const days = Math.round(t.startOf("day").diff(n.startOf("day"), "days").days);
  if (minutes < 60) return `${kind} in ${minutes} minute${minutes === 1 ? "" : "s"}, at ${time}`;
  if (days === 0) return `${kind} today at ${time}`;
  if (days === 1) return `${kind} tomorrow, ${day} ${time}`;
  return `${kind} in ${days} days, ${day} ${time}`;
}

/** A time of day in the course's time zone, named ("12:03:15 PM MST"): what the autosave reports. */
export function timeOfDay(d: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("en-US", { hour: "numeric", minute: "2-digit", second: "2-digit", timeZone, timeZoneName: "short" }).format(d);
}
