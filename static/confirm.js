// atlasview: destructive forms marked data-confirm-then-post ask "GET" for a
// confirmation page when JavaScript is off. With this file they ask in place
// and, when confirmed, post the same form straight away.
(function () {
  "use strict";

  function start() {
    var forms = document.querySelectorAll("form[data-confirm-then-post]");
    for (var i = 0; i < forms.length; i++) {
      forms[i].addEventListener("submit", function (event) {
        event.preventDefault();
        if (window.confirm(this.getAttribute("data-confirm-then-post"))) {
          this.method = "post";
          this.submit();
        }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
