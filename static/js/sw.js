/* Service worker: the site's shell and recently read pages stay readable offline.
 *
 * Served at /sw.js by collaboration.views.service_worker, which prepends
 *   const VERSION = "...";  const SHELL = ["/static/css/site.css", ...];
 * (the shell's real, possibly hashed URLs), so a deploy that changes them installs anew.
 *
 * - /static/: cache first (file names change when their content does in production).
 * - Pages (navigations): network first; a good answer is cached; offline, the cached copy.
 * - Never cached: the API, admin, accounts pages, sockets, redirects and errors.
 * - Logging out clears the cached pages (they show the signed-in user's view).
 */
/* global VERSION, SHELL */

const STATIC_CACHE = `learnai-static-${typeof VERSION === "string" ? VERSION : "dev"}`;
const PAGE_CACHE = "learnai-pages-v1";
const MAX_PAGES = 40;
const NETWORK_TIMEOUT_MS = 6000;
const NEVER_CACHED = /^\/(api|admin|accounts|ws|metrics|healthz|readyz)(\/|$)|^\/sw\.js$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(STATIC_CACHE);
      const shell = typeof SHELL !== "undefined" && Array.isArray(SHELL) ? SHELL : [];
      // One missing file must not stop the worker from installing.
      await Promise.all(shell.map((url) => cache.add(url).catch(() => undefined)));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith("learnai-static-") && name !== STATIC_CACHE)
          .map((name) => caches.delete(name)),
      );
      await self.clients.claim();
    })(),
  );
});

async function trimPages() {
  const cache = await caches.open(PAGE_CACHE);
  const keys = await cache.keys();
  await Promise.all(
    keys.slice(0, Math.max(0, keys.length - MAX_PAGES)).map((k) => cache.delete(k)),
  );
}

function cacheable(response) {
  return response && response.ok && response.type === "basic" && !response.redirected;
}

async function staticFirst(request) {
  const cache = await caches.open(STATIC_CACHE);
  const hit = await cache.match(request, { ignoreSearch: true });
  if (hit) return hit;
  const response = await fetch(request);
  if (cacheable(response)) cache.put(request, response.clone()).catch(() => undefined);
  return response;
}

function offlinePage() {
  const css = (typeof SHELL !== "undefined" && SHELL[0]) || "/static/css/site.css";
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Offline</title>
<link rel="stylesheet" href="${css}"></head>
<body><main class="container"><section class="card narrow"><h1>You are offline</h1>
<p>This page has not been saved for offline reading yet. Pages you opened recently are
available; try again when you are back online.</p><p><a href="/">Home</a></p>
</section></main></body></html>`;
  return new Response(html, {
    status: 503,
    headers: { "Content-Type": "text/html; charset=utf-8" },
  });
}

async function pageNetworkFirst(event) {
  const request = event.request;
  const cache = await caches.open(PAGE_CACHE);
  const network = fetch(request).then((response) => {
    if (cacheable(response)) {
      event.waitUntil(
        cache
          .put(request, response.clone())
          .then(trimPages)
          .catch(() => undefined),
      );
    }
    return response;
  });
  const cached = await cache.match(request, { ignoreVary: true });
  if (!cached) {
    try {
      return await network;
    } catch {
      return offlinePage();
    }
  }
  // A cached copy exists: use it if the network fails or hangs.
  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), NETWORK_TIMEOUT_MS));
  try {
    const response = await Promise.race([network, timeout]);
    return response ?? cached;
  } catch {
    return cached;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  if (request.method !== "GET") {
    if (request.method === "POST" && url.pathname.startsWith("/accounts/logout")) {
      event.waitUntil(caches.delete(PAGE_CACHE));
    }
    return; // the network, as usual
  }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticFirst(request));
    return;
  }
  if (request.mode === "navigate" && !NEVER_CACHED.test(url.pathname)) {
    event.respondWith(pageNetworkFirst(event));
  }
});
