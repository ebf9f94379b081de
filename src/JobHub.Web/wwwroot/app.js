// JobHub's small browser helpers.
window.jobhub = {
  // Called once the interactive circuit has rendered: tests and styles can tell prerendered markup apart.
  markInteractive: () => { document.body.dataset.circuit = 'on'; },
};
