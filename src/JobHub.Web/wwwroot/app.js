// JobHub's small browser helpers.
window.jobhub = {
  // Called once the interactive circuit has rendered: tests and styles can tell prerendered markup apart.
  markInteractive: () => {
    document.body.dataset.circuit = 'on';
    jobhub.theme.label();
    jobhub.nav.sync();
  },
  // The person's time zone (IANA id), for times shown in it.
  timeZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone || null,
  // The light or dark palette: the person's last choice, kept in this browser, else the system's preference.
  // (The palette starts before the first paint: App.razor's head script sets html.jobhub-dark.)
  theme: {
    isDark: () => document.documentElement.classList.contains('jobhub-dark'),
    // The person's last choice, kept in this browser, else the system's preference.
    chosenDark: () => {
      try {
        const chosen = localStorage.getItem('jobhub-theme');
        if (chosen) {
          return chosen === 'dark';
        }
      } catch {
        // storage unavailable: the system's preference
      }
      return window.matchMedia('(prefers-color-scheme: dark)').matches;
    },
    remember: dark => {
      try { localStorage.setItem('jobhub-theme', dark ? 'dark' : 'light'); } catch { /* private mode: this page only */ }
      document.documentElement.classList.toggle('jobhub-dark', dark);
      jobhub.theme.label();
    },
    // The switch is named after the palette it switches to.
    label: () => {
      const button = document.getElementById('theme-toggle');
      if (button) {
        const label = jobhub.theme.isDark() ? button.dataset.labelLight : button.dataset.labelDark;
        button.setAttribute('aria-label', label);
        button.setAttribute('title', label);
      }
    },
  },
  // The navigation drawer, opened and closed in the browser alone (MainLayout; the classes are app.css's).
  nav: {
    overPage: () => window.matchMedia('(max-width: 959.98px)').matches,
    isOpen: () => jobhub.nav.overPage()
      ? document.documentElement.classList.contains('jobhub-nav-shown')
      : !document.documentElement.classList.contains('jobhub-nav-folded'),
    toggle: () => {
      document.documentElement.classList.toggle(jobhub.nav.overPage() ? 'jobhub-nav-shown' : 'jobhub-nav-folded');
      jobhub.nav.sync();
    },
    close: () => {
      document.documentElement.classList.remove('jobhub-nav-shown');
      // Focus left in the hidden drawer would fall to the page's start: it goes back to the menu button.
      const drawer = document.getElementById('nav-drawer');
      if (drawer && drawer.contains(document.activeElement)) {
        const button = document.getElementById('nav-toggle');
        if (button) {
          button.focus();
        }
      }
      jobhub.nav.sync();
    },
    sync: () => {
      const button = document.getElementById('nav-toggle');
      if (button) {
        button.setAttribute('aria-expanded', String(jobhub.nav.isOpen()));
      }
    },
  },
  // What the browser can tell of the file picked in a file input before anything is uploaded: a local address to show
  // it, its dimensions and, for a video, its duration. A file the browser cannot open (a format it does not play) has
  // no preview; the server still checks it by its content.
  preview: async inputId => {
    const file = jobhub.drops.files[inputId];
    if (!file) {
      return null;
    }
    const url = URL.createObjectURL(file);
    const video = file.type.startsWith('video/');
    try {
      const measured = await Promise.race([
        video ? jobhub.measureVideo(url) : jobhub.measureImage(url),
        new Promise((_, fail) => setTimeout(() => fail(new Error('timeout')), 8000)),
      ]);
      return { url, ...measured };
    } catch {
      URL.revokeObjectURL(url);
      return { url: null, width: 0, height: 0, duration: null };
    }
  },
  measureImage: async url => {
    const image = new Image();
    image.src = url;
    await image.decode();
    return { width: image.naturalWidth, height: image.naturalHeight, duration: null };
  },
  measureVideo: url => new Promise((done, fail) => {
    const video = document.createElement('video');
    video.preload = 'metadata';
    video.muted = true;
    video.onloadedmetadata = () => done({ width: video.videoWidth, height: video.videoHeight, duration: video.duration });
    video.onerror = () => fail(new Error('unreadable'));
    video.src = url;
  }),
  forget: url => { if (url && !jobhub.moving) URL.revokeObjectURL(url); },
  // The instance serving this page is stopping (OpenPages): the circuit is paused, which hands its state to this page,
  // and resumed on whichever instance answers next (through the proxy, another; without one, this one restarted). The
  // page, its typed values and its files stay; only a resume that fails reloads it. docs/decisions/0014.
  moving: false,
  move: () => {
    if (!jobhub.moving) {
      jobhub.moving = true;
      setTimeout(jobhub.moveNow, 0); // answered at once: the pause ends this call's circuit
    }
  },
  moveNow: async () => {
    document.body.dataset.circuit = 'moving'; // 'on' again once the resumed circuit has rendered (markInteractive)
    let paused = false;
    try {
      paused = await Blazor.pauseCircuit();
    } catch {
      // not paused: a reload comes back to the same view from its address
    }
    const started = Date.now();
    for (let wait = 250; ; wait = Math.min(wait * 2, 2000)) {
      try {
        if ((await fetch('/health/ready', { cache: 'no-store' })).ok) {
          break;
        }
      } catch {
        // no instance answers yet
      }
      if (Date.now() - started > 2000) {
        document.getElementById('components-reconnect-modal')?.showModal?.(); // a longer wait is said, in the page's language
      }
      await new Promise(done => setTimeout(done, wait));
    }
    let resumed = false;
    try {
      resumed = paused && await Blazor.resumeCircuit();
    } catch {
      // the instance that answered went away meanwhile: a reload finds the next
    }
    if (!resumed) {
      location.reload();
      return;
    }
    jobhub.moving = false;
  },
  // The drop zones' files and uploads, by file input id: a file is sent the moment it is chosen, also before the page is
  // interactive, whose render replaces the inputs; so they are kept here and handed to the zone that attaches (FileDrop).
  drops: {
    files: {},
    uploads: {},
    zones: {},
    serial: 0,
    describe: (file, serial) => ({ name: file.name, size: file.size, contentType: file.type || '', serial }),
    attach: (inputId, zone) => {
      jobhub.drops.zones[inputId] = zone;
      const drop = document.getElementById(inputId)?.closest('.jobhub-drop');
      if (drop && drop.dataset.picked === 'early') {
        drop.dataset.picked = 'yes';
      }
      const file = jobhub.drops.files[inputId];
      const upload = jobhub.drops.uploads[inputId];
      return file ? { file: jobhub.drops.describe(file, upload ? upload.serial : 0), sent: upload ? upload.sent : 0, answer: upload ? upload.answer : null } : null;
    },
    detach: inputId => {
      if (jobhub.moving) {
        return; // the circuit is moving: its new zones take these files (jobhub.move)
      }
      jobhub.drops.abandon(inputId);
      delete jobhub.drops.zones[inputId];
      delete jobhub.drops.files[inputId];
    },
    picked: input => {
      const file = input.files && input.files[0];
      if (!file) {
        return; // the chooser was closed without a choice: the file chosen before stays
      }
      jobhub.drops.files[input.id] = file;
      const serial = jobhub.drops.send(input, file);
      const zone = jobhub.drops.zones[input.id];
      if (zone) {
        zone.invokeMethodAsync('Picked', jobhub.drops.describe(file, serial)).catch(() => {});
      } else {
        // Not interactive yet: the zone says the file is kept (FileDrop's "kept" line), and takes it once attached.
        const drop = input.closest('.jobhub-drop');
        if (drop) {
          drop.dataset.picked = 'early';
        }
      }
    },
    // An upload given up (its file replaced, refused by the page's own checks, or the zone gone): a request under way is
    // aborted, which ends it on the server too (the part received is removed); a stored one is left to the unused-inputs sweep.
    abandon: inputId => {
      if (jobhub.moving) {
        return;
      }
      const upload = jobhub.drops.uploads[inputId];
      delete jobhub.drops.uploads[inputId];
      if (upload && !upload.answer) {
        upload.request.abort();
      }
    },
    // Starts sending the file as the request body, with the browser's own progress (at most ten reports a second) and the
    // endpoint's answer (UploadEndpoints' UploadAnswer) told to the zone; answers the upload's serial number, by which the
    // zone tells a replaced file's reports apart. A file the input's size limit refuses is not sent: the page says why.
    send: (input, file) => {
      jobhub.drops.abandon(input.id);
      const serial = ++jobhub.drops.serial;
      if (!input.dataset.upload || file.size <= 0 || file.size > Number(input.dataset.maxBytes || Infinity)) {
        return serial;
      }
      const request = new XMLHttpRequest();
      const upload = { serial, request, sent: 0, answer: null };
      jobhub.drops.uploads[input.id] = upload;
      const tell = (method, ...args) => {
        const zone = jobhub.drops.zones[input.id];
        if (zone && jobhub.drops.uploads[input.id] === upload) {
          zone.invokeMethodAsync(method, serial, ...args).catch(() => {});
        }
      };
      const done = answer => {
        if (!upload.answer) {
          upload.answer = answer;
          tell('Uploaded', answer);
        }
      };
      request.open('POST', `${input.dataset.upload}?name=${encodeURIComponent(file.name)}`);
      request.setRequestHeader('RequestVerificationToken', input.dataset.token || '');
      request.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
      let reported = 0;
      request.upload.onprogress = event => {
        upload.sent = event.loaded;
        const now = performance.now();
        if (now - reported >= 100 || event.loaded === event.total) {
          reported = now;
          tell('UploadProgress', event.loaded);
        }
      };
      request.onload = () => {
        let answer = null;
        try {
          answer = JSON.parse(request.responseText);
        } catch {
          // not JobHub's JSON (a proxy's page, or no session any more): said as such
        }
        const unanswered = { code: request.status === 401 ? 'USER_UNKNOWN' : 'UPLOAD_FAILED', message: `HTTP ${request.status}` };
        const wait = Number(request.getResponseHeader('Retry-After'));
        done({ uploadId: null, arguments: [], ...(answer || unanswered), retryAfter: wait > 0 ? wait : null });
      };
      request.onerror = request.ontimeout = () => done({ uploadId: null, code: 'UPLOAD_FAILED', arguments: [] });
      request.send(file);
      return serial;
    },
  },
  // Asked when a job is run (a click: browsers only ask then): may JobHub say when the job ends?
  askToNotify: () => {
    if ('Notification' in window && Notification.permission === 'default') {
      Notification.requestPermission().catch(() => {});
    }
  },
  // A job ended: a short tone, and a notification when the page is not in view and notifications are allowed.
  jobEnded: (title, body) => {
    try {
      const audio = new AudioContext();
      const tone = audio.createOscillator();
      const volume = audio.createGain();
      tone.frequency.value = 880;
      volume.gain.setValueAtTime(0.12, audio.currentTime);
      volume.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.5);
      tone.connect(volume).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.5);
      tone.onended = () => audio.close();
    } catch {
      // no sound where audio is not available
    }
    if ('Notification' in window && Notification.permission === 'granted' && document.visibilityState !== 'visible') {
      new Notification(title, { body, icon: '/favicon.svg' });
    }
  },
};

