// Progressive enhancement only: every page works without this file.
"use strict";
(function () {
  // Quick exit: leave for a neutral site and replace this page's history entry,
  // so the back button does not return here.
  var exit = document.getElementById("quick-exit");
  if (exit) {
    exit.addEventListener("click", function (event) {
      event.preventDefault();
      window.location.replace(exit.href);
    });
  }
  // Move focus to a fresh answer, so that a screen reader reads it first.
  var result = document.getElementById("result");
  if (result) {
    result.focus();
  }
})();
