// Small ECharts helpers shared by the report pages. Amounts arrive in Rials and are shown in
// the page's unit (Toman by default) with the page's digits.
(function () {
  "use strict";
  var rtl = document.documentElement.dir === "rtl";
  var farsi = document.documentElement.lang === "fa";
  function number(value) {
    var text = Math.round(value).toLocaleString(farsi ? "fa-IR" : "en-US");
    return text;
  }
  function toman(rials) { return number(rials / 10); }

  window.peyvandBarChart = function (elementId, data, labels) {
    var element = document.getElementById(elementId);
    if (!element || !window.echarts) { return; }
    var chart = echarts.init(element, null, { renderer: "svg" });
    var series = ["won", "weighted", "quota"].filter(function (key) { return data[key]; }).map(function (key) {
      return { name: labels[key] || key, type: key === "quota" ? "line" : "bar", data: data[key] };
    });
    chart.setOption({
      textStyle: { fontFamily: "Vazirmatn, sans-serif" },
      tooltip: { trigger: "axis", valueFormatter: toman },
      legend: { top: 0 },
      grid: { left: 80, right: 30, top: 40, bottom: 40 },
      xAxis: { type: "category", data: data.labels, inverse: rtl },
      yAxis: { type: "value", position: rtl ? "right" : "left", axisLabel: { formatter: toman } },
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  };

  window.peyvandSimpleBar = function (elementId, labels, values, options) {
    var element = document.getElementById(elementId);
    if (!element || !window.echarts) { return; }
    var chart = echarts.init(element, null, { renderer: "svg" });
    var format = options && options.money ? toman : number;
    chart.setOption({
      textStyle: { fontFamily: "Vazirmatn, sans-serif" },
      tooltip: { trigger: "axis", valueFormatter: format },
      grid: { left: 80, right: 30, top: 20, bottom: 40 },
      xAxis: { type: "category", data: labels, inverse: rtl },
      yAxis: { type: "value", position: rtl ? "right" : "left", axisLabel: { formatter: format } },
      series: [{ type: "bar", data: values }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  };

  // Several series of percentages (0–100) side by side: series = [{name, data}, …].
  window.peyvandPercentBars = function (elementId, labels, series) {
    var element = document.getElementById(elementId);
    if (!element || !window.echarts) { return; }
    var chart = echarts.init(element, null, { renderer: "svg" });
    function percent(value) { return value === null || value === undefined ? "—" : number(value) + "٪"; }
    chart.setOption({
      textStyle: { fontFamily: "Vazirmatn, sans-serif" },
      tooltip: { trigger: "axis", valueFormatter: percent },
      legend: { top: 0 },
      grid: { left: 50, right: 50, top: 40, bottom: 40 },
      xAxis: { type: "category", data: labels, inverse: rtl },
      yAxis: { type: "value", min: 0, max: 100, position: rtl ? "right" : "left", axisLabel: { formatter: percent } },
      series: series.map(function (item) { return { name: item.name, type: "bar", data: item.data }; })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  };
})();
