// Quiz item statistics as Moodle's quiz statistics report defines them, over every
// submitted attempt: facility (mean score %), standard deviation, discrimination index
// (correlation of the item's score with the rest of the attempt's score) and
// discriminative efficiency (that covariance over the largest covariance the two
// score distributions allow), choice frequencies for distractor analysis, facility per
// variant. Quiz level: mean, median, distribution, average time.

export interface StatSlot {
  questionId: string;
  variant: string;
  points: number;
  score: number;
  /** For choice questions: the chosen options' positions in the quiz file, and every option's text. */
  chosen?: number[];
  options?: string[];
  type: string;
  textHtml: string;
}

export interface StatAttempt {
  score: number;
  maxScore: number;
  seconds: number | null;
  slots: StatSlot[];
}

export interface QuestionStats {
  questionId: string;
  type: string;
  textHtml: string;
  n: number;
  facility: number;
  sd: number;
  discrimination: number | null;
  efficiency: number | null;
  flagged: boolean;
  choices: { text: string; count: number; share: number }[];
  variants: { variant: string; n: number; facility: number }[];
}

export interface QuizStats {
  attempts: number;
  mean: number | null;
  median: number | null;
  sd: number | null;
  averageSeconds: number | null;
  /** Ten bins of the score in percent: [0,10), [10,20), …, [90,100]. */
  histogram: number[];
  questions: QuestionStats[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
function sampleSd(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}
function covariance(xs: number[], ys: number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  return xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / (xs.length - 1);
}

export function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function quizStats(attempts: StatAttempt[]): QuizStats {
  const percents = attempts.map((a) => (a.maxScore ? (a.score / a.maxScore) * 100 : 0));
  const histogram = new Array<number>(10).fill(0);
  for (const p of percents) histogram[Math.min(9, Math.floor(p / 10))]!++;
  const times = attempts.map((a) => a.seconds).filter((s): s is number => s !== null);

  const byQuestion = new Map<string, { slot: StatSlot; rest: number }[]>();
  for (const a of attempts) {
    for (const s of a.slots) {
      const list = byQuestion.get(s.questionId) ?? [];
      list.push({ slot: s, rest: a.score - s.score });
      byQuestion.set(s.questionId, list);
    }
  }
  const questions = [...byQuestion.entries()].map(([questionId, rows]): QuestionStats => {
    const x = rows.map((r) => (r.slot.points ? r.slot.score / r.slot.points : 0));
    const y = rows.map((r) => r.rest);
    let discrimination: number | null = null;
    let efficiency: number | null = null;
    if (rows.length >= 2) {
      const sx = sampleSd(x);
      const sy = sampleSd(y);
      if (sx > 0 && sy > 0) {
        const cov = covariance(x, y);
        discrimination = (cov / (sx * sy)) * 100;
        const maxCov = covariance([...x].sort((a, b) => a - b), [...y].sort((a, b) => a - b));
        efficiency = maxCov > 0 ? (cov / maxCov) * 100 : null;
      }
    }
    const first = rows[0]!.slot;
    const choices = (first.options ?? []).map((text, i) => {
      const count = rows.filter((r) => r.slot.chosen?.includes(i)).length;
      return { text, count, share: rows.length ? count / rows.length : 0 };
    });
    const variants = new Map<string, number[]>();
    for (const [i, r] of rows.entries()) if (r.slot.variant) variants.set(r.slot.variant, [...(variants.get(r.slot.variant) ?? []), x[i]!]);
    return {
      questionId, type: first.type, textHtml: first.textHtml, n: rows.length,
      facility: mean(x) * 100, sd: sampleSd(x) * 100, discrimination, efficiency,
      flagged: discrimination !== null && discrimination < 0,
      choices,
      variants: [...variants.entries()].map(([variant, xs]) => ({ variant, n: xs.length, facility: mean(xs) * 100 })).sort((a, b) => a.facility - b.facility),
    };
  });
  questions.sort((a, b) => a.questionId.localeCompare(b.questionId));
  return {
    attempts: attempts.length,
    mean: percents.length ? mean(percents) : null,
    median: median(percents),
    sd: percents.length >= 2 ? sampleSd(percents) : null,
    averageSeconds: times.length ? mean(times) : null,
    histogram,
    questions,
  };
}