// A file chosen, dropped or pasted in a drop zone, from the first moment the page is shown (interactive or not).
document.addEventListener('change', event => {
  if (event.target instanceof HTMLInputElement && event.target.classList.contains('jobhub-drop-input')) {
    jobhub.drops.picked(event.target);
  }
}, true);

// An image pasted anywhere on a tool page goes into its first image input that is still empty (else its first), as if
// it had been chosen there: the page previews and checks it the same way.
document.addEventListener('paste', event => {
  const file = [...(event.clipboardData ? event.clipboardData.files : [])].find(f => f.type.startsWith('image/'));
  const inputs = [...document.querySelectorAll('input[type=file][data-paste]:not([disabled])')];
  const target = inputs.find(input => !jobhub.drops.files[input.id]) || inputs[0];
  if (!file || !target) {
    return;
  }
  event.preventDefault();
  const chosen = new DataTransfer();
  chosen.items.add(file);
  target.files = chosen.files;
  target.dispatchEvent(new Event('change', { bubbles: true }));
});

// The before/after comparison's zoom (1× to 6×) and pan, all in the browser: the buttons, Ctrl + wheel (a trackpad's
// pinch), and dragging the zoomed image. The server renders neither, so its updates never undo them. At 1× a drag on
// the image (mouse, pen or touch) moves the divider: the slider is set as if moved, so the server keeps the same split.
(() => {
  const Max = 6;
  const state = box => ({ zoom: Number(box.dataset.zoom || 1), x: Number(box.dataset.panX || 0), y: Number(box.dataset.panY || 0) });
  const apply = (box, zoom, x, y) => {
    zoom = Math.min(Max, Math.max(1, Math.round(zoom * 2) / 2));
    const stage = box.querySelector('.jobhub-compare-stage');
    const limitX = (stage.clientWidth * (zoom - 1)) / 2;
    const limitY = (stage.clientHeight * (zoom - 1)) / 2;
    x = Math.min(limitX, Math.max(-limitX, x));
    y = Math.min(limitY, Math.max(-limitY, y));
    Object.assign(box.dataset, { zoom, panX: x, panY: y });
    stage.style.transform = `translate(${x}px, ${y}px) scale(${zoom})`;
    const label = box.querySelector('.jobhub-zoom-level');
    if (label) {
      label.textContent = `${zoom}×`;
    }
  };
  document.addEventListener('click', event => {
    const button = event.target instanceof Element ? event.target.closest('[data-zoom-step]') : null;
    const box = button && button.closest('.jobhub-compare-box');
    if (box) {
      const { zoom, x, y } = state(box);
      const step = Number(button.dataset.zoomStep);
      apply(box, step === 0 ? 1 : zoom + step, step === 0 ? 0 : x, step === 0 ? 0 : y);
    }
  });
  document.addEventListener('wheel', event => {
    const box = event.ctrlKey && event.target instanceof Element ? event.target.closest('.jobhub-compare-box') : null;
    if (box) {
      event.preventDefault();
      const { zoom, x, y } = state(box);
      apply(box, zoom * (event.deltaY < 0 ? 1.25 : 0.8), x, y);
    }
  }, { passive: false });
  const split = (box, stage, clientX) => {
    const rect = stage.getBoundingClientRect();
    const value = Math.round(Math.min(100, Math.max(0, ((clientX - rect.left) / rect.width) * 100)));
    const slider = box.querySelector('input#compare-slider');
    box.querySelector('.jobhub-compare').style.setProperty('--split', `${value}%`);
    if (slider && Number(slider.value) !== value) {
      slider.value = value;
      slider.dispatchEvent(new Event('input', { bubbles: true }));
    }
  };
  let drag = null;
  let divider = null;
  document.addEventListener('pointerdown', event => {
    const stage = event.target instanceof Element ? event.target.closest('.jobhub-compare-stage') : null;
    const box = stage && stage.closest('.jobhub-compare-box');
    if (!box || event.button > 0) {
      return;
    }
    event.preventDefault();
    if (state(box).zoom > 1) {
      const { x, y } = state(box);
      drag = { box, startX: event.clientX - x, startY: event.clientY - y };
    } else {
      divider = { box, stage };
      stage.setPointerCapture(event.pointerId);
      split(box, stage, event.clientX);
    }
  });
  document.addEventListener('pointermove', event => {
    if (drag) {
      apply(drag.box, state(drag.box).zoom, event.clientX - drag.startX, event.clientY - drag.startY);
    } else if (divider) {
      split(divider.box, divider.stage, event.clientX);
    }
  });
  const end = () => { drag = null; divider = null; };
  document.addEventListener('pointerup', end);
  document.addEventListener('pointercancel', end);
})();

