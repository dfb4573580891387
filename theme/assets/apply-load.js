/* Starts the application page's form: apply.js (data-entry, beside this script) and the page's
   configuration (data-config, a JSON file beside the page, which apply.js takes from
   window.applyConfig, a promise). The page preloads both and every module apply.js imports, so
   a slow connection waits for one round trip, not one per level of imports, and they are in by
   the time this deferred script runs. If any of it fails to load, the page says so
   (#ap-load-failed) instead of an empty form.

   A classic deferred script: the Content-Security-Policy allows no inline script. */
(() => {
  // biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not an ES module
  "use strict";
  const script = document.currentScript;

  function failed() {
    const note = document.getElementById("ap-load-failed");
    if (note) note.hidden = false;
  }

  window.applyConfig = fetch(new URL(script.getAttribute("data-config"), document.baseURI)).then(
    (response) => {
      if (!response.ok) throw new Error(`${response.status}`);
      return response.json();
    },
  );
  window.applyConfig.catch(failed);
  const entry = document.createElement("script");
  entry.type = "module"; // a module that fails to load, or one it imports, fires "error"
  entry.src = new URL(script.getAttribute("data-entry"), script.src).href;
  entry.addEventListener("error", failed);
  document.body.appendChild(entry);
})();
