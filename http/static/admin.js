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
        const field = scope.querySelector('[data-field="' + CSS.escape(name) + '"]') ||
          scope.querySelector('[data-field="' + CSS.escape(name.replace(/\[\d+\]$/, "")) + '"]');
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
    statusEl.textContent = ""; // a result belongs to the tab it came from
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
        $("user-title").focus(); // at once: the devices fill in after
        await loadDevices(id);
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

  // --- SMTP test mail -----------------------------------------------------

  // The SMTP tab's test mail goes out with the section in force and shows
  // the mail server's own answer, or what went wrong, in its words.
  const smtpTest = $("smtp-test");
  if (smtpTest) {
    smtpTest.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(smtpTest);
      const answer = $("smtp-test-answer");
      answer.textContent = "";
      await busy($("smtp-test-send"), async () => {
        try {
          const res = await api("POST", "/api/admin/config/smtp/test", { to: $("smtp-test-to").value.trim() });
          if (res.ok) {
            answer.textContent = res.answer;
            say("Test mail sent.");
          } else {
            fail($("smtp-test-error"), new Error(res.answer), smtpTest);
          }
        } catch (err) { fail($("smtp-test-error"), err, smtpTest); }
      });
    });
  }

  // --- configuration sections ------------------------------------------

  // A secret comes from the API as {set: true|false}, never in clear.
  const isSecret = (v) => v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && typeof v.set === "boolean";
  const acronyms = { mfa: "MFA", smtp: "SMTP", oidc: "OIDC", ttl: "TTL", url: "URL", id: "ID", api: "API", github: "GitHub" };
  const human = (key) => {
    if (acronyms[key]) return acronyms[key];
    const words = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").split(/[\s_-]+/).map((w) => acronyms[w.toLowerCase()] || w.toLowerCase());
    return words.join(" ").replace(/^./, (c) => c.toUpperCase());
  };
  let names = null; // user id -> username, for "saved by"
  async function userName(id) {
    if (!names) {
      names = {};
      try { for (const u of (await api("GET", "/api/admin/users")).users) names[u.id] = u.username; } catch (_) { /* ids then */ }
    }
    return names[id] || id || "";
  }
  async function savedLine(s) {
    if (!s.version) return "Never saved: the values below are the defaults.";
    return "Version " + s.version + ", saved " + when(s.savedAt) + " by " + (await userName(s.savedBy)) + (s.reason ? ": " + s.reason : "") + ".";
  }

  for (const form of document.querySelectorAll(".config-editor")) {
    const section = form.dataset.section;
    const box = $("config-" + section + "-fields");
    const errorEl = $("config-" + section + "-error");
    let current = null; // the section as loaded: {version, config}

    // fields renders value (an object) as form controls, one per setting,
    // named by their path under config.
    function fields(parent, value, path) {
      for (const [key, v] of Object.entries(value)) {
        const p = [...path, key];
        const id = "cfg-" + section + "-" + p.join("-");
        const field = "config." + p.join(".");
        const err = el("p", { class: "error field-error", id: id + "-error", hidden: true });
        err.setAttribute("role", "alert");
        if (isSecret(v)) {
          const input = el("input", { type: "password", id, autocomplete: "new-password", placeholder: v.set ? "stored: type to replace" : "none" });
          input.dataset.field = field;
          input.setAttribute("aria-describedby", id + "-note");
          const note = el("span", { class: "note", id: id + "-note", text: v.set ? "A value is stored; it is never shown. Leave empty to keep it." : "No value is stored." });
          parent.append(el("label", {}, human(key) + " ", note, input), err);
          if (v.set) {
            const clear = el("input", { type: "checkbox", id: id + "-clear" });
            parent.append(el("label", { class: "choice" }, clear, " Remove the stored " + human(key).replace(/^[A-Z][a-z]/, (c) => c.toLowerCase())));
          }
        } else if (v !== null && typeof v === "object" && !Array.isArray(v)) {
          const fs = el("fieldset", {}, el("legend", { text: human(key) }));
          fields(fs, v, p);
          parent.append(fs);
        } else if (typeof v === "boolean") {
          const input = el("input", { type: "checkbox", id, checked: v });
          input.dataset.field = field;
          parent.append(el("label", { class: "choice" }, input, " " + human(key)), err);
        } else {
          const list = Array.isArray(v);
          const input = el("input", { id, value: list ? v.join(", ") : v == null ? "" : String(v), autocomplete: "off", spellcheck: false });
          if (typeof v === "number") { input.type = "number"; input.inputMode = "numeric"; }
          input.dataset.field = field;
          parent.append(el("label", {}, human(key) + (list ? " (separate with commas)" : "") + " ", input), err);
        }
      }
    }
    // collect reads the controls back into a document shaped like value.
    function collect(value, path) {
      const out = {};
      for (const [key, v] of Object.entries(value)) {
        const p = [...path, key];
        const id = "cfg-" + section + "-" + p.join("-");
        if (isSecret(v)) {
          const typed = $(id).value;
          const clear = $(id + "-clear");
          out[key] = clear && clear.checked ? "" : typed !== "" ? typed : v.set ? { set: true } : "";
        } else if (v !== null && typeof v === "object" && !Array.isArray(v)) {
          out[key] = collect(v, p);
        } else if (typeof v === "boolean") {
          out[key] = $(id).checked;
        } else if (Array.isArray(v)) {
          out[key] = $(id).value.split(",").map((x) => x.trim()).filter(Boolean);
        } else if (typeof v === "number") {
          out[key] = $(id).value === "" ? 0 : Number($(id).value);
        } else {
          out[key] = $(id).value;
        }
      }
      return out;
    }
    async function show(s) {
      current = s;
      box.replaceChildren();
      fields(box, s.config, []);
      $("config-" + section + "-version").textContent = await savedLine(s);
    }
    async function load() {
      clearErrors(form);
      try {
        const all = await api("GET", "/api/admin/config");
        const s = all.sections.find((x) => x.section === section);
        if (!s) throw new Error("This server has no " + section + " section.");
        await show(s);
      } catch (err) { fail(errorEl, err); }
    }
    loaders[section] = load;
    $("config-" + section + "-reload").addEventListener("click", async () => {
      await load();
      say("Reloaded: " + $("config-" + section + "-version").textContent);
      const first = box.querySelector("input");
      if (first) first.focus();
    });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      if (!current) return;
      const body = { version: current.version, config: collect(current.config, []), reason: $("config-" + section + "-reason").value.trim() };
      await busy($("config-" + section + "-save"), async () => {
        try {
          const s = await api("PUT", "/api/admin/config/" + section, body);
          await show(s);
          $("config-" + section + "-reason").value = "";
          say("Saved: version " + s.version + " of " + section + " is current, on every node.");
        } catch (err) {
          if (err.status === 409) {
            err.message = "Someone else saved this section first, so your change was not saved. Reload to see theirs, then make your change again. (" + err.message + ")";
            fail(errorEl, err);
            $("config-" + section + "-reload").focus();
            return;
          }
          fail(errorEl, err, form);
        }
      });
    });
  }

  // --- history -------------------------------------------------------

  if ($("panel-history")) {
    const select = $("history-section");
    const fmt = (v) => v === undefined || v === null ? "(none)" : typeof v === "string" ? (v === "" ? "(empty)" : v) : JSON.stringify(v);

    let asked = 0; // the latest load: an earlier answer that comes late is dropped
    async function loadHistory() {
      clearErrors($("panel-history"));
      const section = select.value;
      const list = $("history-list");
      const mine = ++asked;
      try {
        const h = await api("GET", "/api/admin/config/history/" + encodeURIComponent(section));
        const names = await Promise.all(h.versions.map((v) => userName(v.savedBy)));
        if (mine !== asked) return;
        const by = Object.fromEntries(h.versions.map((v, i) => [v.version, names[i]]));
        list.replaceChildren();
        const latest = h.versions.reduce((m, v) => Math.max(m, v.version), 0);
        for (const v of [...h.versions].sort((a, b) => b.version - a.version)) {
          const notes = [v.seeded && !v.reason && "from the environment", v.restoredFrom && "restored version " + v.restoredFrom, v.backup && "from backup " + v.backup].filter(Boolean);
          const changes = el("ul", { class: "changes", hidden: true });
          const show = el("button", { type: "button", class: "secondary", text: "Changes" });
          show.setAttribute("aria-label", "Changes in version " + v.version);
          show.setAttribute("aria-expanded", "false");
          show.addEventListener("click", () => busy(show, async () => {
            if (!changes.hidden) { changes.hidden = true; show.setAttribute("aria-expanded", "false"); return; }
            try {
              const d = await api("GET", "/api/admin/config/history/" + encodeURIComponent(section) + "/diff?" + new URLSearchParams({ from: String(v.version - 1), to: String(v.version) }));
              changes.replaceChildren(...d.changes.map((c) => el("li", { text: c.path + ": " + (c.secret ? "a secret was changed" : fmt(c.old) + " → " + fmt(c.new)) })));
              if (d.changes.length === 0) changes.append(el("li", { class: "note", text: "No setting changed." }));
              changes.hidden = false;
              show.setAttribute("aria-expanded", "true");
            } catch (err) { fail($("history-error"), err); }
          }));
          const buttons = el("span", { class: "row-actions" }, show);
          if (v.version !== latest) {
            const restore = el("button", { type: "button", class: "secondary", text: "Restore" });
            restore.setAttribute("aria-label", "Restore version " + v.version);
            restore.addEventListener("click", () => {
              if (!window.confirm("Make version " + v.version + " of " + section + " current again? It becomes a new version.")) return;
              busy(restore, async () => {
                clearErrors($("panel-history"));
                try {
                  const s = await api("POST", "/api/admin/config/" + encodeURIComponent(section) + "/restore", { version: v.version, reason: $("history-reason").value.trim() });
                  $("history-reason").value = "";
                  say("Version " + v.version + " is current again, as version " + s.version + ".");
                  loaded.delete(section); // the editor reloads when next shown
                  await loadHistory();
                  select.focus();
                } catch (err) { fail($("history-error"), err); }
              });
            });
            buttons.append(restore);
          }
          list.append(el("li", { "data-version": String(v.version) },
            el("span", {}, el("strong", { text: "Version " + v.version + (v.version === latest ? " (current)" : "") }), el("br"),
              el("span", { class: "note", text: when(v.savedAt) + " · " + by[v.version] + (v.reason ? " · " + v.reason : "") + (notes.length ? " · " + notes.join(", ") : "") })),
            buttons, changes));
        }
        if (h.versions.length === 0) list.append(el("li", { class: "note", text: "This section was never saved." }));
      } catch (err) { fail($("history-error"), err); }
    }
    loaders.history = async () => {
      try {
        const all = await api("GET", "/api/admin/config");
        select.replaceChildren(...all.sections.map((s) => el("option", { value: s.section, text: human(s.section) })));
        await loadHistory();
      } catch (err) { fail($("history-error"), err); }
    };
    select.addEventListener("change", loadHistory);
  }

  // --- backups -------------------------------------------------------

  if ($("panel-backups")) {
    const size = (n) => n < 1024 ? n + " bytes" : (n / 1024).toFixed(1) + " KiB";
    const sectionChecks = (box, names, chosen) => {
      box.replaceChildren(...names.map((n) => el("label", { class: "choice" },
        el("input", { type: "checkbox", value: n, checked: chosen.includes(n) }), " " + human(n))));
    };
    const checked = (box) => [...box.querySelectorAll("input:checked")].map((c) => c.value);

    async function loadBackups() {
      clearErrors($("panel-backups"));
      try {
        const [b, all] = await Promise.all([api("GET", "/api/admin/backups"), api("GET", "/api/admin/config")]);
        const names = all.sections.map((x) => x.section);
        const list = $("backup-list");
        list.replaceChildren();
        for (const f of b.backups) {
          const path = "/api/admin/backups/" + encodeURIComponent(f.name);
          const download = el("a", { class: "button secondary", href: path, text: "Download" });
          download.setAttribute("download", f.name);
          download.setAttribute("aria-label", "Download " + f.name);
          const restore = el("button", { type: "button", class: "secondary", text: "Restore", disabled: !f.ok });
          restore.setAttribute("aria-label", "Restore " + f.name);
          restore.addEventListener("click", () => {
            if (!window.confirm("Make the sections in " + f.name + " current again? Each becomes a new version.")) return;
            busy(restore, async () => {
              clearErrors($("panel-backups"));
              try {
                const r = await api("POST", path + "/restore", {});
                for (const section of Object.keys(r.versions)) loaded.delete(section);
                say("Restored from " + f.name + ": " + Object.entries(r.versions).map(([k, v]) => k + " is at version " + v).join(", ") + ".");
                restore.focus();
              } catch (err) { fail($("backups-error"), err); }
            });
          });
          const remove = el("button", { type: "button", class: "secondary", text: "Delete" });
          remove.setAttribute("aria-label", "Delete " + f.name);
          remove.addEventListener("click", () => {
            if (!window.confirm("Delete " + f.name + "? The file is gone for good.")) return;
            busy(remove, async () => {
              clearErrors($("panel-backups"));
              try {
                await api("DELETE", path);
                say(f.name + " is deleted.");
                await loadBackups();
                $("backup-run-submit").focus();
              } catch (err) { fail($("backups-error"), err); }
            });
          });
          const by = f.authorKind === "system" ? "the schedule" : await userName(f.author);
          const what = f.ok ? f.sections.join(", ") : "cannot be restored here: " + f.problem;
          list.append(el("li", { "data-backup": f.name },
            el("span", {}, el("strong", { text: f.name }), el("br"),
              el("span", { class: f.ok ? "note" : "error", text: (f.createdAt ? when(f.createdAt) + " · " + by + " · " : "") + size(f.size) + " · " + what })),
            el("span", { class: "row-actions" }, download, restore, remove)));
        }
        if (b.backups.length === 0) list.append(el("li", { class: "note", text: "No backups yet." }));
        sectionChecks($("backup-run-sections"), names, names);
        const sc = b.schedule.config;
        $("backup-schedule-every").value = sc.schedule;
        sectionChecks($("backup-schedule-sections"), names, sc.sections || []);
        $("backup-schedule-retention").value = sc.retention;
        $("backup-schedule-version").textContent = await savedLine(b.schedule);
      } catch (err) { fail($("backups-error"), err); }
    }
    loaders.backups = loadBackups;

    $("backup-run").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(ev.currentTarget);
      const sections = checked($("backup-run-sections"));
      if (sections.length === 0) {
        fail($("backup-run-error"), new Error("Tick at least one section to back up."));
        return;
      }
      await busy($("backup-run-submit"), async () => {
        try {
          const f = await api("POST", "/api/admin/backups", { sections });
          say("Backup " + f.name + " is made.");
          await loadBackups();
          $("backup-run-submit").focus();
        } catch (err) { fail($("backup-run-error"), err); }
      });
    });
    $("backup-schedule").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const form = ev.currentTarget;
      clearErrors(form);
      const body = { schedule: $("backup-schedule-every").value, sections: checked($("backup-schedule-sections")),
        retention: Number($("backup-schedule-retention").value || 0), reason: $("backup-schedule-reason").value.trim() };
      await busy($("backup-schedule-save"), async () => {
        try {
          const sec = await api("PUT", "/api/admin/backups/schedule", body);
          $("backup-schedule-reason").value = "";
          $("backup-schedule-version").textContent = await savedLine(sec);
          loaded.delete("backups");
          say("The schedule is saved: " + $("backup-schedule-every").selectedOptions[0].textContent.toLowerCase() + ".");
        } catch (err) { fail($("backup-schedule-error"), err, form); }
      });
    });
  }

  // --- OAuth clients -------------------------------------------------

  if ($("panel-clients")) {
    const form = $("client-form");
    let clients = [];
    let editing = null;
    const lines = (v) => v.split(/\n/).map((x) => x.trim()).filter(Boolean);
    const base = "/api/admin/oauth/clients";

    function showSecret(r) {
      $("client-secret-id").textContent = r.client_id;
      $("client-secret-value").textContent = r.client_secret;
      $("client-secret-box").hidden = false;
      $("client-secret-box").focus();
    }
    $("client-secret-done").addEventListener("click", () => {
      $("client-secret-value").textContent = "";
      $("client-secret-box").hidden = true;
      $("client-name").focus();
    });

    function renderClients() {
      const list = $("client-list");
      list.replaceChildren();
      for (const c of clients) {
        const kind = [c.public ? "public" : "confidential", c.firstParty && "trusted"].filter(Boolean).join(", ");
        const edit = el("button", { type: "button", class: "secondary", text: "Edit" });
        edit.setAttribute("aria-label", "Edit " + c.name);
        edit.addEventListener("click", () => startEdit(c));
        const actions = el("span", { class: "row-actions" }, edit);
        if (!c.public) {
          const rotate = el("button", { type: "button", class: "secondary", text: "New secret" });
          rotate.setAttribute("aria-label", "New secret for " + c.name);
          rotate.addEventListener("click", () => {
            if (!window.confirm("Give " + c.name + " a new secret? The old one stops working at once.")) return;
            busy(rotate, async () => {
              clearErrors($("panel-clients"));
              try {
                const r = await api("POST", base + "/" + encodeURIComponent(c.clientId) + "/rotate-secret");
                say(c.name + " has a new secret. The old one no longer works.");
                showSecret(r);
              } catch (err) { fail($("clients-error"), err); }
            });
          });
          actions.append(rotate);
        }
        const remove = el("button", { type: "button", class: "secondary", text: "Delete" });
        remove.setAttribute("aria-label", "Delete " + c.name);
        remove.addEventListener("click", () => {
          if (!window.confirm("Delete " + c.name + "? People can no longer sign in to it through this portal.")) return;
          busy(remove, async () => {
            clearErrors($("panel-clients"));
            try {
              await api("DELETE", base + "/" + encodeURIComponent(c.clientId));
              say(c.name + " is deleted.");
              if (editing === c.clientId) resetForm();
              await loadClients();
              $("client-name").focus();
            } catch (err) { fail($("clients-error"), err); }
          });
        });
        actions.append(remove);
        list.append(el("li", { "data-client": c.clientId },
          el("span", {}, el("strong", { text: c.name }), " ", el("span", { class: "note", text: kind }), el("br"),
            el("code", { text: c.clientId }), el("br"),
            el("span", { class: "note", text: (c.redirectUris || []).join(" · ") })),
          actions));
      }
      if (clients.length === 0) list.append(el("li", { class: "note", text: "No clients yet." }));
    }
    async function loadClients() {
      clearErrors($("panel-clients"));
      try {
        clients = (await api("GET", base)).clients;
        renderClients();
      } catch (err) { fail($("clients-error"), err); }
    }
    loaders.clients = loadClients;

    function resetForm() {
      editing = null;
      form.reset();
      clearErrors(form);
      $("client-public").disabled = false;
      $("client-form-title").textContent = "Add a client";
      $("client-save").textContent = "Add client";
      $("client-cancel").hidden = true;
    }
    function startEdit(c) {
      resetForm();
      editing = c.clientId;
      $("client-name").value = c.name;
      $("client-redirects").value = (c.redirectUris || []).join("\n");
      $("client-logout").value = (c.postLogoutRedirectUris || []).join("\n");
      $("client-scopes").value = (c.scopes || []).join(" ");
      $("client-public").checked = c.public;
      $("client-public").disabled = true;
      $("client-first-party").checked = c.firstParty;
      $("client-form-title").textContent = "Change " + c.name;
      $("client-save").textContent = "Save changes";
      $("client-cancel").hidden = false;
      $("client-name").focus();
    }
    $("client-cancel").addEventListener("click", () => { resetForm(); $("client-name").focus(); });

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const body = { name: $("client-name").value.trim(), redirectUris: lines($("client-redirects").value),
        postLogoutRedirectUris: lines($("client-logout").value), scopes: $("client-scopes").value.split(/[\s,]+/).filter(Boolean),
        firstParty: $("client-first-party").checked };
      if (!editing) body.public = $("client-public").checked;
      await busy($("client-save"), async () => {
        try {
          const r = editing ? await api("PUT", base + "/" + encodeURIComponent(editing), body) : await api("POST", base, body);
          const added = !editing;
          resetForm();
          await loadClients();
          say(added ? body.name + " is added." : body.name + " is saved."); // once the list shows it
          if (added && r.client_secret) showSecret(r); else $("client-name").focus();
        } catch (err) { fail($("client-form-error"), err, form); }
      });
    });
  }

  // --- invites -------------------------------------------------------

  if ($("panel-invites")) {
    const form = $("invite-form");
    const how = () => form.querySelector('input[name="invite-how"]:checked').value;
    const states = { pending: "waiting to be mailed", sent: "sent", failed: "the mail failed", accepted: "accepted", expired: "expired", revoked: "revoked" };
    function syncHow() {
      const link = how() === "link";
      $("invite-email-label").hidden = link;
      $("invite-uses-label").hidden = !link;
      $("invite-link-note").hidden = !link;
      $("invite-submit").textContent = link ? "Make the link" : "Send the invite";
    }
    for (const r of form.querySelectorAll('input[name="invite-how"]')) r.addEventListener("change", syncHow);
    $("invite-link-done").addEventListener("click", () => {
      $("invite-link-url").textContent = "";
      $("invite-link-box").hidden = true;
      $("invite-submit").focus();
    });

    // loadInvites shows the list; with want, it asks again (a few times,
    // briefly) until that invite is on it: creating one does not wait for
    // the list's read model to show it.
    // loadProvisioning offers "also create their media account" for each
    // media server that can make accounts now (enabled, with its API key);
    // ticking one unticks the other. A choice already ticked stays.
    async function loadProvisioning() {
      const box = $("invite-provision");
      const ticked = box.querySelector("input:checked")?.value;
      const { servers } = await api("GET", "/api/admin/invites/provisioning");
      const names = { jellyfin: "Jellyfin", emby: "Emby" };
      box.replaceChildren(...servers.map((name) => {
        const input = el("input", { type: "checkbox", value: name, "data-field": "provision" });
        input.id = "invite-provision-" + name;
        input.checked = name === ticked;
        input.addEventListener("change", () => {
          if (input.checked) for (const o of box.querySelectorAll("input")) if (o !== input) o.checked = false;
        });
        return el("label", { class: "choice" }, input, " Also create their " + (names[name] || name) + " account");
      }));
      box.hidden = servers.length === 0;
    }

    async function loadInvites(want) {
      clearErrors($("panel-invites"));
      try {
        let [inv] = await Promise.all([api("GET", "/api/admin/invites"), fetchHosts()]);
        for (let i = 0; want && i < 10 && !inv.invites.some((x) => x.id === want); i++) {
          await new Promise((r) => setTimeout(r, 200));
          inv = await api("GET", "/api/admin/invites");
        }
        $("invite-hosts").replaceChildren(...hosts.map((h) => el("label", { class: "choice" }, el("input", { type: "checkbox", value: h.id }), " " + h.host)));
        await loadProvisioning();
        const list = $("invite-list");
        list.replaceChildren();
        for (const i of inv.invites) {
          const actions = el("span", { class: "row-actions" });
          const open = ["pending", "sent", "failed"].includes(i.state);
          if (open && !i.link) {
            const resend = el("button", { type: "button", class: "secondary", text: "Send again" });
            resend.setAttribute("aria-label", "Send the invite to " + i.email + " again");
            resend.addEventListener("click", () => busy(resend, async () => {
              clearErrors($("panel-invites"));
              try {
                await api("POST", "/api/admin/invites/" + encodeURIComponent(i.id) + "/resend");
                say("The invite to " + i.email + " is being sent again.");
                await loadInvites();
              } catch (err) { fail($("invites-error"), err); }
            }));
            actions.append(resend);
          }
          if (open) {
            const revoke = el("button", { type: "button", class: "secondary", text: "Revoke" });
            revoke.setAttribute("aria-label", "Revoke the invite " + (i.email || "link"));
            revoke.addEventListener("click", () => {
              if (!window.confirm("Revoke this invite? Its link stops working.")) return;
              busy(revoke, async () => {
                clearErrors($("panel-invites"));
                try {
                  await api("POST", "/api/admin/invites/" + encodeURIComponent(i.id) + "/revoke");
                  say("The invite is revoked.");
                  await loadInvites();
                  $("invite-submit").focus();
                } catch (err) { fail($("invites-error"), err); }
              });
            });
            actions.append(revoke);
          }
          const what = (i.link ? "Link, " + i.uses + " of " + i.max_uses + " used" : i.email) + (i.role === "admin" ? " · admin" : "");
          const detail = (i.link && i.state === "sent" ? "open" : states[i.state] || i.state) + (i.mail_error ? ": " + i.mail_error : "") + " · until " + when(i.expires_at);
          list.append(el("li", { "data-invite": i.id },
            el("span", {}, el("strong", { text: what }), el("br"), el("span", { class: i.state === "failed" ? "error" : "note", text: detail })), actions));
        }
        if (inv.invites.length === 0) list.append(el("li", { class: "note", text: "No invites yet." }));
      } catch (err) { fail($("invites-error"), err); }
    }
    loaders.invites = () => loadInvites();

    // The mail an invite sends, for an example invite, as the mailer would
    // write it now (its text part; the HTML part says the same).
    $("invite-preview").addEventListener("toggle", async (ev) => {
      if (!ev.target.open || $("invite-preview-subject").textContent) return;
      clearErrors($("invite-preview"));
      try {
        const m = await api("GET", "/api/admin/invites/preview");
        $("invite-preview-subject").textContent = "Subject: " + m.subject;
        $("invite-preview-text").textContent = m.text;
      } catch (err) { fail($("invite-preview-error"), err); }
    });

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const link = how() === "link";
      const path = "/api/admin/invites";
      const body = { role: $("invite-admin").checked ? "admin" : "user",
        permission_mode: form.querySelector('input[name="invite-mode"]:checked').value,
        permitted_hosts: [...$("invite-hosts").querySelectorAll("input:checked")].map((c) => c.value) };
      const provision = $("invite-provision").querySelector("input:checked");
      if (provision) body.provision = provision.value;
      if (link) {
        body.link = true;
        body.max_uses = Number($("invite-uses").value || 1);
      } else {
        body.email = $("invite-email").value.trim();
        if (!body.email) {
          fail($("invite-form-error"), Object.assign(new Error("Enter the e-mail address to invite."), { errors: [{ location: "body.email", message: "Enter the e-mail address to invite." }] }), form);
          return;
        }
      }
      await busy($("invite-submit"), async () => {
        try {
          const i = await api("POST", path, body);
          form.reset();
          if (link) form.querySelector('input[name="invite-how"][value="link"]').checked = true;
          syncHow();
          await loadInvites(i.id);
          if (i.invite_url && link) {
            $("invite-link-url").textContent = i.invite_url;
            $("invite-link-box").hidden = false;
            $("invite-link-box").focus();
            say("The link is made.");
          } else {
            say("The invite to " + body.email + " is on its way.");
            $("invite-email").focus();
          }
        } catch (err) { fail($("invite-form-error"), err, form); }
      });
    });
    syncHow();
  }

  // --- audit ---------------------------------------------------------

  if ($("panel-audit")) {
    const form = $("audit-form");
    let query = null; // the filters of the list shown
    let next = 0;
    let asked = 0; // the latest search: an earlier answer that comes late is dropped

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
      const mine = ++asked;
      await busy(button, async () => {
        try {
          const r = await api("GET", "/api/admin/audit?" + q);
          if (mine !== asked) return; // a later search is on its way
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
