// The stub snippet from the README, as a file (a strict CSP forbids inline scripts).
(function (w) {
  var q = (w.insitu = w.insitu || []);
  if (q.q) return;
  q.q = 1;
  q.t = Date.now();
  'track decide consent reward explain mute unmute exportData deliverReports forget flush'.split(' ').forEach(function (m) {
    q[m] = function () {
      var a = [].slice.call(arguments);
      return new Promise(function (r, j) { q.push([m, a, r, j]); });
    };
  });
})(window);
