// atlasview incidents: small progressive enhancements. Every page works
// without this file; it only saves a round trip or a click.
//
// - Step form: typing a technique (ID or name) fills its tactic when it
//   serves one and offers only its tactics otherwise; choosing a tactic
//   narrows the technique suggestions in place.
// - Forms marked data-confirm ask before submitting; links marked
//   data-confirm-post (deleting a step: without JavaScript they open a
//   confirmation page) ask in place, then post the same form that page has.
// - Case-study import: a file picker that reads the file into the textarea.
(function () {
  "use strict";

  function stepForm() {
    var tactic = document.getElementById("f-tactic");
    var technique = document.getElementById("f-technique");
    var list = document.getElementById("technique-options");
    var reload = document.querySelector("button[data-reload]");
    if (!tactic || !technique || !list) {
      return;
    }
    var all = Array.prototype.slice.call(list.options);

    function fold(text) {
      return text.replace(/\s+/g, " ").trim().toLowerCase();
    }

    function id(text) {
      var t = text.trim().toUpperCase();
      if (t.indexOf("AML.") === 0) {
        t = t.slice(4);
      }
      return t.charAt(0) === "T" && t.charAt(1) !== "A" ? "AML." + t : null;
    }

    // The option the typed text stands for: its ID in any spelling or its name.
    function match(text) {
      var wanted = id(text);
      var name = fold(text);
      for (var i = 0; i < all.length; i++) {
        var label = fold(all[i].label.replace(/ \(earlier name\)$/, ""));
        if (all[i].value === wanted || (name && label === name)) {
          return all[i];
        }
      }
      return null;
    }

    // Only the tactics the technique serves; the one when it serves one.
    function fillTactic() {
      var hit = match(technique.value);
      var serves = hit ? hit.getAttribute("data-tactics").split(" ") : [];
      for (var i = 0; i < tactic.options.length; i++) {
        var o = tactic.options[i];
        var off = serves.length > 0 && o.value !== "" && serves.indexOf(o.value) < 0;
        o.disabled = off;
        o.hidden = off;
      }
      if (serves.length === 1) {
        tactic.value = serves[0];
      } else if (serves.length > 1 && serves.indexOf(tactic.value) < 0) {
        tactic.value = "";
      }
    }

    // Suggestions of the chosen tactic only.
    function filterList() {
      var chosen = tactic.value;
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
      for (var i = 0; i < all.length; i++) {
        var serves = all[i].getAttribute("data-tactics").split(" ");
        if (!chosen || serves.indexOf(chosen) >= 0) {
          list.appendChild(all[i]);
        }
      }
    }

    // A list the server narrowed to one tactic reloads for another tactic.
    var narrowed = list.hasAttribute("data-narrowed");
    if (reload && !narrowed) {
      reload.hidden = true;
    }
    technique.addEventListener("input", fillTactic);
    technique.addEventListener("change", fillTactic);
    tactic.addEventListener("change", function () {
      if (narrowed && reload && tactic.form) {
        if (typeof tactic.form.requestSubmit === "function") {
          tactic.form.requestSubmit(reload);
        } else {
          reload.click();
        }
      } else {
        filterList();
      }
    });
    if (technique.value) {
      fillTactic();
    }
    filterList();
  }

  function confirmations() {
    var forms = document.querySelectorAll("form[data-confirm]");
    for (var i = 0; i < forms.length; i++) {
      forms[i].addEventListener("submit", function (event) {
        if (!window.confirm(this.getAttribute("data-confirm"))) {
          event.preventDefault();
        }
      });
    }
    var links = document.querySelectorAll("a[data-confirm-post]");
    for (var j = 0; j < links.length; j++) {
      links[j].addEventListener("click", function (event) {
        event.preventDefault();
        if (!window.confirm(this.getAttribute("data-confirm-post"))) {
          return;
        }
        var form = document.createElement("form");
        form.method = "post";
        form.action = this.getAttribute("href");
        var version = document.createElement("input");
        version.type = "hidden";
        version.name = "version";
        version.value = this.getAttribute("data-version") || "";
        form.appendChild(version);
        document.body.appendChild(form);
        form.submit();
      });
    }
  }

  function filePickers() {
    var fields = document.querySelectorAll("[data-file-for]");
    for (var i = 0; i < fields.length; i++) {
      (function (field) {
        var target = document.getElementById(field.getAttribute("data-file-for"));
        var input = field.querySelector("input[type=file]");
        if (!target || !input || typeof FileReader === "undefined") {
          return;
        }
        field.hidden = false;
        input.addEventListener("change", function () {
          var file = input.files && input.files[0];
          if (!file) {
            return;
          }
          var reader = new FileReader();
          reader.onload = function () {
            target.value = String(reader.result || "");
            target.focus();
          };
          reader.readAsText(file);
        });
      })(fields[i]);
    }
  }

  function start() {
    stepForm();
    confirmations();
    filePickers();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
