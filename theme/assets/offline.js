/* Search without a connection once the home page has loaded (issue 6). Registers the site's
   service worker (sw.js, network first), then has it keep the home page, its files and the
   search index: meta.json at once, every shard 3 s after the first search has shown its results
   (so those bytes never delay it), unless the phone asks to save data. */
(() => {
  // biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not an ES module
  "use strict";
  const script = document.currentScript;
  if (!script || !("serviceWorker" in navigator) || !window.caches || !window.fetch) return;
  const site = new URL(script.getAttribute("data-site") || "./", location.href).href;
  const index = new URL(script.getAttribute("data-index") || "search/", location.href).href;
  const box = script.closest(".tthc-search") || document.body;
  const connection = navigator.connection || {};
  const thrifty = connection.saveData || /2g/.test(connection.effectiveType || "");
  const searched = new Promise((resolve) => {
    // and a few quiet seconds after it
    document.addEventListener(
      "tthc-search-done",
      () => {
        setTimeout(resolve, 3000);
      },
      { once: true },
    );
  });

  function keep(urls) {
    // four at a time, through the service worker, which keeps each answer
    let i = 0;
    function next() {
      if (i >= urls.length) return null;
      return fetch(urls[i++])
        .catch(() => null)
        .then(next);
    }
    return Promise.all([next(), next(), next(), next()]);
  }

  navigator.serviceWorker
    .register(`${site}sw.js`)
    .then(() => {
      if (navigator.serviceWorker.controller) return null;
      return new Promise((resolve) => {
        // a first visit: wait until the worker takes over
        navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true });
      });
    })
    .then(() => {
      const here = [location.href].concat(
        performance
          .getEntriesByType("resource")
          .map((e) => e.name)
          .filter((url) => url.indexOf(`${location.origin}/`) === 0),
      );
      return keep(here.concat([`${index}meta.json`]));
    })
    .then(() => {
      box.setAttribute("data-offline", "trang");
      if (thrifty) return null;
      return Promise.all([searched, fetch(`${index}meta.json`).then((r) => r.json())])
        .then((both) => {
          const meta = both[1];
          return keep(
            meta.shards
              .map((p) => `${index}t/${p}.json`)
              .concat(meta.body.map((p) => `${index}b/${p}.json`)),
          );
        })
        .then(() => {
          box.setAttribute("data-offline", "tat-ca");
        });
    })
    .catch(() => {
      /* no offline copy: the site works as before */
    });
})();
