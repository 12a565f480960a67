// The quiz as a student sees it, for course staff: every question of the file in order
// (each pool's questions all shown, marked with the pool), any variant of a variant
// question by its number, and the right answer under each. Drawn in memory from the quiz
// file on every request: no attempt, no grade, no statistics, no LMS score, nothing stored.
import { Router } from "express";
import { z } from "zod";
import { requireStaff } from "../courses/courses.loaders.js";
import { pageContext } from "../platform/page-context.js";
import { SeededRandom } from "../platform/random.js";
import { instantiate, rightAnswerHtml, type SlotQuestion } from "./questions.js";
import { isPool, type Question } from "./quiz.definition.js";
import { loadQuiz } from "./quiz.loaders.js";
import { attemptSlotView } from "./quiz.present.js";
import { definitionOf, type QuizService } from "./quiz.service.js";
import { isVariant, validCombinations, variantKey } from "./variants.js";

/** A stream whose first pick is the variant asked for (instantiate's first draw picks the variant); the rest as seeded. */
class ChosenVariant extends SeededRandom {
  private picked = false;
  constructor(seed: string, private readonly index: number) {
    super(seed);
  }
  override pick<T>(items: readonly T[]): T {
    if (this.picked) return super.pick(items);
    this.picked = true;
    return items[this.index]!;
  }
}

/** The question drawn as variant `n` (1-based) of its valid parameter combinations. */
export function previewQuestion(quizId: string, q: Question, n: number, shuffleChoices: boolean): SlotQuestion {
  const seed = `preview:${quizId}:${q.id}:${n}`;
  if (!isVariant(q)) return instantiate(q, new SeededRandom(seed), shuffleChoices);
  const combos = validCombinations(q);
  const drawn = instantiate(q, new ChosenVariant(seed, n - 1), shuffleChoices);
  // instantiate must have taken the variant asked for: anything else would preview the wrong question.
  if (drawn.variant !== variantKey(combos[n - 1]!)) throw new Error(`preview: variant ${n} of ${q.id} was not the one drawn`);
  return drawn;
}

interface PreviewEntry {
  q: Question;
  pool: { id: string; draw: number; of: number } | null;
}

export function quizPreviewRoutes(deps: { quizzes: QuizService }) {
  const router = Router({ mergeParams: true });

  router.get("/quizzes/:quizSlug/preview", loadQuiz(deps.quizzes), requireStaff, (req, res) => {
    const { course, quiz } = pageContext(res, "course", "quiz");
    const def = definitionOf(quiz);
    const quizBase = `/courses/${course.slug}/quizzes/${quiz.slug}`;
    const entries = def.questions.flatMap((e): PreviewEntry[] =>
      isPool(e) ? e.questions.map((q) => ({ q, pool: { id: e.pool, draw: e.draw, of: e.questions.length } })) : [{ q: e, pool: null }]);
    // Each variant question's chosen variant, from ?v-<question id>=<number>; anything else means variant 1.
    const chosen = new Map<string, { count: number; n: number }>(entries.map(({ q }): [string, { count: number; n: number }] => {
      const count = isVariant(q) ? validCombinations(q).length : 1;
      return [q.id, { count, n: z.coerce.number().int().min(1).max(count).catch(1).parse(req.query[`v-${q.id}`] ?? 1) }];
    }));
    const questions = entries.map(({ q, pool }, i) => {
      const { count, n } = chosen.get(q.id)!;
      const drawn = previewQuestion(quiz.id, q, n, def.shuffleChoices);
      return {
        ...attemptSlotView({ slot: i, question: drawn, response: null, checkedAt: null, score: null, state: null }, i, new Set()),
        id: q.id, pool,
        variant: count > 1 ? {
          n, count, key: drawn.variant, field: `v-${q.id}`, options: Array.from({ length: count }, (_v, k) => ({ value: k + 1, selected: k + 1 === n })),
          // The other questions' chosen variants, kept when this one changes.
          keep: [...chosen.entries()].filter(([id, c]) => id !== q.id && c.count > 1 && c.n > 1).map(([id, c]) => ({ name: `v-${id}`, value: c.n })),
        } : null,
        rightAnswerHtml: rightAnswerHtml(drawn),
        explanationHtml: drawn.explanationHtml,
      };
    });
    res.render("quiz-preview", {
      title: `Preview — ${quiz.title}`, course, quiz, quizBase, isStaff: true,
      questions, shuffleChoices: def.shuffleChoices, shuffleQuestions: def.shuffleQuestions,
      pools: def.questions.filter(isPool).map((p) => ({ id: p.pool, draw: p.draw, of: p.questions.length })),
    });
  });

  return router;
}
