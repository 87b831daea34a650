// Stylesheets loaded without blocking the first paint (issue #14): a page
// links the parts of app.css it does not show at once with media="print"
// and data-async; once the page is parsed they apply to every medium. Pages
// read without JavaScript get the same sheets from <noscript> links.
"use strict";
for (const link of document.querySelectorAll("link[data-async]")) {
  link.media = "all";
}
