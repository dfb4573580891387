/* Search without a connection once the home page has loaded (issue 6). Registers the site's
   service worker (sw.js, network first), then has it keep the home page, its files and the
   search index: meta.json at once, every shard 3 s after the first search has shown its results
   (so those bytes never delay it), unless the phone asks to save data. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !("serviceWorker" in navigator) || !window.caches || !window.fetch) return;
  var site = new URL(script.getAttribute("data-site") || "./", location.href).href;
  var index = new URL(script.getAttribute("data-index") || "search/", location.href).href;
  var box = script.closest(".tthc-search") || document.body;
  var connection = navigator.connection || {};
  var thrifty = connection.saveData || /2g/.test(connection.effectiveType || "");
  var searched = new Promise(function (resolve) {
    // and a few quiet seconds after it
    document.addEventListener(
      "tthc-search-done",
      function () {
        setTimeout(resolve, 3000);
      },
      { once: true },
    );
  });

  function keep(urls) {
    // four at a time, through the service worker, which keeps each answer
    var i = 0;
    function next() {
      if (i >= urls.length) return null;
      return fetch(urls[i++])
        .catch(function () {
          return null;
        })
        .then(next);
    }
    return Promise.all([next(), next(), next(), next()]);
  }

  navigator.serviceWorker
    .register(site + "sw.js")
    .then(function () {
      if (navigator.serviceWorker.controller) return null;
      return new Promise(function (resolve) {
        // a first visit: wait until the worker takes over
        navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true });
      });
    })
    .then(function () {
      var here = [location.href].concat(
        performance
          .getEntriesByType("resource")
          .map(function (e) {
            return e.name;
          })
          .filter(function (url) {
            return url.indexOf(location.origin + "/") === 0;
          }),
      );
      return keep(here.concat([index + "meta.json"]));
    })
    .then(function () {
      box.setAttribute("data-offline", "trang");
      if (thrifty) return null;
      return Promise.all([
        searched,
        fetch(index + "meta.json").then(function (r) {
          return r.json();
        }),
      ])
        .then(function (both) {
          var meta = both[1];
          return keep(
            meta.shards
              .map(function (p) {
                return index + "t/" + p + ".json";
              })
              .concat(
                meta.body.map(function (p) {
                  return index + "b/" + p + ".json";
                }),
              ),
          );
        })
        .then(function () {
          box.setAttribute("data-offline", "tat-ca");
        });
    })
    .catch(function () {
      /* no offline copy: the site works as before */
    });
})();
