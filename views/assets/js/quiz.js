// The quiz attempt page: autosave each question as it changes, show the server's
// time left, submit when it runs out. Without this file the form still works:
// "Save answers" and "Submit all and finish" post everything.
"use strict";
(() => {
  const form = document.querySelector("form[data-attempt]");
  if (!form) return;
  const token = form.querySelector('input[name="_csrf"]').value;
  const status = document.querySelector("[data-save-status]");
  const pending = new Map(); // slot → timer
  // Saves are numbered by the page, on from the attempt's newest number when it loaded,
  // never by the clock: this computer's clock may be hours off the server's.
  let rev = Number(form.dataset.rev) || 0;
  const newest = new Map(); // slot → number of this page's newest save of it
  const revField = form.querySelector('input[name="rev"]');
  let failures = 0;
  let inFlight = 0;
  let finished = false;

  const say = (text, isError = false) => {
    status.textContent = text;
    status.classList.toggle("is-error", isError);
  };
  const leave = (url) => {
    finished = true;
    window.location.assign(url || form.action);
  };

  function fieldsOf(fieldset) {
    const out = {};
    for (const el of fieldset.querySelectorAll("input, select, textarea")) {
      if (!el.name) continue;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
      if (el.type === "checkbox") (out[el.name] ||= []).push(el.value);
      else out[el.name] = el.value;
    }
    return out;
  }

  async function save(fieldset, { keepalive = false, again = false } = {}) {
    const slot = Number(fieldset.dataset.slot);
    clearTimeout(pending.get(slot));
    pending.delete(slot);
    const mine = ++rev;
    newest.set(slot, mine);
    const body = JSON.stringify({ slot, rev: mine, fields: fieldsOf(fieldset) });
    say("Saving…");
    inFlight++;
    try {
      const res = await fetch(form.dataset.autosaveUrl, {
        method: "POST", body, keepalive, credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": token },
      });
      if (res.status === 409) {
        const problem = await res.json().catch(() => null);
        say((problem && problem.error && problem.error.message) || "This attempt is over.", true);
        return leave();
      }
      if (res.status === 401 || res.status === 403) {
        say("Your answers could not be saved: you are signed out. Sign in again in another tab, then change an answer to save it.", true);
        return;
      }
      if (!res.ok) throw new Error(String(res.status));
      const data = await res.json();
      failures = 0;
      if (typeof data.rev === "number") rev = Math.max(rev, data.rev);
      // Not saved although it is this page's newest answer: another window of this attempt
      // saved the question since this page loaded. The answer given here and now wins.
      if (!data.saved && newest.get(slot) === mine && !again) return save(fieldset, { keepalive, again: true });
      if (inFlight === 1 && pending.size === 0) say(`All answers saved at ${new Date(data.savedAt).toLocaleTimeString()}.`);
      if (typeof data.secondsLeft === "number") timer.sync(data.secondsLeft);
    } catch {
      failures++;
      say("Not saved: cannot reach the server. Your answer stays on this page and is retried.", true);
      pending.set(slot, setTimeout(() => save(fieldset), Math.min(30000, 2000 * failures)));
    } finally {
      inFlight--;
    }
  }

  const schedule = (fieldset, delay) => {
    clearTimeout(pending.get(Number(fieldset.dataset.slot)));
    pending.set(Number(fieldset.dataset.slot), setTimeout(() => save(fieldset), delay));
  };
  form.addEventListener("change", (e) => {
    const fs = e.target.closest("fieldset[data-slot]");
    if (fs) save(fs);
  });
  form.addEventListener("input", (e) => {
    const fs = e.target.closest("fieldset[data-slot]");
    if (fs && e.target.type === "text") schedule(fs, 700);
  });
  // Leaving the page: send what is still waiting.
  window.addEventListener("pagehide", () => {
    for (const slot of [...pending.keys()]) {
      const fs = form.querySelector(`fieldset[data-slot="${slot}"]`);
      if (fs) save(fs, { keepalive: true });
    }
  });

  // The form post carries every answer, so it is numbered after this page's autosaves,
  // and the answers still waiting to be autosaved go with it.
  form.addEventListener("submit", (e) => {
    const action = e.submitter && e.submitter.value;
    if (action === "submit" && !finished && !confirmSubmit()) {
      e.preventDefault();
      return;
    }
    revField.value = String(++rev);
    for (const timer of pending.values()) clearTimeout(timer);
    pending.clear();
  });
  function confirmSubmit() {
    const unanswered = [...form.querySelectorAll("fieldset[data-slot]")].filter((fs) => Object.keys(fieldsOf(fs)).length === 0 || Object.values(fieldsOf(fs)).every((v) => v === "" || (Array.isArray(v) && !v.length))).length;
    const msg = unanswered
      ? `${unanswered} question${unanswered === 1 ? " is" : "s are"} not answered. Submit anyway? You cannot change answers after submitting.`
      : "Submit this attempt? You cannot change answers after submitting.";
    return window.confirm(msg);
  }

  // Time left: counted from the server's figure, corrected at every save.
  const timer = (() => {
    const el = document.querySelector("[data-timer]");
    if (!el) return { sync() {} };
    const out = el.querySelector("[data-time-left]");
    let endsAt = Date.now() + Number(el.dataset.secondsLeft) * 1000;
    const fmt = (s) => {
      const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
      return `${h ? `${h}:` : ""}${String(m).padStart(h ? 2 : 1, "0")}:${String(sec).padStart(2, "0")}`;
    };
    const tick = () => {
      const left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
      out.textContent = fmt(left);
      el.classList.toggle("is-low", left <= 60);
      if (left === 60) say("One minute left. Your answers so far are saved.");
      if (left === 0 && !finished) {
        finished = true;
        say("Time is up: submitting what you saved…");
        const body = new URLSearchParams({ _csrf: token });
        fetch(form.dataset.submitUrl, { method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" } })
          .finally(() => window.location.assign(form.action));
        return;
      }
      setTimeout(tick, 1000 - (Date.now() % 1000));
    };
    tick();
    return { sync(seconds) { endsAt = Date.now() + Math.max(0, seconds) * 1000; } };
  })();
})();
