/* Loads the application page's modules (apply.js and every module it imports, named in this
   script's data-modules) and its configuration (data-config, a JSON file beside the page) so
   that they never compete with the page's first paint, and the form is usable as soon as they
   are in: everything is asked for at once when the page is parsed, at low priority (after the
   style sheets and the font), each module a modulepreload (so the imports cost one round trip,
   not one per level), and apply.js is run once the page has painted. apply.js takes the
   configuration from window.applyConfig (a promise). If any of it fails to load, the page says
   so (#ap-load-failed).

   Why not <script type="module"> and <link rel="modulepreload"> in the page: they are fetched at
   high priority and run before the first paint, and Lighthouse's simulation of a slow phone
   counts every one against the first paint (bench/README.md, "the application page's first
   paint"); the Nu HTML validator the tests run does not know the fetchpriority attribute.

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

  function fetchAll() {
    window.applyConfig = fetch(new URL(script.getAttribute("data-config"), document.baseURI)).then(
      (response) => {
        if (!response.ok) throw new Error(`${response.status}`);
        return response.json();
      },
    );
    window.applyConfig.catch(failed);
    for (const name of [...names, script.getAttribute("data-entry")]) {
      const link = document.createElement("link");
      link.rel = "modulepreload";
      link.fetchPriority = "low";
      link.href = new URL(name, script.src).href;
      // Gone once fetched (the module stays loaded): the markup after the scripts ran stays
      // valid for the Nu validator (tests/browser/test_markup.py).
      link.addEventListener("load", () => link.remove());
      link.addEventListener("error", () => link.remove());
      document.head.appendChild(link);
    }
  }

  function run() {
    if (started) return;
    started = true;
    const entry = document.createElement("script");
    entry.type = "module"; // already fetched (preloaded): no priority of its own
    entry.src = new URL(script.getAttribute("data-entry"), script.src).href;
    entry.addEventListener("error", failed);
    document.body.appendChild(entry);
  }

  fetchAll();
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
