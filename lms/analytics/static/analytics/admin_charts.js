/*
 * The admin index's charts (lms/analytics/admin_dashboard.py): reads the platform figures
 * from the page's JSON (`#platform-chart-data`, {"charts": [{key, title, type, stacked,
 * currency, labels, datasets: [{label, data}]}]}) and draws each into its
 * `figure[data-chart=key] canvas` with Chart.js (vendored, loaded just before this file).
 * Money arrives as decimal strings; Chart.js reads them as numbers for the bars only, the
 * tooltips and the table beside each chart keep the strings.
 */
(function () {
  "use strict";
  var source = document.getElementById("platform-chart-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var palette = ["#417690", "#79aec8", "#f5dd5d", "#ba2121", "#5b80b2", "#8a8a8a"];
  var payload = JSON.parse(source.textContent);
  payload.charts.forEach(function (spec) {
    var figure = document.querySelector('figure[data-chart="' + spec.key + '"]');
    if (!figure) {
      return;
    }
    new window.Chart(figure.querySelector("canvas"), {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (dataset, index) {
          return {
            label: dataset.label,
            data: dataset.data.map(Number),
            backgroundColor: palette[index % palette.length],
          };
        }),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: spec.datasets.length > 1 },
          tooltip: {
            callbacks: {
              label: function (item) {
                var raw = spec.datasets[item.datasetIndex].data[item.dataIndex];
                return item.dataset.label + ": " + raw + (spec.currency ? " " + spec.currency : "");
              },
            },
          },
        },
        scales: {
          x: { stacked: spec.stacked },
          y: { stacked: spec.stacked, beginAtZero: true, ticks: spec.currency ? {} : { precision: 0 } },
        },
      },
    });
  });
})();
