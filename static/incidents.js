// atlasview incidents: small progressive enhancements. Every page works
// without this file; it only saves a round trip or a click.
//
// - Step form: choosing a tactic filters the technique list in place (when
//   every tactic's techniques are on the page) or reloads the form for that
//   tactic (the same GET the "Show this tactic's techniques" button sends).
// - Forms marked data-confirm ask before submitting (deleting a step).
// - Case-study import: a file picker that reads the file into the textarea.
(function () {
  "use strict";

  function stepForm() {
    var tactic = document.getElementById("f-tactic");
    var technique = document.getElementById("f-technique");
    var reload = document.querySelector("button[data-reload]");
    if (!tactic || !technique || !reload) {
      return;
    }
    var allTactics = technique.hasAttribute("data-all-tactics");

    function filter() {
      var chosen = tactic.value;
      var groups = technique.querySelectorAll("optgroup[data-tactic]");
      var selectedVisible = false;
      for (var i = 0; i < groups.length; i++) {
        var group = groups[i];
        var own = group.getAttribute("data-tactic");
        // The "Current choice" group (no tactic) always stays.
        var show = !chosen || !own || own === chosen;
        group.hidden = !show;
        group.disabled = !show;
        if (show && technique.selectedIndex >= 0 && technique.options[technique.selectedIndex].parentNode === group) {
          selectedVisible = true;
        }
      }
      if (!selectedVisible && technique.selectedIndex > 0 &&
          technique.options[technique.selectedIndex].parentNode.tagName === "OPTGROUP") {
        technique.value = "";
      }
    }

    if (allTactics) {
      reload.hidden = true;
      filter();
      tactic.addEventListener("change", filter);
    } else {
      tactic.addEventListener("change", function () {
        if (tactic.form && typeof tactic.form.requestSubmit === "function") {
          tactic.form.requestSubmit(reload);
        } else {
          reload.click();
        }
      });
    }
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
