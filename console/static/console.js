// Duly console: the little the server cannot do. No inline scripts (CSP: script-src 'self').
document.addEventListener("click", function (ev) {
  var btn = ev.target.closest("[data-canned]");
  if (!btn) return;
  var box = document.getElementById("reply-body");
  if (!box) return;
  box.value = btn.getAttribute("data-canned");
  box.dispatchEvent(new Event("input", { bubbles: true }));
  box.focus();
});
// The session ended (signed out elsewhere, password changed, expired): the stream sends a
// "signed-out" event; go to the sign-in page. The sse extension only re-dispatches events
// some element listens for (sse-swap / hx-trigger="sse:..."), so listen on the source itself.
document.addEventListener("htmx:sseOpen", function (ev) {
  var source = ev.detail && ev.detail.source;
  if (!source || source.__dulySignedOut) return;
  source.__dulySignedOut = true;
  source.addEventListener("signed-out", function () {
    source.close();
    window.location = "/console/login";
  });
});
// Keep the thread scrolled to the newest message (first load and every live refresh).
function dulyScrollThread() {
  var t = document.querySelector(".live .thread");
  if (t) t.scrollTop = t.scrollHeight;
}
document.addEventListener("DOMContentLoaded", dulyScrollThread);
document.addEventListener("htmx:afterSettle", dulyScrollThread);
// Forms that change what customers receive ask first (data-confirm="...").
document.addEventListener("submit", function (ev) {
  var msg = ev.target.getAttribute && ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) ev.preventDefault();
});
