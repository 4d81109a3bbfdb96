// The sales dashboard: charts for the sections htmx loads, and the period chooser.
(function () {
  "use strict";

  function draw(box) {
    if (box.dataset.drawn || typeof window.Chart === "undefined") return;
    var source = box.querySelector('script[type="application/json"]');
    var canvas = box.querySelector("canvas");
    if (!source || !canvas) return;
    var spec = JSON.parse(source.textContent);
    box.dataset.drawn = "1";
    var datasets = spec.datasets.map(function (set) {
      return {
        label: set.label,
        data: set.data,
        backgroundColor: set.colours || set.colour,
        borderColor: set.colours || set.colour,
        borderWidth: 1,
      };
    });
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: spec.horizontal ? "y" : "x",
        plugins: { legend: { display: datasets.length > 1 } },
        scales: {
          x: { stacked: !!spec.stacked, beginAtZero: true },
          y: { stacked: !!spec.stacked, beginAtZero: true },
        },
      },
    });
  }

  function drawAll(root) {
    root = root || document;
    if (root.matches && root.matches("[data-chart]")) draw(root);
    root.querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("htmx:load", function (event) {
    drawAll(event.target);
  });
  window.addEventListener("load", function () {
    drawAll(document);
  });

  document.addEventListener("change", function (event) {
    var select = event.target.closest("[data-period]");
    if (!select) return;
    var form = select.form;
    var custom = select.value === "custom";
    form.querySelectorAll(".period-custom").forEach(function (field) {
      field.hidden = !custom;
    });
    if (!custom) form.requestSubmit();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector("[data-period]");
    if (!select) return;
    document.querySelectorAll(".period-custom").forEach(function (field) {
      field.hidden = select.value !== "custom";
    });
  });
})();