// A link must never lead nowhere: a click Blazor's router takes before it can render moves the address and shows nothing.
// So links to the account pages (static, they set the cookie), links marked data-full-load, and any link clicked before
// the circuit first rendered become ordinary navigations; once the circuit is up, the rest are Blazor's.
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
    Blazor.addEventListener('enhancedload', () => {
      document.documentElement.classList.toggle('jobhub-dark', jobhub.theme.chosenDark());
      jobhub.theme.label();
    });
  }
});

// The app bar's buttons and the drawer work before the circuit is up and cost it nothing (see MainLayout).
document.addEventListener('click', event => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) {
    return;
  }
  if (target.closest('[data-theme-toggle]')) {
    jobhub.theme.remember(!jobhub.theme.isDark());
  } else if (target.closest('[data-nav-toggle]')) {
    jobhub.nav.toggle();
  } else if (target.closest('[data-nav-close]') || (target.closest('#nav-drawer a') && jobhub.nav.overPage())) {
    jobhub.nav.close();
  } else if (target.closest('[data-copy]') && navigator.clipboard) {
    // A job id's copy button (JobIdLink): no inline handler, which the Content-Security-Policy would refuse.
    navigator.clipboard.writeText(target.closest('[data-copy]').dataset.copy);
  }
});
document.addEventListener('keydown', event => {
  if (event.key === 'Escape' && document.documentElement.classList.contains('jobhub-nav-shown')) {
    jobhub.nav.close();
  }
});
// The switches' labels in step with the palette and the drawer: for the page as served, and again once the circuit has
// drawn it (markInteractive).
jobhub.theme.label();
jobhub.nav.sync();
// Crossing the breakpoint changes what the menu button does and whether the drawer is open.
window.matchMedia('(max-width: 959.98px)').addEventListener('change', () => jobhub.nav.sync());

