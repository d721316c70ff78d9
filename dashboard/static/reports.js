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
  var queues = report.queues.filter(function (q) { return q.queued > 0; });
  bars("grafiek-wachtrijen", queues.map(function (q) { return q.name; }), [
    { label: "Beantwoord", data: queues.map(function (q) { return q.answered; }), backgroundColor: green },
    { label: "Opgehangen", data: queues.map(function (q) { return q.abandoned; }), backgroundColor: red },
    { label: "Doorgeschakeld", data: queues.map(function (q) { return q.timeout; }), backgroundColor: "#6b4000" }
  ]);
})();
