// Progressive enhancement only: every page works without this file.
document.addEventListener("submit", function (e) {
  // Guard against double submission (double click, slow network).
  var form = e.target;
  if (form.dataset.sent) { e.preventDefault(); return; }
  form.dataset.sent = "1";
  setTimeout(function () { delete form.dataset.sent; }, 5000);
});

// Validation as you type: forms with data-check send their fields to that address (a short pause
// after the last key) and show the server's answer next to each field. The server checks again
// when the form is saved.
(function () {
  var form = document.querySelector("form[data-check]");
  if (!form || !window.fetch || !window.FormData) return;
  var timer = null, seq = 0;
  function show(problems) {
    var byField = {};
    problems.forEach(function (p) {
      var key = p.field.indexOf("indicators") === 0 ? "indicators" : p.field;
      (byField[key] = byField[key] || []).push(p.message);
    });
    form.querySelectorAll("[data-field]").forEach(function (box) {
      var key = box.getAttribute("data-field");
      var control = box.querySelector("input, select, textarea");
      var out = box.querySelector(".field-error");
      var messages = byField[key] || [];
      if (out) out.textContent = messages.join(" ");
      if (control) {
        if (messages.length) control.setAttribute("aria-invalid", "true"); else control.removeAttribute("aria-invalid");
      }
    });
    var live = document.getElementById("live-problems");
    if (live) {
      live.innerHTML = "";
      var p = document.createElement("p");
      p.className = problems.length ? "flash error" : "flash";
      p.textContent = problems.length ? "Còn " + problems.length + " lỗi cần sửa trước khi lưu." : "Không có lỗi.";
      live.appendChild(p);
    }
  }
  function check() {
    var mine = ++seq;
    var token = form.querySelector("input[name=_csrf]");
    fetch(form.getAttribute("data-check"), {
      method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin",
      headers: { "X-CSRF-Token": token ? token.value : "" }
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (problems) { if (problems && mine === seq) show(problems); })
      .catch(function () {});
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  });
})();

// Print buttons (the page's print stylesheet does the layout).
document.addEventListener("click", function (e) {
  if (e.target && e.target.hasAttribute && e.target.hasAttribute("data-print")) window.print();
});

// Confirmation before anything irreversible (forms with data-confirm). Without script the
// server still refuses what is not allowed; the question is a courtesy against slips.
document.addEventListener("submit", function (e) {
  var form = e.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    e.preventDefault();
    e.stopImmediatePropagation();
    delete form.dataset.sent;
  }
}, true);

// Long work (forms with data-busy): the button says what is happening until the page answers.
document.addEventListener("submit", function (e) {
  var form = e.target;
  var text = form.getAttribute && form.getAttribute("data-busy");
  if (!text || e.defaultPrevented) return;
  var button = form.querySelector("button");
  if (button) { button.disabled = true; button.textContent = text; }
  form.setAttribute("aria-busy", "true");
});
