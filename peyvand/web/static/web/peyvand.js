// Send the CSRF token with every htmx request (the token is in a meta tag, not a cookie read).
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
});
// "Select all" checkbox for bulk actions on list pages.
document.addEventListener("change", function (event) {
  if (event.target && event.target.matches("[data-select-all]")) {
    var name = event.target.getAttribute("data-select-all");
    document.querySelectorAll('input[name="' + name + '"]').forEach(function (box) { box.checked = event.target.checked; });
  }
});
