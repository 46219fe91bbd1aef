/* The progress page's charts (resumption/progress.html) from the json_script "progress-data"
 * ({labels: {state: label}, states: {state: count}, children: [{name, states}]}): the
 * enterprises by state, and the same stacked for each child jurisdiction. */
(function () {
  "use strict";
  var source = document.getElementById("progress-data");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var order = Object.keys(data.labels);
  var colours = {not_resumed: "#adb5bd", declared: "#0dcaf0", returned: "#ffc107",
                 onsite_review: "#6f42c1", resumed: "#198754", suspended: "#dc3545"};
  var charts = [];

  var states = document.getElementById("progress-states");
  if (states) {
    var pie = echarts.init(states);
    pie.setOption({
      tooltip: {trigger: "item"},
      series: [{type: "pie", radius: ["40%", "70%"], label: {fontSize: 11},
                data: order.map(function (s) {
                  return {name: data.labels[s], value: data.states[s], itemStyle: {color: colours[s]}};
                }).filter(function (d) { return d.value > 0; })}]
    });
    charts.push(pie);
  }

  var children = document.getElementById("progress-children");
  if (children && data.children.length) {
    var bar = echarts.init(children);
    bar.setOption({
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      legend: {bottom: 0, textStyle: {fontSize: 10}},
      grid: {left: 40, right: 10, top: 10, bottom: 60},
      xAxis: {type: "category", data: data.children.map(function (c) { return c.name; }),
              axisLabel: {interval: 0, rotate: data.children.length > 5 ? 30 : 0, fontSize: 10}},
      yAxis: {type: "value", minInterval: 1},
      series: order.map(function (s) {
        return {name: data.labels[s], type: "bar", stack: "all", itemStyle: {color: colours[s]},
                data: data.children.map(function (c) { return c.states[s]; })};
      })
    });
    charts.push(bar);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
