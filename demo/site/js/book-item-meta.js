// Tells insitu which book this page is about (<meta name="insitu:item">), so its auto-captured
// page view counts as a view of that book. A classic script in <head>: it must run before insitu.js.
(function () {
  var id = new URLSearchParams(location.search).get('id');
  if (!id) return;
  var meta = document.createElement('meta');
  meta.name = 'insitu:item';
  meta.content = id;
  document.head.appendChild(meta);
})();
