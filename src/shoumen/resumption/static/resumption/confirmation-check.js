/* The confirmation check in the browser: the QR's text checked with the published keys and
 * the revoked numbers this page was served with (kept in localStorage, so a later visit
 * without the network still has them), as it is typed or pasted. */
(function () {
  "use strict";

  var STORE = "shoumen.confirmation-offline";
  var area = document.querySelector("[data-form=confirmation-check] textarea");
  var out = document.querySelector("[data-offline-result]");
  var messages = document.querySelector("[data-offline-messages]").dataset;
  var served = document.getElementById("confirmation-offline");
  var data = served ? JSON.parse(served.textContent) : null;
  try {
    if (data) localStorage.setItem(STORE, JSON.stringify(data));
    else data = JSON.parse(localStorage.getItem(STORE) || "null");
  } catch (e) { /* private mode: the served data is enough */ }
  if (!area || !out || !data) return;

  function show(kind, text) {
    out.className = "alert alert-" + kind;
    out.textContent = text;
  }

  function check() {
    var text = area.value.trim();
    if (!text) { out.className = "alert d-none"; return; }
    window.ShoumenCredential.check(text, {keys: data.keys, claim: data.claim, fields: data.fields})
      .then(function (result) {
        if (result.ok && data.revoked.indexOf(result.claims.body.n) >= 0) {
          show("danger", messages.revoked);
        } else if (result.ok) {
          show("success", messages.ok + " " + result.claims.body.e + " · " + result.claims.body.n);
        } else if (result.reason === "unavailable") {
          show("secondary", messages.unavailable);
        } else {
          show("danger", {expired: messages.expired, bad_signature: messages.bad,
                          unknown_key: messages.bad}[result.reason] || messages.malformed);
        }
        out.dataset.offline = result.ok && data.revoked.indexOf(result.claims.body.n) < 0
          ? "valid" : "invalid";
      });
  }

  area.addEventListener("input", check);
  check();
})();
