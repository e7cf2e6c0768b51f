"use strict";
// Outside sign-in buttons. The popup opens in the click itself, before any
// request, so no popup blocker stops it; POST /auth/start-web then says
// where it goes. When the popup is blocked, the whole page goes there
// instead. The popup's last page reports back with postMessage, which is
// believed only from this page's own origin; for Plex, whose pages cut the
// popup off from its opener, this page also asks /auth/poll.
(function () {
  const box = document.getElementById("providers");
  const error = document.getElementById("provider-error");
  const kinds = new Set(["plex-auth", "jellyfin-auth", "emby-auth", "github-auth", "google-auth", "oidc-auth", "auth-portal"]);
  let polling = null;

  // done goes where the sign-in says, carrying the page's own next (a path
  // on this site the server already checked) past the second factor.
  function done(redirect) {
    if (polling) clearInterval(polling);
    let to = redirect || "/home";
    const next = box.dataset.next;
    if (next) to = to === "/home" ? next : to + (to.includes("?") ? "&" : "?") + "next=" + encodeURIComponent(next);
    window.location.assign(to);
  }

  // fullPage goes where the blocked popup would have gone. A page of this
  // site (/auth/{provider}, /auth/forward?jellyfin=1) is given the login
  // page's next, which the sign-in honours at its end; the popup is not,
  // since this page adds next itself when the popup reports back (done).
  function fullPage(url) {
    const next = box.dataset.next;
    if (next && url.startsWith("/auth/")) url += (url.includes("?") ? "&" : "?") + "next=" + encodeURIComponent(next);
    window.location.assign(url);
  }

  window.addEventListener("message", (ev) => {
    if (ev.origin !== window.location.origin) return;
    const data = ev.data || {};
    if (!kinds.has(data.type) || !data.ok) return;
    done(data.redirect);
  });

  // pollPlex asks /auth/poll until the sign-in is done or fails, for as
  // long as a PIN lives. Whether the popup looks closed says nothing: once
  // it reaches Plex's pages, the portal's Cross-Origin-Opener-Policy cuts it
  // off from this page, which then sees it as closed.
  function pollPlex() {
    const until = Date.now() + 15 * 60 * 1000;
    polling = setInterval(async () => {
      if (Date.now() > until) {
        clearInterval(polling);
        return;
      }
      try {
        const res = await fetch("/auth/poll", { credentials: "same-origin", headers: { Accept: "application/json" } });
        const data = await res.json();
        if (data.status === "ok") done(data.redirect);
        if (data.status === "error") {
          clearInterval(polling);
          showError(error, new Error(data.message));
        }
      } catch (_) { /* a hiccup: the next tick tries again */ }
    }, 1500);
  }

  box.querySelectorAll("button[data-provider]").forEach((button) => {
    button.addEventListener("click", async () => {
      error.hidden = true;
      const provider = button.dataset.provider;
      const popup = window.open("", "authportal-" + provider, "popup,width=520,height=720");
      const blocked = !popup || popup.closed;
      try {
        // Plex's pages return to /auth/forward with nothing of ours, so a
        // whole-page Plex sign-in leaves next with the server (in its PIN
        // cookie); the popup's opener adds next itself (done).
        const body = { provider: provider };
        if (blocked && box.dataset.next) body.next = box.dataset.next;
        const data = await postJSON("/auth/start-web", body);
        if (blocked) {
          fullPage(data.authUrl);
          return;
        }
        popup.location.href = data.authUrl;
        if (provider === "plex") pollPlex();
      } catch (err) {
        if (popup) popup.close();
        showError(error, err);
      }
    });
  });
})();
