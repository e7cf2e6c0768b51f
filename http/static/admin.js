// The admin console: tabs over the admin JSON API. Every action is a
// same-origin fetch with the session cookie; an RFC 9457 problem is shown
// as its detail, in plain words, next to the field or action it is about.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const me = $("console").dataset.me;

  // api sends a JSON request and returns the decoded answer (null for 204).
  // A problem becomes an Error whose message is the problem's detail, with
  // its status, type and per-field errors.
  async function api(method, path, body) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (_) {
      throw Object.assign(new Error("The server did not answer. Check your connection and try again."), { status: 0 });
    }
    let data = null;
    const text = await res.text();
    if (text) {
      try { data = JSON.parse(text); } catch (_) { data = null; }
    }
    if (!res.ok) {
      let detail = data && typeof data.detail === "string" && data.detail ? data.detail : "";
      if (!detail && res.status === 401) detail = "Your session has ended. Sign in again.";
      if (!detail) detail = "That did not work (the server answered " + res.status + "). Try again.";
      throw Object.assign(new Error(detail), { status: res.status, type: (data && data.type) || "", errors: (data && data.errors) || [] });
    }
    return data;
  }

  // --- status and errors ---------------------------------------------

  const statusEl = $("status");
  function say(text) {
    statusEl.textContent = text;
  }
  function clearErrors(scope) {
    for (const el of scope.querySelectorAll(".error")) { el.hidden = true; el.textContent = ""; }
    for (const el of scope.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  }
  // fail shows err beside what it is about: a field the problem names
  // (focused), else the element given.
  function fail(el, err, scope) {
    let shown = false;
    if (scope) {
      for (const e of err.errors || []) {
        const name = String(e.location || "").replace(/^(body|query)\./, "");
        const field = scope.querySelector('[data-field="' + CSS.escape(name) + '"]');
        if (!field) continue;
        field.setAttribute("aria-invalid", "true");
        const msg = $(field.id + "-error");
        if (msg) { msg.textContent = e.message || err.message; msg.hidden = false; }
        if (!shown) field.focus();
        shown = true;
      }
    }
    if (!shown) { // a field's own message says it already
      el.textContent = err.message;
      el.hidden = false;
    }
    // The message beside the action is the alert; an earlier success
    // must not stay on screen above it.
    statusEl.textContent = "";
    if (err.status === 401) setTimeout(() => { location.href = "/?next=/admin"; }, 1500);
  }
  // busy disables a control while its request runs.
  async function busy(button, fn) {
    if (button) button.disabled = true;
    try { return await fn(); } finally { if (button) button.disabled = false; }
  }
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("data-")) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  }
  const when = (t) => new Date(t).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });

  // --- tabs ----------------------------------------------------------

  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const loaders = {};
  const loaded = new Set();
  function select(tab, focus) {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    }
    if (focus) tab.focus();
    const id = tab.id.replace(/^tab-/, "");
    history.replaceState(null, "", "#" + id);
    if (!loaded.has(id) && loaders[id]) {
      loaded.add(id);
      loaders[id]();
    }
  }
  for (const t of tabs) {
    t.addEventListener("click", () => select(t, false));
    t.addEventListener("keydown", (ev) => {
      const i = tabs.indexOf(t);
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[ev.key];
      if (to === undefined) return;
      ev.preventDefault();
      select(tabs[(to + tabs.length) % tabs.length], true);
    });
  }

  // --- hosts (shared by the users tab's permissions) -------------------

  let hosts = [];
  async function fetchHosts() {
    hosts = (await api("GET", "/api/admin/hosts")).hosts;
    return hosts;
  }

  // --- users ---------------------------------------------------------

  if ($("panel-users")) {
    let users = [];
    let current = null; // the user shown in the detail

    const facts = (u) => {
      const access = u.disabled ? "Disabled: denied everywhere"
        : u.authorized ? "Has access" + (u.admin ? " (admin)" : u.accessGranted ? " (invited or created by an admin)" : u.mediaAccess ? " (media server)" : "")
          : "No access yet";
      return [["Username", u.username], ["Email", u.email || "none"], ["Signs in with", u.provider],
        ["Access", access], ["Admin", u.admin ? "Yes" : "No"],
        ["Permissions", u.permissions.mode === "allow_all" ? "Every host but " + u.permissions.hosts.length + " listed" : "Only " + u.permissions.hosts.length + " listed host(s)"]];
    };
    const badges = (u) => [u.admin && "admin", u.disabled && "disabled", !u.disabled && !u.authorized && "no access"].filter(Boolean);

    function renderList() {
      const q = $("user-filter").value.trim().toLowerCase();
      const list = $("user-list");
      list.replaceChildren();
      const shown = users.filter((u) => !q || [u.username, u.email, u.provider, ...u.linkedProviders].some((s) => (s || "").toLowerCase().includes(q)));
      for (const u of shown) {
        const b = el("button", { type: "button", class: "row-main", "data-user": u.id },
          el("strong", { text: u.username }), " ", el("span", { class: "note", text: u.email || u.provider }));
        b.setAttribute("aria-expanded", String(current === u.id));
        b.addEventListener("click", () => openUser(u.id));
        const tags = el("span", { class: "tags" }, ...badges(u).map((t) => el("span", { class: "tag", text: t })));
        list.append(el("li", {}, b, tags));
      }
      if (shown.length === 0) list.append(el("li", { class: "note", text: users.length ? "No user matches." : "No users yet." }));
    }

    async function loadUsers() {
      clearErrors($("panel-users"));
      try {
        const [u] = await Promise.all([api("GET", "/api/admin/users"), fetchHosts()]);
        users = u.users;
        renderList();
      } catch (err) {
        fail($("users-error"), err);
      }
    }
    loaders.users = loadUsers;
    $("user-filter").addEventListener("input", renderList);

    function showUser(u) {
      const i = users.findIndex((x) => x.id === u.id);
      if (i >= 0) users[i] = u;
      renderList();
      $("user-title").textContent = u.username;
      $("user-facts").replaceChildren(...facts(u).flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
      const adminBtn = $("user-admin-toggle");
      adminBtn.textContent = u.admin ? "Take away admin" : "Make admin";
      adminBtn.hidden = u.id === me && u.admin;
      const disBtn = $("user-disable-toggle");
      disBtn.textContent = u.disabled ? "Enable user" : "Disable user";
      disBtn.hidden = u.id === me;
      const form = $("permissions-form");
      for (const r of form.elements.mode) r.checked = r.value === u.permissions.mode;
      const box = $("permission-hosts");
      box.replaceChildren();
      for (const h of hosts) {
        const cb = el("input", { type: "checkbox", value: h.id, checked: u.permissions.hosts.includes(h.id) });
        box.append(el("label", { class: "choice" }, cb, " " + h.host + (h.name && h.name !== h.host ? " (" + h.name + ")" : "")));
      }
      if (hosts.length === 0) box.append(el("p", { class: "note", text: "No protected hosts yet: add them in the Hosts tab." }));
    }

    async function loadDevices(id) {
      const d = await api("GET", "/api/admin/users/" + encodeURIComponent(id) + "/sessions");
      const ids = $("user-identities");
      ids.replaceChildren(...d.identities.map((i) => el("li", {}, el("span", {}, el("strong", { text: i.provider }), " ", el("span", { class: "note", text: i.username })))));
      if (d.identities.length === 0) ids.append(el("li", { class: "note", text: "None." }));
      const list = $("user-sessions");
      list.replaceChildren();
      for (const s of d.sessions) {
        const b = el("button", { type: "button", class: "secondary", text: "Sign out" });
        b.setAttribute("aria-label", "Sign out " + s.device + " since " + when(s.startedAt));
        b.addEventListener("click", () => busy(b, async () => {
          clearErrors($("user-detail"));
          try {
            await api("DELETE", "/api/admin/users/" + encodeURIComponent(id) + "/sessions/" + encodeURIComponent(s.id));
            say("That device is signed out.");
            await loadDevices(id);
            $("user-revoke-all").focus();
          } catch (err) { fail($("sessions-error"), err); }
        }));
        list.append(el("li", { "data-session": s.id },
          el("span", {}, el("strong", { text: s.device }), el("br"), el("span", { class: "note", text: s.provider + (s.address ? " · " + s.address : "") + " · since " + when(s.startedAt) })), b));
      }
      if (d.sessions.length === 0) list.append(el("li", { class: "note", text: "No devices are signed in." }));
    }

    async function openUser(id) {
      clearErrors($("panel-users"));
      current = id;
      try {
        const u = await api("GET", "/api/admin/users/" + encodeURIComponent(id));
        showUser(u);
        $("user-detail").hidden = false;
        $("explain-result").hidden = true;
        await loadDevices(id);
        $("user-title").focus();
      } catch (err) {
        fail($("users-error"), err);
      }
    }

    // act runs a change on the user shown, then shows the user as it is now.
    async function act(button, confirmText, fn, done) {
      if (confirmText && !window.confirm(confirmText)) return;
      clearErrors($("user-detail"));
      await busy(button, async () => {
        try {
          const u = await fn(current);
          say(typeof done === "function" ? done(u) : done);
          const fresh = u && u.id ? u : await api("GET", "/api/admin/users/" + encodeURIComponent(current));
          showUser(fresh);
          await loadDevices(current);
        } catch (err) { fail($("actions-error"), err); }
      });
      button.focus();
    }
    const path = (id, rest) => "/api/admin/users/" + encodeURIComponent(id) + rest;
    $("user-revoke-all").addEventListener("click", (ev) => act(ev.currentTarget, "Sign this user out on every device?",
      (id) => api("POST", path(id, "/sessions/revoke")), "The user is signed out everywhere."));
    $("user-mfa-reset").addEventListener("click", (ev) => act(ev.currentTarget,
      "Take away this user's authenticator? They sign in with their password alone and may set up a new one. Their sessions end.",
      (id) => api("POST", path(id, "/mfa/reset")), (r) => r.reset ? "Two-factor is reset: the user can set up a new authenticator." : "The user had no authenticator, so nothing changed."));
    $("user-admin-toggle").addEventListener("click", (ev) => {
      const u = users.find((x) => x.id === current);
      const grant = !u.admin;
      act(ev.currentTarget, grant ? "Make " + u.username + " an admin? Their sessions end." : "Take away " + u.username + "'s admin? Their sessions end.",
        (id) => api("PUT", path(id, "/admin"), { admin: grant }), grant ? "The user is an admin now." : "The user is no longer an admin.");
    });
    $("user-disable-toggle").addEventListener("click", (ev) => {
      const u = users.find((x) => x.id === current);
      const disable = !u.disabled;
      act(ev.currentTarget, disable ? "Disable " + u.username + "? They are denied everywhere and signed out." : null,
        (id) => api("PUT", path(id, "/disabled"), { disabled: disable }), disable ? "The user is disabled and signed out." : "The user is enabled again.");
    });

    $("permissions-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const form = ev.currentTarget;
      clearErrors(form);
      const mode = [...form.elements.mode].find((r) => r.checked);
      const chosen = [...$("permission-hosts").querySelectorAll("input:checked")].map((c) => c.value);
      await busy($("permissions-save"), async () => {
        try {
          const u = await api("PUT", path(current, "/permissions"), { mode: mode ? mode.value : "", hosts: chosen });
          showUser(u);
          say("Permissions saved for " + u.username + ".");
        } catch (err) { fail($("permissions-error"), err, form); }
      });
    });

    $("explain-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const form = ev.currentTarget;
      clearErrors(form);
      const out = $("explain-result");
      const host = $("explain-host").value.trim();
      if (!host) {
        fail($("explain-error"), new Error("Enter a host name, such as app.example.com."));
        $("explain-host").focus();
        return;
      }
      await busy($("explain-submit"), async () => {
        try {
          const r = await api("GET", "/api/admin/access/explain?" + new URLSearchParams({ user: current, host }));
          out.textContent = (r.allowed ? "Allowed. " : "Denied. ") + r.explanation;
          out.className = r.allowed ? "ok" : "warn";
          out.hidden = false;
          say(out.textContent);
        } catch (err) { fail($("explain-error"), err); }
      });
    });
  }

  // --- hosts ---------------------------------------------------------

  if ($("panel-hosts")) {
    let editing = null; // the id of the host in the form, null when adding
    const form = $("host-form");

    function renderHosts() {
      const list = $("host-list");
      list.replaceChildren();
      for (const h of hosts) {
        const edit = el("button", { type: "button", class: "secondary", text: "Edit" });
        edit.setAttribute("aria-label", "Edit " + h.host);
        edit.addEventListener("click", () => startEdit(h));
        const remove = el("button", { type: "button", class: "secondary", text: "Remove" });
        remove.setAttribute("aria-label", "Remove " + h.host);
        remove.addEventListener("click", () => removeHost(h, remove));
        list.append(el("li", { "data-host": h.host },
          el("span", {}, el("strong", { text: h.host }), el("br"),
            el("span", { class: "note", text: (h.name !== h.host ? h.name + " · " : "") + (h.forwardAuth ? "forward auth on" : "known, forward auth off") })),
          el("span", { class: "row-actions" }, edit, remove)));
      }
      if (hosts.length === 0) list.append(el("li", { class: "note", text: "No protected hosts yet." }));
    }
    async function loadHosts() {
      clearErrors($("panel-hosts"));
      try {
        await fetchHosts();
        renderHosts();
      } catch (err) { fail($("hosts-error"), err); }
    }
    loaders.hosts = loadHosts;

    function resetForm() {
      editing = null;
      form.reset();
      clearErrors(form);
      $("host-form-title").textContent = "Add a host";
      $("host-save").textContent = "Add host";
      $("host-cancel").hidden = true;
    }
    function startEdit(h) {
      resetForm();
      editing = h.id;
      $("host-host").value = h.host;
      $("host-name").value = h.name;
      $("host-forward").checked = h.forwardAuth;
      $("host-form-title").textContent = "Change " + h.host;
      $("host-save").textContent = "Save changes";
      $("host-cancel").hidden = false;
      $("host-host").focus();
    }
    $("host-cancel").addEventListener("click", () => { resetForm(); $("host-host").focus(); });

    async function removeHost(h, button) {
      if (!window.confirm("Take " + h.host + " away? Forward auth no longer knows it.")) return;
      clearErrors($("panel-hosts"));
      await busy(button, async () => {
        try {
          await api("DELETE", "/api/admin/hosts/" + encodeURIComponent(h.id));
          say(h.host + " is removed.");
          if (editing === h.id) resetForm();
          await loadHosts();
          $("host-host").focus();
        } catch (err) { fail($("hosts-error"), err); }
      });
    }

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const body = { host: $("host-host").value.trim(), forwardAuth: $("host-forward").checked };
      const name = $("host-name").value.trim();
      if (name) body.name = name;
      if (!body.host) {
        fail($("host-form-error"), Object.assign(new Error("Enter a host name, such as app.example.com."), { errors: [{ location: "body.host", message: "Enter a host name, such as app.example.com." }] }), form);
        return;
      }
      await busy($("host-save"), async () => {
        try {
          const h = editing
            ? await api("PUT", "/api/admin/hosts/" + encodeURIComponent(editing), body)
            : await api("POST", "/api/admin/hosts", body);
          say(editing ? h.host + " is saved." : h.host + " is added.");
          resetForm();
          await loadHosts();
          $("host-host").focus();
        } catch (err) { fail($("host-form-error"), err, form); }
      });
    });
  }

  // --- audit ---------------------------------------------------------

  if ($("panel-audit")) {
    const form = $("audit-form");
    let query = null; // the filters of the list shown
    let next = 0;

    function render(events, append) {
      const list = $("audit-list");
      if (!append) list.replaceChildren();
      for (const e of events) {
        const who = e.actorName ? e.actorName + " (" + e.actorKind + ")" : e.actor + (e.actorKind && e.actorKind !== e.actor ? " (" + e.actorKind + ")" : "");
        const data = el("details", {}, el("summary", { text: "What was recorded" }),
          el("pre", { text: JSON.stringify(e.data, null, 2) }));
        list.append(el("li", { "data-position": String(e.position) },
          el("span", {}, el("strong", { text: e.type }), " ", el("span", { class: "note", text: "#" + e.position }), el("br"),
            el("span", { class: "note", text: when(e.recordedAt) + " · " + who + (e.clientIp ? " · " + e.clientIp : "") }), el("br"),
            el("code", { text: e.stream + " v" + e.streamVersion })),
          data));
      }
      if (!append && events.length === 0) list.append(el("li", { class: "note", text: "No event matches." }));
    }
    async function search(append) {
      clearErrors(form);
      const q = new URLSearchParams(append ? query : {});
      if (!append) {
        for (const [name, id] of [["actor", "audit-actor"], ["type", "audit-type"], ["stream", "audit-stream"]]) {
          const v = $(id).value.trim();
          if (v) q.set(name, v);
        }
        for (const [name, id] of [["since", "audit-since"], ["until", "audit-until"]]) {
          const v = $(id).value;
          if (!v) continue;
          const d = new Date(v);
          if (isNaN(d)) {
            fail($("audit-error"), Object.assign(new Error("Enter a date and time."), { errors: [{ location: name, message: "Enter a date and time." }] }), form);
            return;
          }
          q.set(name, d.toISOString());
        }
        query = q.toString();
      } else {
        q.set("before", String(next));
      }
      const button = append ? $("audit-more") : $("audit-search");
      await busy(button, async () => {
        try {
          const r = await api("GET", "/api/admin/audit?" + q);
          render(r.events, append);
          next = r.next || 0;
          $("audit-more").hidden = !next;
          say(append ? r.events.length + " older " + (r.events.length === 1 ? "event" : "events") + " shown." : r.events.length === 1 ? "Showing the one event that matches." : r.events.length ? "Showing the newest " + r.events.length + " events." : "No event matches.");
        } catch (err) { fail($("audit-error"), err, form); }
      });
    }
    loaders.audit = () => search(false);
    form.addEventListener("submit", (ev) => { ev.preventDefault(); search(false); });
    $("audit-more").addEventListener("click", () => search(true));
  }

  // --- start ---------------------------------------------------------

  const wanted = tabs.find((t) => "#" + t.id.replace(/^tab-/, "") === location.hash) || tabs[0];
  if (wanted) select(wanted, false);
})();
