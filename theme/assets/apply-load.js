/* Starts the application page's form: asks for its configuration (data-config, a script beside
   the page that sets window.applyConfig) and its script (data-entry: apply.js and every module it
   imports in one classic script, which the build writes), both named relative to the page, as
   soon as it runs (deferred: the page is parsed, its stylesheets already asked for), and runs
   them once the page has painted. Not run before the paint: Lighthouse counts every request that
   ended before the page's paints in its estimate of them, but not a script run after them. If
   either fails to load, the page says so (#ap-load-failed) instead of an empty form.

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
    for (const name of ["data-config", "data-entry"]) {
      const added = document.createElement("script");
      added.async = false; // run in this order
      added.src = new URL(script.getAttribute(name), document.baseURI).href;
      added.addEventListener("error", failed); // it could not be loaded
      document.body.appendChild(added);
    }
  }

  for (const name of ["data-config", "data-entry"]) {
    const link = document.createElement("link");
    link.rel = "preload";
    link.as = "script";
    link.href = new URL(script.getAttribute(name), document.baseURI).href;
    document.head.appendChild(link);
  }

  // Once the browser reports the first contentful paint; where it is not reported (an old
  // browser, a page opened in a background tab), after the next frame or at the latest in 1 s.
  const types = (window.PerformanceObserver && PerformanceObserver.supportedEntryTypes) || [];
  if (types.indexOf("paint") >= 0 && document.visibilityState === "visible") {
    const observer = new PerformanceObserver((list) => {
      if (list.getEntriesByName("first-contentful-paint").length) {
        observer.disconnect();
        run();
      }
    });
    observer.observe({ type: "paint", buffered: true });
  } else {
    requestAnimationFrame(() => setTimeout(run, 0));
  }
  setTimeout(run, 1000);
})();
