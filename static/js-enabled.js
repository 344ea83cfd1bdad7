// Loaded first in <body>, before the page is drawn: tells the NHS.UK frontend's styles that
// JavaScript runs (a file, not an inline script, so the Content-Security-Policy can refuse those).
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " nhsuk-frontend-supported" : "");
