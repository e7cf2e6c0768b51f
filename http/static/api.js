// Shared by the pages: JSON POSTs that surface RFC 9457 problem details.
"use strict";
async function postJSON(path, body) {
  const res = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "Accept": "application/json" },
    body: JSON.stringify(body || {}),
  });
  let data = null;
  try { data = await res.json(); } catch (_) { /* empty body */ }
  if (!res.ok) {
    const detail = (data && (data.detail || data.title)) || "Request failed (" + res.status + ").";
    const err = new Error(detail);
    err.status = res.status;
    err.type = (data && data.type) || "";
    throw err;
  }
  return data;
}
function showError(el, err) {
  el.textContent = err.message;
  el.hidden = false;
}
