// Calls a site makes before the SDK file has loaded: the stub must keep them, in order.
window.violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
window.insitu.consent({ personalization: 'granted' });
window.insitu.track('view', { itemId: 'dune' });
window.insitu.track('click', { itemId: 'emma' });
window.earlyDecision = window.insitu.decide('hero', { candidates: ['dune', 'emma', 'hobbit'] });
