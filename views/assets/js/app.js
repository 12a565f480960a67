// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("submit", (event) => {
  // Guard against double submits (double click, impatient Enter); the server is idempotent anyway.
  const form = event.target;
  // A submit another script kept back (the quiz page while signed out) sent nothing: it does not count.
  if (event.defaultPrevented || !(form instanceof HTMLFormElement) || form.dataset.allowResubmit !== undefined || form.hasAttribute("data-tick")) return;
  if (form.dataset.submitting === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "1";
  setTimeout(() => delete form.dataset.submitting, 5000);
});

// Checklist ticks update in place; without JavaScript the same form posts and redirects back.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-tick")) return;
  event.preventDefault();
  // One tick at a time per item. The button stays enabled (aria-disabled only): disabling it would
  // take the keyboard focus away, and a keyboard user could not press it again to untick.
  if (form.dataset.busy === "1") return;
  const button = form.querySelector("button");
  const body = new URLSearchParams(new FormData(form));
  form.dataset.busy = "1";
  button.setAttribute("aria-disabled", "true");
  try {
    const res = await fetch(form.action, { method: "POST", body, headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!res.ok) {
      const problem = await res.json().catch(() => null);
      window.alert((problem && problem.error && problem.error.message) || "Could not save. Reload the page and try again.");
      return;
    }
    const data = await res.json();
    document.querySelectorAll(`[data-item="${data.itemId}"]`).forEach((el) => {
      el.classList.toggle("is-done", data.done);
      const f = el.querySelector("form[data-tick]");
      f.querySelector('input[name="done"]').value = data.done ? "0" : "1";
      const b = f.querySelector("button");
      const title = el.querySelector(".item-text a").textContent;
      b.setAttribute("aria-pressed", String(data.done));
      b.setAttribute("aria-label", data.done ? `Done: ${title}. Mark as not done` : `Mark as done: ${title}`);
      const meta = el.querySelector(".item-meta");
      if (meta) meta.textContent = data.done ? "done just now" : "";
    });
    for (const p of data.progress) {
      document.querySelectorAll(`[data-progress] [data-section="${p.section}"]`).forEach((row) => {
        row.querySelector("[data-count]").textContent = `${p.done} of ${p.total}`;
        const bar = row.querySelector("progress");
        bar.value = p.percent;
        bar.setAttribute("aria-label", `${row.querySelector(".progress-label").textContent}: ${p.done} of ${p.total} done`);
      });
    }
    // The module page's list of readings: each reading's count.
    const byReading = new Map((data.readings || []).map((r) => [r.reading, r]));
    document.querySelectorAll("[data-reading-count]").forEach((el) => {
      const r = byReading.get(el.dataset.readingCount);
      if (r) el.textContent = `${r.done} of ${r.total}`;
    });
    // The "Next:" line points at the first unfinished item as it is now, not the one just ticked.
    if ("next" in data) {
      document.querySelectorAll(".next-due").forEach((line) => {
        line.replaceChildren();
        if (!data.next) {
          line.textContent = "All done. Well done!";
          return;
        }
        const link = document.createElement("a");
        link.href = data.next.href;
        link.textContent = data.next.title;
        const meta = document.createElement("span");
        meta.className = "muted";
        meta.textContent = `(${data.next.label}${data.next.overdue ? ", overdue" : ""})`;
        line.append("Next: ", link, " ", meta);
      });
    }
  } catch {
    window.alert("Could not reach the server. Check your connection; your tick was not saved.");
  } finally {
    delete form.dataset.busy;
    button.removeAttribute("aria-disabled");
  }
});

// A "Copy" button on each code block of a reading (where the browser offers a clipboard).
if (navigator.clipboard) {
  for (const pre of document.querySelectorAll(".reading-body pre.code")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-code";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy code");
    const status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(pre.querySelector("code").textContent);
        button.textContent = "Copied";
        status.textContent = "Copied";
      } catch {
        button.textContent = "Copy failed";
        status.textContent = "Could not copy: select the code and copy it yourself.";
      }
      setTimeout(() => {
        button.textContent = "Copy";
        status.textContent = "";
      }, 2000);
    });
    // Beside the block, not in it: in the block it scrolled away with a line wider than a phone.
    const frame = document.createElement("div");
    frame.className = "code-block";
    pre.before(frame);
    frame.append(pre, button);
    frame.after(status);
  }
}

// A form that only hands something back to another site (an LMS) submits itself; its button stays for browsers without JavaScript.
for (const form of document.querySelectorAll("form[data-autosubmit]")) form.submit();
