// Enhancement only: every page works without this file.
// htmx sends the session's CSRF token with its requests (the token is in every form).
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.querySelector("input[name=csrf_token]");
  if (token) { event.detail.headers["X-CSRF-Token"] = token.value; }
});
// The error summary takes focus when a form comes back refused, as GOV.UK does, so a
// screen reader reads it first and the keyboard starts there.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-testid=error-summary]");
  if (summary) { summary.focus(); }
});
