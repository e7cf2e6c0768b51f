"use strict";
(function () {
  const form = document.getElementById("challenge-form");
  const error = document.getElementById("challenge-error");
  const code = document.getElementById("challenge-code");
  const submit = document.getElementById("challenge-submit");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      const data = await postJSON("/mfa/challenge/verify", {
        code: code.value.trim(),
        next: form.dataset.next || undefined,
      });
      window.location.assign(data.redirect);
    } catch (err) {
      showError(error, err);
      code.value = "";
      code.focus();
      submit.disabled = false;
    }
  });
})();
