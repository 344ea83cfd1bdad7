/* Funnel plots and SPC (XmR) charts for the referrals pages, drawn with the vendored Chart.js.
   Data comes from <script type="application/json"> blocks written by Django's json_script.
   Colour is never the only signal: outliers have their own marker shape and a text label. */
(function () {
  "use strict";
  var BLUE = "#005eb8", GREY = "#768692", ORANGE = "#ed8b00", DARK = "#212b32", PURPLE = "#330072";

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function markerFor(flag) {
    return flag === "high" ? "triangle" : flag === "low" ? "rectRot" : "circle";
  }

  function funnel(canvas) {
    var d = data(canvas.dataset.source);
    if (!d) { return; }
    var curve = function (key) { return d.curve.map(function (c) { return { x: c.n, y: c[key] }; }); };
    var line = function (label, key, colour, dash) {
      return { type: "line", label: label, data: curve(key), borderColor: colour, borderDash: dash,
               borderWidth: 1.5, pointRadius: 0, fill: false, tension: 0.3 };
    };
    var points = d.points.map(function (p) { return { x: p.n, y: p.rate, label: p.label, flag: p.flag }; });
    new window.Chart(canvas, {
      type: "scatter",
      data: {
        datasets: [
          { label: "Practices (▲ high outlier, ◆ low outlier)", data: points,
            pointStyle: points.map(function (p) { return markerFor(p.flag); }),
            pointRadius: points.map(function (p) { return p.flag ? 7 : (p.label === d.own ? 6 : 4); }),
            backgroundColor: points.map(function (p) { return p.flag === "high" ? ORANGE : p.flag === "low" ? PURPLE : p.label === d.own ? DARK : BLUE; }) },
          line("Peer mean", "target", DARK, []),
          line("95% limits", "upper95", GREY, [6, 4]),
          Object.assign(line("95% lower", "lower95", GREY, [6, 4]), { label: "" }),
          line("99.8% limits", "upper998", GREY, []),
          Object.assign(line("99.8% lower", "lower998", GREY, []), { label: "" })
        ]
      },
      options: {
        animation: false,
        plugins: {
          legend: { labels: { filter: function (item) { return item.text !== ""; } } },
          tooltip: { callbacks: { label: function (ctx) {
            var p = ctx.raw;
            if (!p.label) { return ctx.dataset.label + ": " + ctx.parsed.y.toFixed(1); }
            return p.label + ": " + p.y.toFixed(1) + (p.flag ? " (" + p.flag + " outlier)" : "");
          } } }
        },
        scales: {
          x: { title: { display: true, text: d.x_label } },
          y: { title: { display: true, text: d.y_label }, beginAtZero: true }
        }
      },
      plugins: [{
        id: "outlierLabels",
        afterDatasetsDraw: function (chart) {
          var ctx = chart.ctx, meta = chart.getDatasetMeta(0);
          ctx.save();
          ctx.fillStyle = DARK;
          ctx.font = "12px Arial";
          meta.data.forEach(function (element, i) {
            var p = points[i];
            if (p.flag || p.label === d.own) { ctx.fillText(p.label, element.x + 8, element.y - 6); }
          });
          ctx.restore();
        }
      }]
    });
  }

  function spc(canvas) {
    var d = data(canvas.dataset.source);
    if (!d || !d.points.length) { return; }
    var labels = d.points.map(function (p) { return p.label; });
    var flat = function (value) { return labels.map(function () { return value; }); };
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: labels,
        datasets: [
          { label: d.y_label + " (▲ special cause high, ▼ low)", data: d.points.map(function (p) { return p.value; }),
            borderColor: GREY, pointRadius: d.points.map(function (p) { return p.special_cause ? 7 : 4; }),
            pointStyle: d.points.map(function (p) { return p.special_cause === "high" ? "triangle" : p.special_cause === "low" ? "rectRot" : "circle"; }),
            backgroundColor: d.points.map(function (p) { return p.special_cause === "high" ? ORANGE : p.special_cause === "low" ? BLUE : GREY; }),
            tension: 0 },
          { label: "Mean", data: flat(d.mean), borderColor: DARK, pointRadius: 0, borderWidth: 1.5 },
          { label: "Process limits", data: flat(d.upper), borderColor: GREY, borderDash: [6, 4], pointRadius: 0, borderWidth: 1 },
          { label: "", data: flat(d.lower), borderColor: GREY, borderDash: [6, 4], pointRadius: 0, borderWidth: 1 }
        ]
      },
      options: {
        animation: false,
        plugins: { legend: { labels: { filter: function (item) { return item.text !== ""; } } } },
        scales: { y: { beginAtZero: true, title: { display: true, text: d.y_label } } }
      },
      plugins: [{
        id: "reviewMarkers",
        afterDatasetsDraw: function (chart) {
          var ctx = chart.ctx, area = chart.chartArea, x = chart.scales.x;
          (d.reviews || []).forEach(function (review) {
            var index = labels.indexOf(review.label);
            if (index < 0) { return; }
            var px = x.getPixelForValue(index);
            ctx.save();
            ctx.strokeStyle = PURPLE;
            ctx.setLineDash([4, 3]);
            ctx.beginPath(); ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); ctx.stroke();
            ctx.setLineDash([]);
            ctx.fillStyle = PURPLE;
            ctx.font = "12px Arial";
            ctx.fillText("Peer review " + review.date, px + 4, area.top + 12);
            ctx.restore();
          });
        }
      }]
    });
  }

  function bars(canvas) {
    var d = data(canvas.dataset.source);
    if (!d) { return; }
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: d.labels, datasets: d.datasets.map(function (s, i) {
        return { label: s.label, data: s.data, backgroundColor: [BLUE, GREY, ORANGE][i % 3] };
      }) },
      options: { animation: false, indexAxis: d.horizontal ? "y" : "x",
                 scales: { x: { beginAtZero: true }, y: { beginAtZero: true } } }
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    ({ funnel: funnel, spc: spc, bars: bars })[canvas.dataset.chart](canvas);
  });
})();
