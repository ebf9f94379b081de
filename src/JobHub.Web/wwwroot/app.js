// JobHub's small browser helpers.
window.jobhub = {
  // Called once the interactive circuit has rendered: tests and styles can tell prerendered markup apart.
  markInteractive: () => { document.body.dataset.circuit = 'on'; },
  // The person's time zone (IANA id), for times shown in it.
  timeZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone || null,
  // The light or dark palette: the person's last choice, kept in this browser, else the system's preference.
  theme: {
    isDark: () => {
      const chosen = localStorage.getItem('jobhub-theme');
      return chosen ? chosen === 'dark' : window.matchMedia('(prefers-color-scheme: dark)').matches;
    },
    remember: dark => {
      localStorage.setItem('jobhub-theme', dark ? 'dark' : 'light');
      document.documentElement.classList.toggle('jobhub-dark', dark);
    },
  },
};

// A link must never "lead nowhere". Left to Blazor, a click made while the page's circuit is still starting (or on a
// link to a static page) can reach the interactive router before it can render, which moves the address and renders
// nothing. So, taken before Blazor sees them, these clicks become ordinary navigations (a new document):
// - every link to the account pages (sign-in, sign-up: static pages that set the cookie on a plain HTTP response);
// - every link marked data-full-load (a page that is not Blazor's, such as Hangfire's dashboard);
// - every link clicked before this page's circuit has rendered once (what a browser without Blazor would do).
// Once the circuit is up, other links are Blazor's (fast in-page navigation).
window.addEventListener('click', event => {
  if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.shiftKey || event.altKey || event.metaKey) {
    return;
  }
  const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
  if (!link || (link.target && link.target !== '_self') || link.hasAttribute('download')) {
    return;
  }
  const url = new URL(link.href, document.baseURI);
  if (url.origin !== location.origin || (url.pathname === location.pathname && url.search === location.search && url.hash)) {
    return;
  }
  if (url.pathname.startsWith('/account/') || link.hasAttribute('data-full-load') || document.body.dataset.circuit !== 'on') {
    event.preventDefault();
    location.assign(url.href);
  }
}, true);

// A static page loaded by enhanced navigation gets its <html> from the server: keep the palette's class on it.
window.addEventListener('load', () => {
  if (window.Blazor && Blazor.addEventListener) {
    Blazor.addEventListener('enhancedload', () => document.documentElement.classList.toggle('jobhub-dark', jobhub.theme.isDark()));
  }
});
