// atlasview tag typeahead: a tag input marked data-tag-suggest fills its
// datalist with the most used tags starting with what is typed (the last
// comma-separated name), from GET /api/v1/tags. Without this file the input
// still takes tag names as typed, with the most used tags suggested.
(function () {
  "use strict";

  function wire(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var endpoint = input.getAttribute("data-tag-suggest");
    if (!list || !endpoint) {
      return;
    }
    var timer = null;
    var asked = null;
    var pending = null;

    function parts() {
      var value = input.value;
      var cut = value.lastIndexOf(",");
      return {
        head: cut < 0 ? "" : value.slice(0, cut + 1).replace(/\s*$/, " "),
        last: value.slice(cut + 1).trim()
      };
    }

    function fill(head, items) {
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
      items.forEach(function (item) {
        var option = document.createElement("option");
        option.value = head + item.tag;
        option.textContent = item.incidents + (item.incidents === 1 ? " incident" : " incidents");
        list.appendChild(option);
      });
    }

    function ask() {
      var p = parts();
      var key = p.head + "\n" + p.last;
      if (key === asked) {
        return;
      }
      asked = key;
      if (pending) {
        pending.abort();
      }
      pending = new AbortController();
      fetch(endpoint + "?limit=20&prefix=" + encodeURIComponent(p.last), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: pending.signal
      })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (body) {
          if (body && body.items) {
            fill(p.head, body.items);
          }
        })
        .catch(function () { /* offline or aborted: keep the suggestions shown */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[data-tag-suggest]"), wire);
  // Fields built later (lazy.js): a closed panel's form, once opened.
  document.addEventListener("atlasview:content", function (event) {
    Array.prototype.forEach.call(event.target.querySelectorAll("input[data-tag-suggest]"), wire);
  });
})();
