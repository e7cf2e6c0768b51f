"use strict";
// The last page of an outside sign-in. In the login page's popup it tells
// the opener (same origin only) and closes; in a full page (popups blocked,
// or Plex's pages cut the popup off from its opener) it goes on itself.
// While Plex has not confirmed yet, it asks /auth/poll.
(function () {
  const el = document.getElementById("auth-done");
  const provider = el.dataset.provider;

  function finish(redirect) {
    if (window.opener && !window.opener.closed) {
      window.opener.postMessage({ type: provider + "-auth", ok: true, redirect: redirect }, window.location.origin);
      window.close();
      return;
    }
    window.location.assign(redirect);
  }

  if (el.dataset.done === "1") {
    finish(el.dataset.redirect);
    return;
  }
  if (el.dataset.waiting !== "1") return;
  const poll = async () => {
    try {
      const res = await fetch("/auth/poll", { credentials: "same-origin", headers: { Accept: "application/json" } });
      const data = await res.json();
      if (data.status === "ok") return finish(data.redirect);
      if (data.status === "error" || data.status === "none") {
        window.location.assign("/?error=" + encodeURIComponent(data.status));
        return;
      }
    } catch (_) { /* a hiccup: try again */ }
    setTimeout(poll, 1000);
  };
  setTimeout(poll, 1000);
})();
