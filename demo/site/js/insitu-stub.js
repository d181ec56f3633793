// The insitu stub from the README, served as a file because this site's CSP allows no inline
// script: calls made before insitu.js loads are queued and replayed in order.
(function(w){var q=w.insitu=w.insitu||[];if(q.q)return;q.q=1;q.t=Date.now();
'track decide consent reward explain mute unmute exportData deliverReports forget flush'.split(' ').forEach(function(m){
q[m]=function(){var a=[].slice.call(arguments);return new Promise(function(r,j){q.push([m,a,r,j])})}})})(window);
