/* The page frame's script, loaded on every page right before mkdocs-material's bundle. The pages
   run under a Content-Security-Policy with no inline script (functions/chalicelib/headers.py), so
   what mkdocs-material writes inline is here:
   (1) __md_scope, __md_hash, __md_get and __md_set, its bundle's storage helpers, with the site's
   root from this element's data-scope (the page's relative base URL);
   (2) the menu: mkdocs-material's label for a hidden checkbox gives way to a real button
   (theme/overrides/partials/header.html), which opens and closes the drawer and says whether
   it is open. */
(() => {
  // biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not an ES module
  "use strict";
  const scope = new URL(document.currentScript.dataset.scope || ".", location);
  window.__md_scope = scope;
  window.__md_hash = (text) =>
    [...text].reduce((hash, char) => (hash << 5) - hash + char.charCodeAt(0), 0);
  window.__md_get = (key, storage = localStorage, base = scope) =>
    JSON.parse(storage.getItem(`${base.pathname}.${key}`));
  window.__md_set = (key, value, storage = localStorage, base = scope) => {
    try {
      storage.setItem(`${base.pathname}.${key}`, JSON.stringify(value));
    } catch (_) {
      /* storage full or disabled: mkdocs-material works without it */
    }
  };

  const label = document.querySelector('label.md-header__button[for="__drawer"]');
  const menu = document.querySelector("button.tthc-menu");
  const drawer = document.getElementById("__drawer");
  if (!label || !menu || !drawer) return;
  label.hidden = true;
  menu.hidden = false;
  const show = () => menu.setAttribute("aria-expanded", String(drawer.checked));
  menu.addEventListener("click", () => {
    drawer.checked = !drawer.checked;
    drawer.dispatchEvent(new Event("change", { bubbles: true }));
    show();
  });
  drawer.addEventListener("change", show);
})();
