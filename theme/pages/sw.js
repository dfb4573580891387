/* The site's service worker: keeps a copy of what the site has shown, so search (and the pages
   already read) work without a connection once loaded (issue 6). Network first: online, every
   request goes to the server as if this file did not exist, and a copy of the answer is kept;
   offline, the copy answers. The API and the open-data downloads are never kept. Registered by
   assets/offline.js on the home page. */
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not an ES module
"use strict";

const CACHE = "motcua-1";
const SKIP = /\/(api|du-lieu-mo)\//;
const OFFLINE =
  '<!doctype html><html lang="vi"><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width,initial-scale=1"><title>Không có mạng</title>' +
  '<main style="font-family:sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem">' +
  "<h1>Không có kết nối mạng</h1><p>Trang này chưa được lưu trên thiết bị. Tìm kiếm thủ tục và " +
  'các trang đã xem vẫn dùng được; hãy thử lại khi có mạng.</p><p><a href="/">Về trang chủ</a></p></main>';

self.addEventListener("install", () => {
  self.skipWaiting();
});
self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});
self.addEventListener("fetch", (event) => {
  const request = event.request,
    url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || SKIP.test(url.pathname))
    return;
  event.respondWith(
    fetch(request).then(
      (response) => {
        if (response.ok && response.type === "basic") {
          const copy = response.clone();
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(request, copy)));
        }
        return response;
      },
      () =>
        caches.match(request).then((hit) => {
          if (hit) return hit;
          if (request.mode !== "navigate") return Response.error();
          return new Response(OFFLINE, {
            status: 503,
            headers: { "Content-Type": "text/html; charset=utf-8" },
          });
        }),
    ),
  );
});
