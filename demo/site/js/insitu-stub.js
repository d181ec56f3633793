// The insitu stub, as pasted before the async script tag (like analytics.js): calls made before
// insitu.js loads are queued as [method, args, resolve, reject] and replayed in order, and every
// slot is revealed by its deadline even if insitu.js never arrives.
(function () {
  var insitu = (window.insitu = window.insitu || []);
  if (insitu.q) return;
  insitu.q = 1;
  insitu.t = Date.now();
  ['track', 'decide', 'consent', 'reward', 'explain', 'mute', 'unmute', 'exportData', 'forget', 'flush'].forEach(function (method) {
    insitu[method] = function () {
      var args = Array.prototype.slice.call(arguments);
      return new Promise(function (resolve, reject) {
        insitu.push([method, args, resolve, reject]);
      });
    };
  });
  // Anti-flicker applies to slots only: past the longest slot deadline, show whatever is there.
  var LONGEST_SLOT_DEADLINE_MS = 1000;
  setTimeout(function () {
    var slots = document.querySelectorAll('[data-insitu-slot]:not([data-insitu-ready])');
    for (var i = 0; i < slots.length; i++) slots[i].setAttribute('data-insitu-ready', '');
  }, LONGEST_SLOT_DEADLINE_MS);
})();
