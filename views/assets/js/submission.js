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
      const s = await res.json();
      misses = 0;
      statusEl.textContent = s.label;
      if (bar) bar.value = Math.round(s.progress * 100);
      if (s.status === "SCORED" || s.status === "FAILED") return window.location.reload();
      // A queued submission says why it waits when the job has said (data being prepared, a retry).
      live.textContent = s.status === "RUNNING" ? `Scoring… ${Math.round(s.progress * 100)}% of the holdout done.` : s.error || "Waiting for a grader to start.";
    } catch {
      misses++;
      live.textContent = "Lost contact with the server; still trying.";
    }
    setTimeout(poll, Math.min(10000, 1000 + misses * 2000));
  };
  setTimeout(poll, 1000);
})();
