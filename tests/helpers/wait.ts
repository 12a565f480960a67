// Polling for something another process does (a worker scoring, a child exiting):
// reads until the value is acceptable, or fails with the last value seen. Not a timing
// assertion: the limit only keeps a broken test from hanging.
export async function until<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, ms: number, what = "the condition"): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
