// The palette the browser remembers (else the system's), before the first paint: loaded from <head> without defer.
// A file, not an inline script, so that the Content-Security-Policy allows scripts from the site's own files only.
(() => {
  try {
    const chosen = localStorage.getItem('jobhub-theme');
    if (chosen ? chosen === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches) {
      document.documentElement.classList.add(document.currentScript.dataset.darkClass);
    }
  } catch {
    // storage unavailable: the light palette until the circuit applies the system's
  }
})();
