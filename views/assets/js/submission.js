// Live status while a submission is queued or running; reloads when it is done.
"use strict";
(() => {
  const live = document.querySelector("[data-live]");
  if (!live) return;
  const statusEl = document.querySelector("[data-status]");
  const bar = document.querySelector("[data-progress]");
  let misses = 0;
  const poll = async () => {
    try {
      const res = await fetch(live.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      const s = await res.json().catch(() => null);
      if (res.status === 401) {
        // Signed out (elsewhere, or the session ran out): the scoring goes on; this page follows it again once signed in.
        misses++;
        live.textContent = "You are signed out, so this page cannot follow the scoring. It goes on without you: sign in again (in another tab) to watch it here, or reload this page later.";
      } else if (!res.ok || !s || !s.status) {
        if (res.status === 403 || res.status === 404) {
          // Not this account's, or gone: asking again changes nothing.
          live.textContent = (s && s.error && s.error.message) || "This submission cannot be shown. Go back to the case study.";
          return;
        }
        throw new Error(String(res.status));
      } else {
        misses = 0;
        statusEl.textContent = s.label;
        if (bar) bar.value = Math.round(s.progress * 100);
        if (s.status === "SCORED" || s.status === "FAILED") return window.location.reload();
        // A queued submission says why it waits when the job has said (data being prepared, a retry).
        live.textContent = s.status === "RUNNING" ? `Scoring… ${Math.round(s.progress * 100)}% of the holdout done.` : s.error || "Waiting for a grader to start.";
      }
    } catch {
      misses++;
      live.textContent = "Lost contact with the server; still trying.";
    }
    setTimeout(poll, Math.min(10000, 1000 + misses * 2000));
  };
  setTimeout(poll, 1000);
})();
