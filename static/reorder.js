// atlasview: reordering the attack path on an incident's page in one action.
// Without this file every step has a small "Move to [N] Move" form; with it,
// a handle beside each step moves it by dragging or with the arrow keys, and
// dropping it (or Enter) submits that same form once with the new position.
(function () {
  "use strict";

  function steps(list) {
    return Array.prototype.filter.call(list.children, function (li) {
      return li.classList.contains("inc-step");
    });
  }

  function formOf(li) {
    return li.querySelector("form.inc-position-form");
  }

  // Submits the step's position form when its place in the list changed.
  function save(li, from) {
    var list = li.parentNode;
    var to = steps(list).indexOf(li) + 1;
    var form = formOf(li);
    if (!form || to === from) {
      return;
    }
    form.querySelector("select[name=position]").value = String(to);
    form.submit();
  }

  function setUp(list) {
    var items = steps(list).filter(formOf);
    if (items.length < 2) {
      return;
    }
    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "assertive");
    list.parentNode.insertBefore(live, list);
    var dragged = null;
    var from = 0;

    items.forEach(function (li) {
      var handle = document.createElement("button");
      handle.type = "button";
      handle.className = "inc-drag-handle";
      handle.textContent = "⇅";
      var number = li.querySelector(".inc-step-number");
      var label = "Reorder step " + (number ? number.textContent : "") +
        ": drag it, or use the up and down arrow keys, then Enter to save, Escape to cancel";
      handle.setAttribute("aria-label", label);
      handle.title = label;
      var actions = li.querySelector(".inc-step-actions") || li;
      actions.insertBefore(handle, actions.firstChild);
      li.classList.add("inc-step-movable");

      handle.addEventListener("keydown", function (event) {
        var all = steps(list);
        var at = all.indexOf(li);
        if (event.key === "ArrowUp" || event.key === "ArrowDown") {
          event.preventDefault();
          if (!li.classList.contains("inc-step-moving")) {
            li.classList.add("inc-step-moving");
            from = at + 1;
          }
          if (event.key === "ArrowUp" && at > 0) {
            list.insertBefore(li, all[at - 1]);
          } else if (event.key === "ArrowDown" && at < all.length - 1) {
            list.insertBefore(li, all[at + 1].nextSibling);
          }
          handle.focus();
          live.textContent = "Position " + (steps(list).indexOf(li) + 1) + " of " + all.length +
            ". Enter saves, Escape cancels.";
        } else if (event.key === "Enter" && li.classList.contains("inc-step-moving")) {
          event.preventDefault();
          save(li, from);
        } else if (event.key === "Escape" && li.classList.contains("inc-step-moving")) {
          event.preventDefault();
          window.location.reload();
        }
      });

      handle.addEventListener("mousedown", function () {
        li.draggable = true;
      });
      li.addEventListener("dragstart", function (event) {
        dragged = li;
        from = steps(list).indexOf(li) + 1;
        li.classList.add("inc-step-moving");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", String(from));
      });
      li.addEventListener("dragover", function (event) {
        if (!dragged || dragged === li) {
          return;
        }
        event.preventDefault();
        var box = li.getBoundingClientRect();
        var after = event.clientY > box.top + box.height / 2;
        list.insertBefore(dragged, after ? li.nextSibling : li);
      });
      li.addEventListener("drop", function (event) {
        event.preventDefault();
      });
      li.addEventListener("dragend", function () {
        li.draggable = false;
        li.classList.remove("inc-step-moving");
        if (dragged === li) {
          dragged = null;
          save(li, from);
        }
      });
    });
  }

  function start() {
    var lists = document.querySelectorAll("ol.inc-timeline");
    for (var i = 0; i < lists.length; i++) {
      setUp(lists[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