// Blazor's reconnect dialog (ReconnectModal). Blazor marks it with the state of the circuit's connection and says so in a
// components-reconnect-state-changed event (heard here while it goes down to the dialog: the page's body may be replaced).
// Try again and Resume ask Blazor once more; a circuit the server no longer has means a new page.
(() => {
  const modal = () => document.getElementById('components-reconnect-modal');
  const retry = async () => {
    document.removeEventListener('visibilitychange', retryWhenVisible);
    try {
      if (!await Blazor.reconnect()) {
        if (await Blazor.resumeCircuit()) {
          modal()?.close();
        } else {
          location.reload();
        }
      }
    } catch {
      document.addEventListener('visibilitychange', retryWhenVisible); // the server is still out of reach
    }
  };
  const retryWhenVisible = () => {
    if (document.visibilityState === 'visible') {
      retry();
    }
  };
  const resume = async () => {
    try {
      if (!await Blazor.resumeCircuit()) {
        location.reload();
      }
    } catch {
      modal()?.classList.replace('components-reconnect-paused', 'components-reconnect-resume-failed');
    }
  };
  document.addEventListener('components-reconnect-state-changed', event => {
    const dialog = event.target;
    const state = event.detail && event.detail.state;
    if (state === 'show' && !dialog.open && !jobhub.moving) {
      dialog.showModal(); // a move says nothing unless it takes long (jobhub.move)
    } else if (state === 'hide') {
      dialog.close();
    } else if (state === 'failed') {
      document.addEventListener('visibilitychange', retryWhenVisible);
    } else if (state === 'rejected') {
      location.reload();
    }
  }, true);
  document.addEventListener('click', event => {
    const target = event.target instanceof Element ? event.target : null;
    if (target?.closest('#components-reconnect-button')) {
      retry();
    } else if (target?.closest('#components-resume-button')) {
      resume();
    }
  });
})();
