// atlasview: what a closed <details> holds in a <noscript data-lazy> is
// built when the details first opens. With scripts on, the browser keeps a
// <noscript>'s content as text, so a long form in a closed panel (the
// matrix filters: 28 fields) costs nothing on a cold load; without scripts
// the browser builds it at once, so the page works the same. Listeners of
// the "atlasview:content" event (tags.js) wire what was built.
(function () {
  "use strict";

  function build(holder) {
    var parent = holder.parentNode;
    var template = document.createElement("template");
    // The text is the server's own markup, escaped as it would be parsed.
    template.innerHTML = holder.textContent;
    parent.replaceChild(template.content, holder);
    parent.dispatchEvent(new CustomEvent("atlasview:content", { bubbles: true }));
  }

  Array.prototype.forEach.call(document.querySelectorAll("details > noscript[data-lazy]"), function (holder) {
    var details = holder.parentNode;
    function open() {
      if (details.open && holder.parentNode) {
        details.removeEventListener("toggle", open);
        build(holder);
      }
    }
    details.addEventListener("toggle", open);
    open();
  });
})();
