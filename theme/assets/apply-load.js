/* Starts the application page's modules (apply.js and every module it imports, named in this
   script's data-modules) and fetches the page's configuration (data-config, a JSON file beside
   the page) once the page has painted, so they never compete with its first paint: on a slow
   phone the page's text shows first, then its form becomes usable. Everything is asked for at
   once (modulepreload), so the imports cost one round trip, not one per level. apply.js takes
   the configuration from window.applyConfig (a promise). If any of it fails to load, the page
   says so (#ap-load-failed).

   Why not <script type="module"> in the page: its modules are fetched at high priority before the
   first paint and run before it, and Lighthouse's simulation of a slow phone then counts all of
   them against the first paint (bench/README.md, "the application page's first paint").

   A classic deferred script: the Content-Security-Policy allows no inline script. */
(() => {
  // biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not an ES module
  "use strict";
  const script = document.currentScript;
  const names = (script.getAttribute("data-modules") || "").split(" ").filter(Boolean);
  let started = false;

  function failed() {
    const note = document.getElementById("ap-load-failed");
    if (note) note.hidden = false;
  }

  function load() {
    if (started) return;
    started = true;
    window.applyConfig = fetch(new URL(script.getAttribute("data-config"), document.baseURI)).then(
      (response) => {
        if (!response.ok) throw new Error(`${response.status}`);
        return response.json();
      },
    );
    window.applyConfig.catch(failed);
    for (const name of names) {
      const link = document.createElement("link");
      link.rel = "modulepreload";
      link.href = new URL(name, script.src).href;
      document.head.appendChild(link);
    }
    const entry = document.createElement("script");
    entry.type = "module";
    entry.src = new URL(script.getAttribute("data-entry"), script.src).href;
    entry.addEventListener("error", failed);
    document.body.appendChild(entry);
  }

  // After the first contentful paint (the browser reports it); where it is not reported (an old
  // browser, a page opened in a background tab), after the next frame or at the latest in 2 s.
  const later = () => setTimeout(load, 0);
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
  setTimeout(load, 2000);
})();
