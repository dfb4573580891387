/* Starts the application page's form: apply.js (data-entry, beside this script) and the page's
   configuration (data-config, a JSON file beside the page, which apply.js takes from
   window.applyConfig, a promise). The page preloads both and every module apply.js imports at
   low priority, so a slow connection waits for one round trip, not one per level of imports, and
   they do not hold up the page's first paint; apply.js is run once the page has painted (by then
   they are in or nearly). If any of it fails to load, the page says so (#ap-load-failed) instead
   of an empty form.

   A classic deferred script: the Content-Security-Policy allows no inline script. */
(() => {
  // biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not an ES module
  "use strict";
  const script = document.currentScript;
  let started = false;

  function failed() {
    const note = document.getElementById("ap-load-failed");
    if (note) note.hidden = false;
  }

  function run() {
    if (started) return;
    started = true;
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
  }

  // After the first contentful paint (the browser reports it); where it is not reported (an old
  // browser, a page opened in a background tab), after the next frame or at the latest in 1 s.
  const later = () => setTimeout(run, 0);
  const types = (window.PerformanceObserver && PerformanceObserver.supportedEntryTypes) || [];
  if (types.indexOf("paint") >= 0 && document.visibilityState === "visible") {
    const observer = new PerformanceObserver((list) => {
      if (list.getEntriesByName("first-contentful-paint").length) {
        observer.disconnect();
        later();
      }
    });
    observer.observe({ type: "paint", buffered: true });
  } else {
    requestAnimationFrame(later);
  }
  setTimeout(run, 1000);
})();
