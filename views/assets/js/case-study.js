// Upload with progress and drag and drop. Without this file the form posts normally.
"use strict";
(() => {
  const form = document.querySelector("form[data-upload]");
  if (!form) return;
  const input = form.querySelector('input[type="file"]');
  const zone = form.querySelector("[data-dropzone]");
  const bar = form.querySelector("[data-upload-progress]");
  const status = form.querySelector("[data-upload-status]");
  const token = form.querySelector('input[name="_csrf"]').value;
  const say = (text, isError) => {
    status.textContent = text;
    status.classList.toggle("error-text", Boolean(isError));
  };
  // A refusal the page was shown again for (below): its message, beside the form again.
  // Storage may be off (cookies blocked, an LMS frame): then the message is shown without the page again.
  const KEPT = "case-study-refusal";
  const storage = (() => {
    try {
      return window.sessionStorage;
    } catch {
      return null;
    }
  })();
  const kept = storage && storage.getItem(KEPT);
  if (kept) {
    storage.removeItem(KEPT);
    // Read out at once (text put in a status region while the page loads often is not), and the focus there.
    status.setAttribute("role", "alert");
    status.tabIndex = -1;
    say(kept, true);
    status.focus();
    form.scrollIntoView({ block: "center" });
  }
  ["dragenter", "dragover"].forEach((t) => zone.addEventListener(t, (e) => {
    e.preventDefault();
    zone.classList.add("is-over");
  }));
  ["dragleave", "drop"].forEach((t) => zone.addEventListener(t, () => zone.classList.remove("is-over")));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      say(`Ready to upload ${input.files[0].name}.`);
    }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!input.files.length) return say("Choose a file first.", true);
    const button = form.querySelector("button");
    button.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.upload.addEventListener("progress", (p) => {
      if (p.lengthComputable) {
        bar.value = Math.round((p.loaded / p.total) * 100);
        say(`Uploading… ${bar.value}%`);
      }
    });
    xhr.addEventListener("load", () => {
      let data;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status === 201 && data) {
        say("Uploaded. Opening the submission…");
        window.location.assign(data.href);
        return;
      }
      const message = (data && data.error && data.error.message) || `The upload failed (HTTP ${xhr.status}). Nothing was submitted.`;
      // Refused and recorded: the team's list and its count of refusals changed. The page is shown
      // again with them, and the message beside the form.
      if (data && data.error && data.error.details && data.error.details.recorded && storage) {
        storage.setItem(KEPT, message);
        window.location.reload();
        return;
      }
      button.disabled = false;
      bar.hidden = true;
      say(message, true);
    });
    xhr.addEventListener("error", () => {
      button.disabled = false;
      bar.hidden = true;
      say("The upload was interrupted (connection lost). Nothing was submitted; try again.", true);
    });
    xhr.send(new FormData(form));
  });
})();
