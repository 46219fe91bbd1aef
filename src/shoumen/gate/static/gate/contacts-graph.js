/* The close-contact graph (gate/traces/contacts.html): an ECharts force graph drawn from the
 * json_script payload "contacts-graph-data" (views/traces.py _graph): the case in the centre,
 * first-degree contacts on a ring around it, second-degree ones on an outer ring; an edge per
 * linked pair, as thick as its exposures. Names are data, so tooltips escape them. */
(function () {
  "use strict";
  var el = document.getElementById("contacts-graph");
  var source = document.getElementById("contacts-graph-data");
  if (!el || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var L = data.labels;
  var esc = echarts.format.encodeHTML;
  var colors = ["#b3261e", "#dc3545", "#f0ad4e"];
  var sizes = [34, 16, 10];

  var width = el.clientWidth || 360, height = el.clientHeight || 400;
  var cx = width / 2, cy = height / 2, unit = Math.min(width, height) / 2 - 24;
  var rings = [[], [], []];
  data.nodes.forEach(function (n) { rings[n.degree].push(n); });
  var nodes = [];
  rings.forEach(function (ring, degree) {
    var r = degree === 0 ? 0 : unit * (degree === 1 ? 0.45 : 0.95);
    ring.forEach(function (n, i) {
      var angle = 2 * Math.PI * i / Math.max(ring.length, 1) - Math.PI / 2;
      nodes.push({
        id: n.id, name: n.name, category: degree, value: n.exposures || 0, raw: n,
        x: cx + r * Math.cos(angle), y: cy + r * Math.sin(angle), fixed: degree === 0,
        symbolSize: sizes[degree] + Math.min(n.exposures || 0, 10),
        itemStyle: n.in_scope === false ? {borderColor: "#212529", borderWidth: 2} : undefined
      });
    });
  });
  var names = {};
  data.nodes.forEach(function (n) { names[n.id] = n.name; });
  var links = data.links.map(function (l) {
    return {source: l.source, target: l.target, value: l.value, site: l.site,
            lineStyle: {width: Math.min(1 + l.value, 6)}};
  });

  function nodeTip(n) {
    var lines = ["<strong>" + esc(n.name) + "</strong> · " + esc(L[String(n.degree)]),
                 esc(n.community) + " · " + esc(n.status)];
    if (n.degree > 0) {
      lines.push(esc(L.first) + ": " + esc(n.first_at) + " · " + esc(n.site));
      lines.push(esc(L.exposures) + ": " + n.exposures);
      if (n.in_scope === false) lines.push("<em>" + esc(L.outside) + "</em>");
    }
    return lines.join("<br>");
  }

  var force = nodes.length <= 150;  // beyond that the rings stay as laid out (cheap phones)
  var chart = echarts.init(el, null, {renderer: "canvas"});
  chart.setOption({
    animation: false,
    color: colors,
    legend: {data: [L["0"], L["1"], L["2"]], top: 4, itemWidth: 12, itemHeight: 12},
    tooltip: {
      confine: true,
      formatter: function (p) {
        if (p.dataType === "edge") {
          return esc(names[p.data.source]) + " — " + esc(names[p.data.target]) + "<br>" +
            esc(L.exposures) + ": " + p.data.value + " · " + esc(p.data.site);
        }
        return nodeTip(p.data.raw);
      }
    },
    series: [{
      type: "graph",
      layout: force ? "force" : "none",
      roam: true,
      draggable: force,
      categories: [{name: L["0"]}, {name: L["1"]}, {name: L["2"]}],
      data: nodes,
      links: links,
      // Scaled to the box, so that a wide screen spreads the rings as a phone does.
      force: {repulsion: unit * 0.9, gravity: 0.05, edgeLength: [unit * 0.2, unit * 0.45],
              friction: 0.3, layoutAnimation: nodes.length <= 60},
      label: {show: nodes.length <= 40, position: "right", fontSize: 11},
      lineStyle: {color: "source", opacity: 0.55, curveness: 0.05},
      emphasis: {focus: "adjacency", label: {show: true}}
    }]
  });
  el.setAttribute("data-rendered", String(nodes.length));
  window.addEventListener("resize", function () { chart.resize(); });
})();
