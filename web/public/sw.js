// The offline page, and nothing else: navigations go to the network and, when it is gone, get the page
// that says so. No API answer, page or personal detail is ever cached here.
const CACHE = 'esimdesk-offline-v1';
const KEEP = ['/offline.html', '/offline.js', '/manifest.webmanifest', '/favicon.svg'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(KEEP)));
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  if (event.request.mode === 'navigate') {
    event.respondWith(fetch(event.request).catch(() => caches.match('/offline.html')));
    return;
  }
  // What the offline page itself needs (its script, the manifest, the icon) also comes from the cache offline.
  const url = new URL(event.request.url);
  if (url.origin === self.location.origin && KEEP.includes(url.pathname)) {
    event.respondWith(fetch(event.request).catch(() => caches.match(url.pathname)));
  }
});
