/* A print button for pages made to be printed (the checklists, thu-tuc/<code>/in/). The pages run
   under a Content-Security-Policy with no inline handler, so the button is wired here: shown
   (it is hidden in the markup, for browsers without JavaScript, which read the hint beside it
   instead) and printing the page when pressed. */
(() => {
  // biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not an ES module
  "use strict";
  for (const button of document.querySelectorAll("button[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
    const hint = button.parentElement.querySelector("[data-print-hint]");
    if (hint) hint.hidden = true;
  }
})();
