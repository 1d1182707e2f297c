// Progressive enhancement only: every page works without this file.
document.addEventListener("submit", function (e) {
  // Guard against double submission (double click, slow network).
  var form = e.target;
  if (form.dataset.sent) { e.preventDefault(); return; }
  form.dataset.sent = "1";
  setTimeout(function () { delete form.dataset.sent; }, 5000);
});
