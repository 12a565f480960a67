// LTI Platform Storage (1EdTech "LTI Client Side postMessages", lti.put_data / lti.get_data): when the
// browser may drop this tool's cookies inside the LMS frame, the state of a login is kept by the platform's
// frame instead. "put": store it, then go on to the platform. "get": read it back, and only if it is this
// launch's state post the launch again, marked as checked (a header no cross-site form can send).
(function () {
  const el = document.getElementById("lti-storage");
  if (!el) return;
  const d = el.dataset;
  const status = document.getElementById("lti-storage-status");
  let target = null;
  try {
    target = d.target === "_parent" ? window.parent : window.parent.frames[d.target];
  } catch {
    target = null;
  }

  function send(subject, fields) {
    return new Promise(function (resolve, reject) {
      if (!target || target === window) return reject(new Error("no platform frame"));
      const id = window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID() : String(Math.random()).slice(2);
      const timer = setTimeout(function () {
        window.removeEventListener("message", onMessage);
        reject(new Error("the LMS did not answer"));
      }, 5000);
      function onMessage(e) {
        // Only the platform's own origin is believed, and only an answer to this message.
        if (e.origin !== d.origin || !e.data || e.data.message_id !== id) return;
        const s = String(e.data.subject || "");
        if (s !== subject + ".response" && s !== "org.imsglobal." + subject + ".response") return;
        clearTimeout(timer);
        window.removeEventListener("message", onMessage);
        if (e.data.error) reject(new Error(e.data.error.message || e.data.error.code || "refused"));
        else resolve(e.data);
      }
      window.addEventListener("message", onMessage);
      target.postMessage(Object.assign({ subject: subject, message_id: id }, fields), d.origin);
    });
  }

  if (d.mode === "put") {
    // Stored or not, go on: a browser that keeps the cookie does not need it.
    send("lti.put_data", { key: d.key, value: d.value }).catch(function () {}).then(function () {
      window.location.replace(d.next);
    });
    return;
  }
  function fail(message) {
    const box = document.getElementById("lti-storage-failed");
    if (status) status.hidden = true;
    if (box) {
      if (message) box.textContent = message;
      box.hidden = false;
    }
  }
  send("lti.get_data", { key: d.key }).then(function (r) {
    if (r.value !== d.value) throw new Error("not this launch");
    return fetch("/lti/launch", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json", "X-LTI-Storage-Checked": "1" },
      body: new URLSearchParams({ id_token: d.token, state: d.value }),
    }).then(function (res) {
      return res.json().then(function (body) {
        if (!res.ok) return fail(body && body.error && body.error.message);
        window.location.replace(body.location);
      });
    });
  }).catch(function () {
    fail();
  });
})();
