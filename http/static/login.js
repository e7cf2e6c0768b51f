"use strict";
(function () {
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  const submit = document.getElementById("login-submit");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    submit.disabled = true;
    try {
      const data = await postJSON("/api/auth/login", {
        username: form.username.value,
        password: form.password.value,
        next: form.dataset.next || undefined,
      });
      window.location.assign(data.redirect);
    } catch (err) {
      showError(error, err);
      // Back to the password, empty, so the person types it again at once.
      form.password.value = "";
      form.password.focus();
      submit.disabled = false;
    }
  });
})();
