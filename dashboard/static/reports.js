// The report's charts, drawn by Chart.js (served by the app itself) from the figures in the
// page. Every chart has its numbers in the table next to it; without JavaScript (or in the
// printable version) the tables are the report.
(function () {
  "use strict";
  var data = document.getElementById("report-data");
  if (!data || !window.Chart) { return; }
  var report = JSON.parse(data.textContent);
  var ink = "#1b1b1b", accent = "#004a8f", red = "#8a1c10", green = "#0b5a1e";
  Chart.defaults.color = ink;
  Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  Chart.defaults.animation = false;

  function bars(id, labels, sets) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: sets },
      options: { responsive: true, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }

  var hours = report.by_hour.map(function (_, h) { return (h < 10 ? "0" : "") + h + ":00"; });
  bars("grafiek-uren", hours, [{ label: "Oproepen", data: report.by_hour, backgroundColor: accent }]);
  bars("grafiek-weekdagen", ["ma", "di", "wo", "do", "vr", "za", "zo"],
    [{ label: "Oproepen", data: report.by_weekday, backgroundColor: accent }]);
  // the chart the page titles "Servicelevel en wachttijd per wachtrij": the service level
  // (left axis, %) and the average and longest wait (right axis, seconds) of each queue
  var queues = report.queues.filter(function (q) { return q.queued > 0; });
  var canvas = document.getElementById("grafiek-wachtrijen");
  if (canvas) {
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: queues.map(function (q) { return q.name; }),
        datasets: [
          { label: "Servicelevel (%)", yAxisID: "pct", backgroundColor: green,
            data: queues.map(function (q) { return q.service_level === null ? null : Math.round(q.service_level * 1000) / 10; }) },
          { label: "Gemiddelde wachttijd (s)", yAxisID: "s", backgroundColor: accent,
            data: queues.map(function (q) { return q.asa_seconds; }) },
          { label: "Langste wachttijd (s)", yAxisID: "s", backgroundColor: red,
            data: queues.map(function (q) { return q.max_wait_seconds; }) }
        ]
      },
      options: { responsive: true, maintainAspectRatio: false, locale: "nl-BE",
        scales: {
          pct: { position: "left", beginAtZero: true, max: 100, title: { display: true, text: "%" } },
          s: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
               title: { display: true, text: "seconden" } }
        } }
    });
  }
})();
