"use strict";
// Enrollment never replaces a secret silently: the button that makes one
// goes away once it has, and when an earlier setup is pending (a reload, a
// second visit) the page offers its code form first and says what starting
// over costs.
(function () {
  const root = document.getElementById("enroll");
  const el = (id) => document.getElementById(id);
  const start = el("enroll-start");

  async function loadStatus() {
    let s;
    try {
      const res = await fetch("/mfa/enroll/status", { credentials: "same-origin", headers: { "Accept": "application/json" } });
      s = await res.json();
      if (!res.ok) throw new Error(s.detail || s.title);
    } catch (err) {
      showError(el("enroll-start-error"), err);
      return;
    }
    if (s.enabled) {
      el("enroll-done").hidden = false;
      return;
    }
    if (s.state === "pending") {
      el("enroll-pending").hidden = false;
      el("enroll-setup").hidden = false;
      el("enroll-replace-warning").hidden = false;
      start.textContent = "Start over with a new QR code";
      start.classList.add("secondary");
    }
    el("enroll-new").hidden = false;
  }

  start.addEventListener("click", async () => {
    el("enroll-start-error").hidden = true;
    start.disabled = true;
    try {
      const data = await postJSON("/mfa/enroll/start");
      el("enroll-qr").src = data.qrCode;
      el("enroll-secret").textContent = data.secret;
      el("enroll-new").hidden = true;
      el("enroll-pending").hidden = true;
      el("enroll-key").hidden = false;
      el("enroll-setup").hidden = false;
      el("enroll-code").value = "";
      el("enroll-code").focus();
    } catch (err) {
      showError(el("enroll-start-error"), err);
    } finally {
      start.disabled = false;
    }
  });

  const submit = el("enroll-submit");
  el("enroll-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const error = el("enroll-error");
    error.hidden = true;
    submit.disabled = true;
    try {
      const data = await postJSON("/mfa/enroll/verify", {
        code: el("enroll-code").value.replace(/\s/g, ""),
        next: root.dataset.next || undefined,
      });
      el("recovery-codes").replaceChildren(...data.recoveryCodes.map((c) => {
        const li = document.createElement("li");
        li.textContent = c;
        return li;
      }));
      el("recovery-count").textContent = String(data.recoveryCodes.length);
      el("enroll-continue").href = data.redirect;
      el("enroll-setup").hidden = true;
      el("enroll-new").hidden = true;
      el("enroll-pending").hidden = true;
      el("enroll-codes").hidden = false;
      el("enroll-continue").focus();
    } catch (err) {
      showError(error, err);
      el("enroll-code").value = "";
      el("enroll-code").focus();
    } finally {
      submit.disabled = false;
    }
  });

  loadStatus();
})();
