"use strict";
(function () {
  const root = document.getElementById("enroll");
  const error = document.getElementById("enroll-error");
  const start = document.getElementById("enroll-start");
  const el = (id) => document.getElementById(id);

  fetch("/mfa/enroll/status", { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : null))
    .then((s) => {
      if (s && s.enabled) {
        el("enroll-done").hidden = false;
        start.hidden = true;
      }
    });

  start.addEventListener("click", async () => {
    error.hidden = true;
    try {
      const data = await postJSON("/mfa/enroll/start");
      el("enroll-qr").src = data.qrCode;
      el("enroll-secret").textContent = data.secret;
      el("enroll-setup").hidden = false;
      start.hidden = true;
      el("enroll-code").focus();
    } catch (err) {
      showError(error, err);
    }
  });

  el("enroll-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    try {
      const data = await postJSON("/mfa/enroll/verify", {
        code: el("enroll-code").value.replace(/\s/g, ""),
        next: root.dataset.next || undefined,
      });
      const list = el("recovery-codes");
      list.replaceChildren(...data.recoveryCodes.map((c) => {
        const li = document.createElement("li");
        li.textContent = c;
        return li;
      }));
      el("enroll-continue").href = data.redirect;
      el("enroll-setup").hidden = true;
      el("enroll-codes").hidden = false;
    } catch (err) {
      showError(error, err);
    }
  });
})();
