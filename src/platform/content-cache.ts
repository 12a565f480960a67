// Content rows (modules, readings with their HTML, checklist items, quiz and case-study lists)
// change only when the content is synced. Each sync bumps ContentVersion.version last, after
// every row is written; every course request reads that number in the same SQL statement as
// the caller's session and memberships (coursesInSession, CoursesService.courseFor), so a process learns of a sync run by
// any process — itself, the worker, another web process — on its next course request, and
// serves nothing older from then on. No timer, no extra query.

export class ContentCache {
  /** The newest content version a request has seen; -1 until the first (nothing is cached before it). */
  private version = -1;
  private entries = new Map<string, Promise<unknown>>();

  /** Called with the version a request read from the database: a newer one empties the cache. */
  see(version: number): void {
    if (version <= this.version) return;
    this.version = version;
    // A load still running for the old version settles into the old map, which is dropped here.
    this.entries = new Map();
  }

  /** The value cached under `key` for the current version, loading it once (concurrent callers share the load). */
  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (this.version < 0) return load();
    const entries = this.entries;
    let hit = entries.get(key) as Promise<T> | undefined;
    if (!hit) {
      hit = load();
      entries.set(key, hit);
      // A failed load is not remembered: the next request tries again.
      hit.catch(() => entries.get(key) === hit && entries.delete(key));
    }
    return hit;
  }
}
