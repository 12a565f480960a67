// The quiz attempt page: autosave each question as it changes, keep the navigator's
// states and count current, flag questions without leaving the page, reorder ordering
// items by drag and drop or by Move up / Move down, show the server's time left and
// submit when it runs out. Without this file the form still works: every button
// (Save, Next, a question in the navigator, Flag) posts the page's answers first.
"use strict";
(() => {
  const form = document.querySelector("form[data-attempt]");
  if (!form) return;
  const csrfField = form.querySelector('input[name="_csrf"]');
  let token = csrfField.value;
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
  const flights = new Set(); // the saves under way, so time-up can wait for them

  const say = (text, isError = false) => {
    status.textContent = text;
    status.classList.toggle("is-error", isError);
  };
  // The attempt's own address. Not form.action: the form's buttons are named "action", and a form's
  // named controls shadow its properties, so form.action is those buttons ("[object RadioNodeList]").
  const attemptUrl = form.getAttribute("action");
  const leave = (url) => {
    finished = true;
    window.location.assign(url || attemptUrl);
  };

  function fieldsOf(fieldset) {
    const out = {};
    for (const el of fieldset.querySelectorAll("input, select, textarea")) {
      if (!el.name || el.hasAttribute("data-seen")) continue; // the fingerprint of the saved answer, not an answer
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) continue;
      if (el.type === "checkbox") (out[el.name] ||= []).push(el.value);
      else out[el.name] = el.value;
    }
    return out;
  }

  function save(fieldset, opts) {
    const flight = saveNow(fieldset, opts);
    flights.add(flight);
    flight.finally(() => flights.delete(flight));
    return flight;
  }

  async function saveNow(fieldset, { keepalive = false, again = false } = {}) {
    const slot = Number(fieldset.dataset.slot);
    clearTimeout(pending.get(slot));
    pending.delete(slot);
    const mine = ++rev;
    newest.set(slot, mine);
    const fields = fieldsOf(fieldset);
    const body = JSON.stringify({ slot, rev: mine, fields });
    lastSent.set(slot, JSON.stringify(fields));
    // Not saved after all (refused, failed, or another window's answer newer): the next change sends again.
    const unsent = () => {
      if (newest.get(slot) === mine) lastSent.delete(slot);
    };
    say("Saving…");
    inFlight++;
    try {
      const res = await fetch(form.dataset.autosaveUrl, {
        method: "POST", body, keepalive, credentials: "same-origin",
        // Leaving: the server need not keep its refusal (an attempt already submitted) for the next page.
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": token, ...(keepalive ? { "X-Page-Leaving": "1" } : {}) },
      });
      if (!res.ok) unsent();
      if (res.status === 409) {
        const problem = await res.json().catch(() => null);
        say((problem && problem.error && problem.error.message) || "This attempt is over.", true);
        return leave();
      }
      if (res.status === 401 || res.status === 403) {
        const problem = await res.json().catch(() => null);
        const code = problem && problem.error && problem.error.code;
        // Signed out, or signed in again since this page loaded (its form token is the old session's).
        if (res.status === 401 || code === "csrf_rejected") {
          unsaved.add(fieldset);
          signedOut();
        } else {
          say(`Your answer could not be saved: ${(problem && problem.error && problem.error.message) || "this attempt is not yours to change."}`, true);
        }
        return;
      }
      if (res.status === 400 || res.status === 413) {
        // Refused as it is (not readable, too long): sending it again would be refused again.
        const problem = await res.json().catch(() => null);
        say((problem && problem.error && problem.error.message) || `Your answer could not be saved (HTTP ${res.status}). Reload the page; your other answers are saved.`, true);
        return;
      }
      if (!res.ok) throw Object.assign(new Error(String(res.status)), { status: res.status });
      const data = await res.json();
      failures = 0;
      if (typeof data.rev === "number") rev = Math.max(rev, data.rev);
      // What this page last saved of the question: the form's post leaves the question alone while it still shows that.
      if (data.saved && newest.get(slot) === mine && typeof data.seen === "string") fieldset.querySelector("input[data-seen]").value = data.seen;
      if (!data.saved) unsent();
      // Not saved although it is this page's newest answer: another window of this attempt
      // saved the question since this page loaded. The answer given here and now wins.
      if (!data.saved && newest.get(slot) === mine && !again) return save(fieldset, { keepalive, again: true });
      // The server's time in the course's time zone, like every other time on the page.
      if (inFlight === 1 && pending.size === 0) say(`All answers saved at ${data.savedAtText}.`);
      if (typeof data.secondsLeft === "number") timer.sync(data.secondsLeft);
    } catch (e) {
      unsent();
      failures++;
      // A status means the server (or a proxy before it) answered with an error; none, that it could not be reached.
      say(`Not saved: ${e && e.status ? `the server had a problem (HTTP ${e.status})` : "cannot reach the server"}. Your answer stays on this page and is retried.`, true);
      pending.set(slot, setTimeout(() => save(fieldset), Math.min(30000, 2000 * failures)));
    } finally {
      inFlight--;
    }
  }

  // #region signed out while answering: answers are kept on the page and saved once the student is back
  const unsaved = new Set(); // fieldsets whose save was refused for the session
  let waitingForSession = null; // the timer of the next look at /api/session, while signed out
  let afterSignIn = null; // what to do once signed in again and the kept answers are saved (time-up: submit)
  const SIGNED_OUT = "You are signed out, so your answers are not being saved. Sign in again in another tab: your answers stay on this page and are saved as soon as you have.";
  function signedOut() {
    if (waitingForSession) return;
    say(SIGNED_OUT, true);
    const look = async () => {
      let me = null;
      try {
        const res = await fetch("/api/session", { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (res.ok) me = await res.json();
      } catch {
        // not reachable now: looked at again below
      }
      if (me && me.user && me.user.id !== form.dataset.owner) {
        say(`You are signed in as ${me.user.name} in this browser, but this attempt is another account's. Sign out there and sign in with the account that started it: its answers stay on this page until then.`, true);
        me = null;
      }
      if (!me || !me.csrfToken) {
        waitingForSession = setTimeout(look, 5000);
        return;
      }
      waitingForSession = null;
      token = me.csrfToken;
      csrfField.value = token;
      const again = [...unsaved];
      unsaved.clear();
      say("Signed in again: saving your answers…");
      for (const fs of again) save(fs);
      if (afterSignIn) afterSignIn();
    };
    waitingForSession = setTimeout(look, 2000);
  }
  // #endregion

  const schedule = (fieldset, delay) => {
    clearTimeout(pending.get(Number(fieldset.dataset.slot)));
    pending.set(Number(fieldset.dataset.slot), setTimeout(() => save(fieldset), delay));
  };
  // What this page last sent of each question (at first, what it loaded with; forgotten when that
  // save did not hold). A change event that leaves a question as that (a text field left after its
  // answer was autosaved) sends nothing: sent, it would be numbered after another window's newer
  // answer, and win over it. A change back to it while a save is on its way is a new answer, and sent.
  const lastSent = new Map();
  for (const fs of form.querySelectorAll("fieldset[data-slot]")) lastSent.set(Number(fs.dataset.slot), JSON.stringify(fieldsOf(fs)));
  form.addEventListener("change", (e) => {
    const fs = e.target.closest("fieldset[data-slot]");
    if (!fs) return;
    showAnswered(fs);
    const slot = Number(fs.dataset.slot);
    if (lastSent.get(slot) === JSON.stringify(fieldsOf(fs))) {
      clearTimeout(pending.get(slot));
      pending.delete(slot);
      return;
    }
    save(fs);
  });
  form.addEventListener("input", (e) => {
    const fs = e.target.closest("fieldset[data-slot]");
    if (fs && e.target.type === "text") {
      showAnswered(fs);
      schedule(fs, 700);
    }
  });

  // #region navigator and flags
  const isAnswered = (fs) => Object.values(fieldsOf(fs)).some((v) => (Array.isArray(v) ? v.length > 0 : v.trim() !== ""));
  const navButton = (slot) => form.querySelector(`[data-nav-slot="${slot}"]`);
  function setNav(slot, { answered, flagged }) {
    const b = navButton(slot);
    if (!b) return;
    if (answered !== undefined) b.dataset.answered = String(answered);
    if (flagged !== undefined) b.dataset.flagged = String(flagged);
    const a = b.dataset.answered === "true";
    const f = b.dataset.flagged === "true";
    b.classList.toggle("is-answered", a);
    b.classList.toggle("is-flagged", f);
    b.querySelector("[data-nav-status]").textContent = `${a ? "answered" : "not answered"}${f ? ", flagged for review" : ""}`;
    form.querySelector("[data-answered-number]").textContent = String(form.querySelectorAll('[data-nav-slot][data-answered="true"]').length);
  }
  const showAnswered = (fs) => setNav(fs.dataset.slot, { answered: isAnswered(fs) });

  form.addEventListener("click", async (e) => {
    // A question on this page: go to it without a round trip.
    const nav = e.target.closest("[data-nav-slot]");
    if (nav) {
      const fs = form.querySelector(`fieldset[data-slot="${nav.dataset.navSlot}"]`);
      if (!fs) return; // on another page: the button posts this page's answers, then goes there
      e.preventDefault();
      fs.scrollIntoView({ block: "start" });
      const first = fs.querySelector("input:not([type=hidden]), select, textarea, button");
      (first || fs).focus({ preventScroll: true });
      return;
    }
    const flag = e.target.closest("[data-flag]");
    if (!flag) return;
    e.preventDefault();
    const slot = Number(flag.dataset.flag);
    const flagged = flag.getAttribute("aria-pressed") !== "true";
    try {
      const res = await fetch(form.dataset.flagUrl, {
        method: "POST", body: JSON.stringify({ slot, flagged }), credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": token },
      });
      if (!res.ok) throw new Error(String(res.status));
      flag.setAttribute("aria-pressed", String(flagged));
      flag.value = `${flagged ? "unflag" : "flag"}:${slot}`;
      setNav(slot, { flagged });
      say(flagged ? "Flagged for review." : "Flag removed.");
    } catch {
      say("The flag could not be saved: cannot reach the server. Try again in a moment.", true);
    }
  });
  // #endregion

  // #region ordering: drag and drop, or Move up / Move down; the position selects stay the form's fields
  for (const list of form.querySelectorAll("[data-ordering]")) enhanceOrdering(list);

  function enhanceOrdering(list) {
    const fs = list.closest("fieldset[data-slot]");
    if (fs.disabled) return;
    const live = fs.querySelector("[data-order-status]");
    const hint = fs.querySelector("[data-order-hint]");
    if (hint) hint.textContent = "Put the items in order (first at the top): drag them, or use the Move up and Move down buttons.";
    list.classList.add("is-enhanced");
    const items = () => [...list.querySelectorAll(":scope > li")];
    for (const li of items()) {
      li.querySelector(".order-position").hidden = true;
      li.draggable = true;
      const grip = document.createElement("span");
      grip.className = "order-grip";
      grip.setAttribute("aria-hidden", "true");
      grip.textContent = "⠿";
      li.prepend(grip);
      const tools = document.createElement("span");
      tools.className = "order-tools";
      for (const dir of ["up", "down"]) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "order-move";
        b.dataset.move = dir;
        b.setAttribute("aria-label", `Move '${li.dataset.label}' ${dir}`);
        b.innerHTML = `<span aria-hidden="true">${dir === "up" ? "↑" : "↓"}</span>`;
        tools.append(b);
      }
      li.append(tools);
    }

    /** Writes the shown order into the position fields, says where the item went, and saves. */
    function commit(li) {
      const all = items();
      all.forEach((it, i) => { it.querySelector("select").value = String(i + 1); });
      live.textContent = `Moved '${li.dataset.label}' to position ${all.indexOf(li) + 1} of ${all.length}`;
      li.querySelector("select").dispatchEvent(new window.Event("change", { bubbles: true }));
    }

    list.addEventListener("click", (e) => {
      const b = e.target.closest("[data-move]");
      if (!b) return;
      const li = b.closest("li");
      const all = items();
      const at = all.indexOf(li);
      const to = b.dataset.move === "up" ? at - 1 : at + 1;
      if (to < 0 || to >= all.length) {
        live.textContent = `'${li.dataset.label}' is already ${to < 0 ? "first" : "last"}.`;
        return;
      }
      // Move the neighbour rather than the item, so the button keeps focus.
      if (to < at) list.insertBefore(all[to], li.nextSibling);
      else list.insertBefore(all[to], li);
      b.focus();
      commit(li);
    });

    let dragged = null;
    list.addEventListener("dragstart", (e) => {
      dragged = e.target.closest("li");
      if (!dragged || !list.contains(dragged)) return;
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", dragged.dataset.label);
      dragged.classList.add("is-dragging");
    });
    list.addEventListener("dragover", (e) => {
      if (!dragged) return;
      e.preventDefault();
      const over = e.target.closest("li");
      if (!over || over === dragged || !list.contains(over)) return;
      const box = over.getBoundingClientRect();
      list.insertBefore(dragged, e.clientY > box.top + box.height / 2 ? over.nextSibling : over);
    });
    const drop = (e) => {
      if (!dragged) return;
      e.preventDefault();
      const li = dragged;
      dragged = null;
      li.classList.remove("is-dragging");
      commit(li);
    };
    list.addEventListener("drop", drop);
    list.addEventListener("dragend", drop);
  }
  // #endregion
  // The sticky bar (time left, save status) covers the top of the window: whatever the page scrolls
  // to (a question from the navigator, a field taking the focus, #q-3) lands below it, however
  // tall the bar wraps on a narrow screen.
  const bar = document.querySelector(".attempt-bar");
  if (bar) {
    const pad = () => { document.documentElement.style.scrollPaddingTop = `${bar.offsetHeight + 8}px`; };
    pad();
    if (window.ResizeObserver) new window.ResizeObserver(pad).observe(bar);
  }

  // Leaving the page: send what is still waiting. A reload may be rendered before that save
  // arrives, so a typed answer still waiting is also kept in this tab (sessionStorage) and put
  // back by the page that loads next, which saves it again.
  // Put back only by a page that loads within a minute and still shows the answer this page had
  // saved (the same fingerprint): not over an answer another window saved since.
  const KEEP = `quiz-waiting:${attemptUrl}`;
  window.addEventListener("pagehide", () => {
    const waiting = {};
    for (const slot of [...pending.keys()]) {
      const fs = form.querySelector(`fieldset[data-slot="${slot}"]`);
      if (!fs) continue;
      const values = {};
      for (const el of fs.querySelectorAll('input[type="text"]')) values[el.name] = el.value;
      waiting[slot] = { values, seen: fs.querySelector("input[data-seen]").value, at: Date.now() };
      save(fs, { keepalive: true });
    }
    try {
      if (!finished && Object.keys(waiting).length) window.sessionStorage.setItem(KEEP, JSON.stringify(waiting));
    } catch {
      // storage full or off: the keepalive save above still goes
    }
  });
  try {
    const kept = JSON.parse(window.sessionStorage.getItem(KEEP) || "null");
    window.sessionStorage.removeItem(KEEP);
    for (const [slot, { values, seen, at }] of Object.entries(kept || {})) {
      const fs = form.querySelector(`fieldset[data-slot="${slot}"]`);
      if (!fs || fs.disabled || fs.querySelector("input[data-seen]").value !== seen || !(Date.now() - at < 60000)) continue;
      let changed = false;
      for (const el of fs.querySelectorAll('input[type="text"]')) {
        if (typeof values[el.name] === "string" && el.value !== values[el.name]) {
          el.value = values[el.name];
          changed = true;
        }
      }
      if (changed) {
        showAnswered(fs);
        save(fs);
      }
    }
  } catch {
    // nothing kept, or not readable: the page shows what the server has
  }

  // The form post carries every answer, so it is numbered after this page's autosaves,
  // and the answers still waiting to be autosaved go with it.
  // The dialog is asked on the button's click, not in the submit event: Chromium does not
  // send the form's next submission once a submit event showing a dialog was cancelled.
  form.addEventListener("click", (e) => {
    if (!e.target.closest('button[value="submit"]') || finished) return;
    // Already being submitted (a double click): app.js keeps the second post back; no second dialog either.
    if (form.dataset.submitting === "1") {
      e.preventDefault();
      return;
    }
    if (!confirmSubmit()) {
      e.preventDefault();
      return;
    }
    // The dialog was the summary: the server need not show it again.
    form.querySelector("[data-confirmed]").value = "1";
  });
  // Enter in an answer box saves it (autosave) rather than pressing the form's first button.
  form.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || e.target.type !== "text") return;
    e.preventDefault();
    const fs = e.target.closest("fieldset[data-slot]");
    if (fs) save(fs);
  });
  form.addEventListener("submit", (e) => {
    // Signed out: the post would be refused and the page's answers lost with it. They stay here instead.
    if (waitingForSession) {
      e.preventDefault();
      say(SIGNED_OUT, true);
      return;
    }
    revField.value = String(++rev);
    for (const timer of pending.values()) clearTimeout(timer);
    pending.clear();
  });
  // Counted over every page, from the navigator.
  function confirmSubmit() {
    const unanswered = form.querySelectorAll('[data-nav-slot][data-answered="false"]').length;
    const flagged = form.querySelectorAll('[data-nav-slot][data-flagged="true"]').length;
    const parts = [
      unanswered ? `${unanswered} question${unanswered === 1 ? " is" : "s are"} not answered.` : "",
      flagged ? `${flagged} question${flagged === 1 ? " is" : "s are"} flagged for review.` : "",
    ].filter(Boolean);
    const msg = parts.length
      ? `${parts.join(" ")} Submit anyway? You cannot change answers after submitting.`
      : "Submit this attempt? You cannot change answers after submitting.";
    return window.confirm(msg);
  }

  /**
   * The server takes saves for a grace period after the end: answers still waiting (typed in the
   * last moment, or a save to retry) are sent now and saves under way waited for (at most 15 s),
   * then the attempt is submitted with them. Signed out, the page waits for the student to sign in
   * again (the grace period is theirs), saves what it kept, and then submits.
   */
  function timeUp() {
    if (waitingForSession || unsaved.size) {
      say(`Time is up, and you are signed out: sign in again in another tab now. Your answers stay on this page; they are saved and submitted as soon as you have.`, true);
      afterSignIn = () => {
        afterSignIn = null;
        timeUp();
      };
      return;
    }
    say("Time is up: saving your last answers, then submitting…");
    const waiting = [...pending.keys()];
    for (const t of pending.values()) clearTimeout(t);
    pending.clear();
    for (const slot of waiting) {
      const fs = form.querySelector(`fieldset[data-slot="${slot}"]`);
      if (fs) save(fs);
    }
    const settle = () => (flights.size ? Promise.allSettled([...flights]).then(settle) : Promise.resolve());
    Promise.race([settle(), new Promise((r) => setTimeout(r, 15000))]).then(() => {
      // A save refused for the session meanwhile: wait for the sign-in, as above.
      if (waitingForSession || unsaved.size) return timeUp();
      const body = new URLSearchParams({ _csrf: token });
      return fetch(form.dataset.submitUrl, { method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" } })
        .finally(() => window.location.assign(attemptUrl));
    });
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
        timeUp();
        return;
      }
      setTimeout(tick, 1000 - (Date.now() % 1000));
    };
    tick();
    return { sync(seconds) { endsAt = Date.now() + Math.max(0, seconds) * 1000; } };
  })();
})();
