/* Registers the site's service worker (/sw.js, scope "/") so the shell and recently read
 * pages stay readable offline. Loaded with `defer` by templates/base.html. */
if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => undefined);
  });
}
