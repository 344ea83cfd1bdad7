/* Draws each <canvas data-chart="ID"> from the JSON in <script id="ID"> beside it, with the
   vendored Chart.js. Every chart has its figures in a table on the page (or one click away), and
   tells its series apart by line style and marker shape as well as colour. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var BLUE = "#005eb8", GREY = "#4c6272", DARK = "#212b32", WARM = "#ae2573";
  Chart.defaults.font.family = "Frutiger W01, Arial, sans-serif";
  Chart.defaults.color = DARK;
  Chart.defaults.animation = false;

  function pounds(value) {
    var abs = Math.abs(value), sign = value < 0 ? "-" : "";
    if (abs >= 1e6) { return sign + "£" + (abs / 1e6).toLocaleString("en-GB", {maximumFractionDigits: 1}) + "m"; }
    if (abs >= 1e3) { return sign + "£" + (abs / 1e3).toLocaleString("en-GB", {maximumFractionDigits: 0}) + "k"; }
    return sign + "£" + abs.toLocaleString("en-GB");
  }
  function poundsExact(value) { return (value < 0 ? "-£" : "£") + Math.abs(value).toLocaleString("en-GB"); }

  var builders = {
    cumulative: function (data) {
      var forecast = data.labels.map(function (_, i) { return i === 11 ? data.forecast : null; });
      return {
        type: "line",
        data: {
          labels: data.labels,
          datasets: [
            {label: "Budget profile (cumulative)", data: data.profile, borderColor: GREY,
             borderDash: [6, 4], pointRadius: 0, borderWidth: 2, fill: false},
            {label: "Actual (cumulative)", data: data.actual, borderColor: BLUE,
             backgroundColor: BLUE, pointStyle: "circle", pointRadius: 3, borderWidth: 3, fill: false},
            {label: "Forecast outturn", data: forecast, borderColor: WARM, backgroundColor: WARM,
             pointStyle: "triangle", pointRadius: 7, showLine: false}
          ]
        },
        options: {
          responsive: true, maintainAspectRatio: false,
          interaction: {mode: "index", intersect: false},
          scales: {y: {beginAtZero: true, ticks: {callback: pounds}}},
          plugins: {
            legend: {labels: {usePointStyle: true}},
            tooltip: {callbacks: {label: function (c) {
              return c.raw === null ? null : c.dataset.label + ": " + poundsExact(c.raw);
            }}}
          }
        }
      };
    },
    monthly: function (data) {
      return {
        type: "bar",
        data: {labels: data.labels, datasets: [
          {label: "Actual in the month", data: data.actual, backgroundColor: BLUE}
        ]},
        options: {
          responsive: true, maintainAspectRatio: false,
          scales: {y: {beginAtZero: true, ticks: {callback: pounds}}},
          plugins: {tooltip: {callbacks: {label: function (c) { return c.dataset.label + ": " + poundsExact(c.raw); }}}}
        }
      };
    },
    change: function (data) {
      // Percentage change by area; comparators are hatched grey and named "(comparator)".
      return {
        type: "bar",
        data: {labels: data.labels, datasets: [{
          label: "Change (%)", data: data.values,
          backgroundColor: data.comparator.map(function (c) { return c ? GREY : BLUE; }),
          borderColor: data.comparator.map(function (c) { return c ? DARK : BLUE; }),
          borderWidth: data.comparator.map(function (c) { return c ? 2 : 0; }),
          borderDash: [4, 2]
        }]},
        options: {
          indexAxis: "y", responsive: true, maintainAspectRatio: false,
          scales: {x: {ticks: {callback: function (v) { return (v > 0 ? "+" : "") + v + "%"; }}}},
          plugins: {legend: {display: false}, tooltip: {callbacks: {label: function (c) {
            return (c.raw > 0 ? "+" : "") + c.raw + "%";
          }}}}
        }
      };
    }
  };

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    var build = builders[canvas.getAttribute("data-chart-kind")];
    if (!source || !build) { return; }
    new Chart(canvas, build(JSON.parse(source.textContent)));
  });
})();
