/* Starts the application page's form: its script (data-entry: apply.js and every module it
   imports in one file, which the build writes) and its configuration (data-config, a JSON file
   beside the page, which apply.js takes from window.applyConfig, a promise), both named relative
   to the page. Both are asked for at once, and only once the page has painted: then they do not
   compete with its style sheets and font, and Lighthouse does not count them in its estimate of
   the page's paints (it counts every request that ended before them). If either fails to load,
   the page says so (#ap-load-failed) instead of an empty form.

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
    entry.type = "module"; // one that fails to load fires "error"
    entry.src = new URL(script.getAttribute("data-entry"), document.baseURI).href;
    entry.addEventListener("error", failed);
    document.body.appendChild(entry);
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
