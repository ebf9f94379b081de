// JobHub's small browser helpers.
window.jobhub = {
  // Called once the interactive circuit has rendered: tests and styles can tell prerendered markup apart.
  markInteractive: () => { document.body.dataset.circuit = 'on'; },
};

// The account pages (sign-in, sign-up) are static: they set the cookie on a plain HTTP response. A link to them
// must load them as a new document. Left to Blazor, a click made while the circuit is still starting (or
// reconnecting) goes to the interactive router, which moves the address but may never render anything: the
// click "leads nowhere". So such clicks are taken before Blazor sees them and become ordinary navigations.
window.addEventListener('click', event => {
  if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.shiftKey || event.altKey || event.metaKey) {
    return;
  }
  const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
  if (!link || (link.target && link.target !== '_self') || link.hasAttribute('download')) {
    return;
  }
  const url = new URL(link.href, document.baseURI);
  if (url.origin === location.origin && url.pathname.startsWith('/account/')) {
    event.preventDefault();
    location.assign(url.href);
  }
}, true);
