// Draws the insights charts (ECharts, canvas so each exports as PNG) from the JSON the page
// embeds next to each chart: <div class="insight-chart" data-kind data-source> and
// <script id="data-KEY" type="application/json">. Also the tiles' sparklines.
(function () {
  "use strict";
  var rtl = document.documentElement.dir === "rtl";
  var farsi = document.documentElement.lang === "fa";
  var charts = {};
  function number(value) {
    if (value === null || value === undefined) { return "—"; }
    return Number(value).toLocaleString(farsi ? "fa-IR" : "en-US", { maximumFractionDigits: 1 });
  }
  function formatter(unit) {
    if (unit === "percent") { return function (v) { return v === null || v === undefined ? "—" : number(v) + (farsi ? "٪" : "%"); }; }
    if (unit === "money") { return function (v) { return v === null || v === undefined ? "—" : number(v / 10); }; }
    return number;
  }
  var base = { textStyle: { fontFamily: "Vazirmatn, sans-serif" }, animation: false };
  function axes(data, unit) {
    return {
      xAxis: { type: "category", data: data.labels, inverse: rtl, axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", position: rtl ? "right" : "left", axisLabel: { formatter: formatter(unit) } }
    };
  }
  var builders = {
    lines: function (data) {
      return Object.assign({}, base, axes(data, data.unit), {
        tooltip: { trigger: "axis", valueFormatter: formatter(data.unit) }, legend: { top: 0 },
        grid: { left: 60, right: 60, top: 40, bottom: 60 },
        series: data.series.map(function (s) { return { name: s.name, type: "line", data: s.data, connectNulls: false }; })
      });
    },
    bars: function (data) {
      var series = data.series.map(function (s) { return { name: s.name, type: "bar", stack: data.stack ? "all" : undefined, data: s.data }; });
      var option = Object.assign({}, base, axes(data, data.unit), {
        tooltip: { trigger: "axis", valueFormatter: formatter(data.unit) }, legend: { top: 0 },
        grid: { left: 60, right: 60, top: 40, bottom: 60 }, series: series
      });
      if (data.line) {
        option.yAxis = [option.yAxis, { type: "value", min: 0, max: 100, position: rtl ? "left" : "right", axisLabel: { formatter: formatter("percent") } }];
        series.push({ name: data.line.name, type: "line", yAxisIndex: 1, data: data.line.data });
      }
      return option;
    },
    heatmap: function (data) {
      return Object.assign({}, base, {
        tooltip: { position: "top", formatter: function (p) { return (p.value[3] ? p.value[3] + ": " : "") + formatter(data.unit)(p.value[2]); } },
        grid: { left: 150, right: 20, top: 10, bottom: 70 },
        xAxis: { type: "category", data: data.x, inverse: rtl, splitArea: { show: true } },
        yAxis: { type: "category", data: data.y, position: rtl ? "right" : "left", splitArea: { show: true } },
        visualMap: { min: 0, max: data.max || 1, calculable: true, orient: "horizontal", left: "center", bottom: 0, itemHeight: 120 },
        series: [{ type: "heatmap", data: data.cells, label: { show: true, formatter: function (p) { return p.value[2] === null ? "" : formatter(data.unit)(p.value[2]); } } }]
      });
    },
    sankey: function (data) {
      var labels = {};
      data.nodes.forEach(function (node) { labels[node.name] = node.label; });
      return Object.assign({}, base, {
        tooltip: { trigger: "item", formatter: function (p) {
          if (p.dataType === "edge") { return labels[p.data.source] + " → " + labels[p.data.target] + ": " + number(p.data.value); }
          return labels[p.name]; } },
        series: [{ type: "sankey", orient: "horizontal", left: "18%", right: "18%",
          data: data.nodes.map(function (node) { return { name: node.name }; }), links: data.links,
          emphasis: { focus: "adjacency" }, label: { formatter: function (p) { return labels[p.name]; } } }]
      });
    }
  };
  function draw(element) {
    var source = document.getElementById(element.dataset.source);
    var build = builders[element.dataset.kind];
    if (!source || !build || !window.echarts) { return; }
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(build(JSON.parse(source.textContent)));
    charts[element.id] = chart;
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function sparklines() {
    var source = document.getElementById("data-kpis");
    if (!source || !window.echarts) { return; }
    JSON.parse(source.textContent).tiles.forEach(function (tile) {
      var element = document.getElementById("spark-" + tile.key);
      if (!element || !tile.values.length) { return; }
      var chart = echarts.init(element, null, { renderer: "canvas" });
      chart.setOption({ animation: false, grid: { left: 2, right: 2, top: 4, bottom: 2 },
        xAxis: { type: "category", show: false, data: tile.labels, inverse: rtl }, yAxis: { type: "value", show: false, scale: true },
        tooltip: { trigger: "axis", valueFormatter: formatter(tile.unit) },
        series: [{ type: "line", data: tile.values, symbol: "none", smooth: true, areaStyle: { opacity: 0.15 } }] });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-png]");
    if (!button) { return; }
    var chart = charts[button.dataset.png];
    if (!chart) { return; }
    var link = document.createElement("a");
    link.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
    link.download = button.dataset.filename || "chart.png";
    document.body.appendChild(link);
    link.click();
    link.remove();
  });
  function start() {
    document.querySelectorAll(".insight-chart").forEach(draw);
    sparklines();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
