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

  // showKey puts a freshly made secret on the page.
  function showKey(data) {
    el("enroll-qr").src = data.qrCode;
    el("enroll-secret").textContent = data.secret;
    el("enroll-new").hidden = true;
    el("enroll-pending").hidden = true;
    el("enroll-reauth").hidden = true;
    el("enroll-key").hidden = false;
    el("enroll-setup").hidden = false;
    el("enroll-code").value = "";
    el("enroll-code").focus();
  }

  start.addEventListener("click", async () => {
    el("enroll-start-error").hidden = true;
    start.disabled = true;
    try {
      showKey(await postJSON("/mfa/enroll/start"));
    } catch (err) {
      if (err.type === "urn:authportal:problem:reauth-required") {
        // A session signed in a while ago must confirm the password first.
        el("enroll-new").hidden = true;
        el("enroll-reauth").hidden = false;
        el("enroll-password").focus();
      } else {
        showError(el("enroll-start-error"), err);
      }
    } finally {
      start.disabled = false;
    }
  });

  const reauthSubmit = el("enroll-reauth-submit");
  el("enroll-reauth").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const error = el("enroll-reauth-error");
    error.hidden = true;
    reauthSubmit.disabled = true;
    try {
      showKey(await postJSON("/mfa/enroll/start", { password: el("enroll-password").value }));
      el("enroll-password").value = "";
    } catch (err) {
      showError(error, err);
      el("enroll-password").value = "";
      el("enroll-password").focus();
    } finally {
      reauthSubmit.disabled = false;
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
