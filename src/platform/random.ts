// Seeded random numbers, for what must come out the same every time: quiz variants and shuffles
// (per quiz, student and attempt), the leaderboard's public/private split, generated datasets.
// xoroshiro128+ from pure-rand; unbiased integers from its uniformInt.
import crypto from "node:crypto";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus, xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";

type Generator = ReturnType<typeof xoroshiro128plus>;

export class SeededRandom {
  protected readonly g: Generator;

  /** A stream anyone can reproduce from the text `seed` (32 bits of its SHA-256). */
  constructor(seed: string | Generator) {
    this.g = typeof seed === "string" ? xoroshiro128plus(crypto.createHash("sha256").update(seed).digest().readInt32LE(0)) : seed;
  }

  /** A stream only the holder of `key` can reproduce: all 128 bits of state from HMAC-SHA256(key, label). */
  static keyed<T extends SeededRandom>(this: new (seed: Generator) => T, key: Buffer, label: string): T {
    const d = crypto.createHmac("sha256", key).update(label).digest();
    const state = [d.readInt32LE(0), d.readInt32LE(4), d.readInt32LE(8), d.readInt32LE(12)];
    if (!state.some((x) => x !== 0)) state[0] = 1; // the one state xoroshiro cannot leave
    return new this(xoroshiro128plusFromState(state));
  }

  int(from: number, to: number): number {
    return uniformInt(this.g, from, to);
  }
  /** Uniform in [a, b). */
  float(a = 0, b = 1): number {
    return a + (this.int(0, 0x3fffffff) / 0x40000000) * (b - a);
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
  sample<T>(items: readonly T[], n: number): T[] {
    return this.shuffle(items).slice(0, n);
  }
}
