// Replays the visitor's saved consent choice into the stub queue, so insitu starts with it.
// (The module pages pass it to createInsitu instead; see consent-choice.js.)
(function () {
  try {
    var saved = JSON.parse(localStorage.getItem('quire.consent') || 'null');
    if (saved && typeof saved === 'object') {
      var choice = {};
      ['personalization', 'metrics', 'sensitive'].forEach(function (purpose) {
        if (['granted', 'denied', 'pending'].indexOf(saved[purpose]) >= 0) choice[purpose] = saved[purpose];
      });
      window.insitu.consent(choice);
    }
  } catch (error) {
    // No saved choice readable: everything stays pending.
  }
})();
