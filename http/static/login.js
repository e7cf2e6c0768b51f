"use strict";
(function () {
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    try {
      const data = await postJSON("/api/auth/login", {
        username: form.username.value,
        password: form.password.value,
        next: form.dataset.next || undefined,
      });
      window.location.assign(data.redirect);
    } catch (err) {
      form.password.value = "";
      showError(error, err);
    }
  });
})();
