/* Behaviour every page shares, kept out of the markup so that the Content-Security-Policy
   can forbid inline script and style (shoumen.core.security):

   data-autosubmit    on a field, or a form: submit the form when the field (any field) changes;
   data-confirm="…"   on a submit button: ask first, submit only on OK;
   data-print         on a button: print the page;
   data-back          on a button: go back a page;
   data-percent="N"   on a progress bar: its width, N %;
   data-indent="N"    on a tree cell: its depth (the CSS variable --sm-indent);
   data-search-as-typed  on a search field that asks as the user types: its form does not ask
                      again when the field's "change" bubbles up, and a typed request that
                      would only show what the page already shows is not sent (Enter has
                      sent it; a second answer pushed into the history would cancel a link
                      the user clicks meanwhile). htmx's trigger filters would need eval,
                      which the policy forbids.

   The last two are applied again to content htmx swaps in. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.form && field.matches && field.matches("[data-autosubmit], [data-autosubmit] *")) {
      field.form.submit();
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-confirm], [data-print], [data-back]") : null;
    if (!target) return;
    if (target.hasAttribute("data-print")) {
      window.print();
    } else if (target.hasAttribute("data-back")) {
      window.history.back();
    } else if (!window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  function applyStyles(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-percent]"), function (bar) {
      bar.style.width = Math.max(0, Math.min(100, Number(bar.getAttribute("data-percent")) || 0)) + "%";
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-indent]"), function (cell) {
      cell.style.setProperty("--sm-indent", String(Number(cell.getAttribute("data-indent")) || 0));
    });
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var detail = event.detail;
    var cause = detail.requestConfig.triggeringEvent;
    var typed = detail.elt.hasAttribute("data-search-as-typed");
    var fromTypedField = cause && cause.type === "change" && cause.target !== detail.elt &&
      cause.target.hasAttribute && cause.target.hasAttribute("data-search-as-typed");
    var alreadyShown = detail.pathInfo.finalRequestPath === window.location.pathname + window.location.search;
    if (fromTypedField || (typed && alreadyShown)) {
      event.preventDefault();
    }
  });

  applyStyles(document);
  document.addEventListener("htmx:load", function (event) { applyStyles(event.target); });
})();
