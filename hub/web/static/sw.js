// The handheld's service worker: keeps the page and its files so that it loads without
// network. Network first (a fresh copy whenever the hub answers), the cache when not.
// The API is never cached or answered here: scans wait in the page's IndexedDB queue.
const VERSION = "__VERSION__";
const CACHE = `stockwarden-handheld-${VERSION}`;
const URLS = __URLS__;
const NETWORK_WAIT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((cache) => cache.addAll(URLS.map((url) => new Request(url, { cache: "reload" }))))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys
      .filter((key) => key.startsWith("stockwarden-handheld-") && key !== CACHE)
      .map((key) => caches.delete(key))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!URLS.includes(url.pathname)) return;
  event.respondWith(networkFirst(event.request, url.pathname));
});

function timeout(ms) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error("slow network")), ms));
}

async function networkFirst(request, path) {
  const cache = await caches.open(CACHE);
  try {
    const response = await Promise.race([fetch(request), timeout(NETWORK_WAIT_MS)]);
    if (response.ok) await cache.put(path, response.clone());
    return response;
  } catch (err) {
    const cached = await cache.match(path);
    if (!cached) throw err;
    // Marked, so that an operator (or a test) can tell the copy from the hub's answer.
    const headers = new Headers(cached.headers);
    headers.set("X-Stockwarden-Offline-Copy", VERSION);
    return new Response(cached.body, { status: cached.status, statusText: cached.statusText, headers });
  }
}
