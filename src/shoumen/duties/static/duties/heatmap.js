/* A duty's year as a calendar heat map (duties/_heatmap.html): ECharts calendar from the
 * json_script payload "heatmap-data" ({year, days: [[day, rate, due, done, late, missed]],
 * labels}). A day's colour is the percent of its windows done; a tooltip gives the counts. */
(function () {
  "use strict";
  var el = document.getElementById("heatmap");
  var source = document.getElementById("heatmap-data");
  if (!el || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var L = data.labels;
  var byDay = {};
  data.days.forEach(function (d) { byDay[d[0]] = d; });
  var chart = echarts.init(el, null, {renderer: "canvas"});
  chart.setOption({
    tooltip: {
      formatter: function (p) {
        var d = byDay[p.value[0]];
        if (!d) return p.value[0];
        return p.value[0] + "<br>" + L.due + " " + d[2] + " · " + L.done + " " + d[3] +
          " · " + L.late + " " + d[4] + " · " + L.missed + " " + d[5];
      }
    },
    visualMap: {
      type: "piecewise", orient: "horizontal", left: "center", bottom: 0,
      itemWidth: 10, itemHeight: 10, itemGap: 6, textStyle: {fontSize: 10},
      pieces: [
        {value: -1, label: L.none, color: "#e9ecef"},
        {lt: 50, gte: 0, label: "<50%", color: "#dc3545"},
        {gte: 50, lt: 100, label: "50–99%", color: "#f0ad4e"},
        {value: 100, label: "100%", color: "#198754"}
      ]
    },
    calendar: {range: String(data.year), cellSize: ["auto", 13], top: 20, left: 30, right: 10,
               dayLabel: {firstDay: 1, nameMap: L.days}, monthLabel: {nameMap: L.months},
               yearLabel: {show: false}},
    series: [{type: "heatmap", coordinateSystem: "calendar",
              data: data.days.map(function (d) { return [d[0], d[1]]; })}]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
