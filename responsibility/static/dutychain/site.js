// Small progressive enhancements; every page works without it.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });

  // Measure rows: show the statutory hint for the chosen kind, require what the kind needs.
  var needs = document.getElementById("measure-needs");
  if (needs) {
    var table = JSON.parse(needs.textContent);
    document.querySelectorAll(".measure-row").forEach(function (row) {
      var kind = row.querySelector("select[name$='-kind']");
      var amount = row.querySelector("input[name$='-amount_yuan']");
      var article = row.querySelector("select[name$='-article']");
      function sync() {
        var need = table[kind.value] || {};
        if (amount) { amount.required = !!need.amount; }
        if (article) { article.required = !!need.article; }
      }
      if (kind) { kind.addEventListener("change", sync); sync(); }
    });
  }

  // A finding other than 负有责任 takes no measures: grey them out.
  var finding = document.querySelector("select[name='finding']");
  var measures = document.getElementById("measures");
  if (finding && measures) {
    var toggle = function () {
      var on = finding.value === "responsible";
      measures.style.opacity = on ? "1" : ".45";
      measures.querySelectorAll("select, input").forEach(function (el) { el.disabled = !on; });
    };
    finding.addEventListener("change", toggle);
    toggle();
  }

  // Autocomplete by name: inputs marked data-pick fill their datalist from /lookup/<kind>/ (the user's scope).
  document.querySelectorAll("input[data-pick]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    if (!list) { return; }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (!q) { return; }
      timer = setTimeout(function () {
        var url = "/lookup/" + input.dataset.pick + "/?q=" + encodeURIComponent(q);
        var enterprise = input.dataset.enterprise ||
          (input.form && input.form.elements.enterprise && input.form.elements.enterprise.value);
        if (enterprise && input.dataset.pick !== "enterprises") { url += "&enterprise=" + encodeURIComponent(enterprise); }
        fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : { results: [] }; })
          .then(function (data) {
            list.innerHTML = "";
            data.results.forEach(function (row) {
              var option = document.createElement("option");
              option.value = row.code;
              option.label = row.label + "（" + row.code + "）";
              list.appendChild(option);
            });
          });
      }, 200);
    });
  });
})();
