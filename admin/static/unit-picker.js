// The unit picker (admin/templates/unit_picker.html): suggestions while typing, from the
// official's own units; a pick chooses the unit and sends the filter. Without this script
// the form still works: the typed text is matched on the server.
(function () {
  "use strict";
  function setUp(box) {
    var input = box.querySelector(".unit-search");
    var list = box.querySelector(".suggestions");
    var form = input.form;
    var select = form.querySelector(".unit-select");
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
    }

    function pick(unit) {
      var option = Array.prototype.find.call(select.options, function (o) {
        return o.value === String(unit.id);
      });
      if (!option) {
        option = new Option(unit.label, String(unit.id));
        select.add(option);
      }
      select.value = String(unit.id);
      input.value = "";
      close();
      form.submit();
    }

    function show(units) {
      list.textContent = "";
      units.forEach(function (unit, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.id = "unit-option-" + unit.id;
        li.dataset.id = String(unit.id);
        li.textContent = unit.label;
        li.setAttribute("aria-selected", i === 0 ? "true" : "false");
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();
          pick(unit);
        });
        list.appendChild(li);
      });
      list.hidden = units.length === 0;
      input.setAttribute("aria-expanded", units.length ? "true" : "false");
      box.units = units;
    }

    function ask() {
      var typed = input.value.trim();
      if (typed.length < 2) {
        show([]);
        return;
      }
      var mine = ++asked;
      fetch(box.dataset.source + "?q=" + encodeURIComponent(typed), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {units: []}; })
        .then(function (data) { if (mine === asked) { show(data.units); } })
        .catch(function () { show([]); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener("keydown", function (event) {
      var items = Array.prototype.slice.call(list.children);
      var at = items.findIndex(function (li) { return li.getAttribute("aria-selected") === "true"; });
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!items.length) { return; }
        var next = (at + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
        items.forEach(function (li, i) { li.setAttribute("aria-selected", i === next ? "true" : "false"); });
        input.setAttribute("aria-activedescendant", items[next].id);
      } else if (event.key === "Enter" && !list.hidden && box.units && at >= 0) {
        event.preventDefault();
        pick(box.units[at]);
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", close);
  }
  document.querySelectorAll(".unit-picker").forEach(setUp);
})();
