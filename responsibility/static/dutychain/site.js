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
})();
