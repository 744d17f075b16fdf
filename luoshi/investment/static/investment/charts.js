/* The funnel page's and the targets page's ECharts. The numbers come from json_script blocks the
 * server wrote; every chart has a table with the same numbers beside it. */
(function () {
  "use strict";

  if (!window.echarts) {
    return;
  }
  var BLUE = "#0b4a8b";
  var STAGE_COLOURS = ["#adb5bd", "#0dcaf0", "#0b4a8b", "#6f42c1", "#fd7e14", "#198754"];
  var charts = [];

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function chart(node) {
    var instance = window.echarts.init(node, null, { renderer: "svg" });
    charts.push(instance);
    return instance;
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (c) {
      c.resize();
    });
  });

  // The funnel -------------------------------------------------------------------------------------
  var funnel = data("funnel-data");
  if (funnel) {
    var labels = funnel.labels;
    var funnelNode = document.getElementById("funnel-chart");
    if (funnelNode) {
      chart(funnelNode).setOption({
        color: STAGE_COLOURS,
        tooltip: {
          trigger: "item",
          formatter: function (p) {
            var conversion = funnel.conversion[p.dataIndex];
            var text = p.name + "<br>" + labels.reached + ": " + p.value;
            if (conversion !== null) {
              text += "<br>" + conversion + "% " + labels.conversion;
            }
            return text;
          },
        },
        series: [
          {
            type: "funnel",
            sort: "none",
            left: "8%",
            right: "8%",
            top: 10,
            bottom: 10,
            minSize: "12%",
            gap: 2,
            label: {
              show: true,
              position: "inside",
              formatter: function (p) {
                return p.name + "  " + p.value;
              },
            },
            data: funnel.stages.map(function (name, i) {
              return { name: name, value: funnel.reached[i] };
            }),
          },
        ],
      });
    }
    var daysNode = document.getElementById("days-chart");
    if (daysNode) {
      chart(daysNode).setOption({
        tooltip: { trigger: "axis" },
        grid: { left: 48, right: 16, top: 24, bottom: 32 },
        xAxis: { type: "category", data: funnel.stages, axisLabel: { interval: 0 } },
        yAxis: { type: "value", name: labels.days, minInterval: 1 },
        series: [
          {
            name: labels.median,
            type: "bar",
            data: funnel.median.map(function (value, i) {
              return { value: value, itemStyle: { color: STAGE_COLOURS[i] } };
            }),
            label: { show: true, position: "top" },
            barMaxWidth: 42,
          },
        ],
      });
    }
  }

  // Targets ----------------------------------------------------------------------------------------
  var targets = data("target-data");
  var targetLabels = data("target-labels");
  if (targets && targetLabels) {
    var zoneCharts = {};
    var draw = function (metric) {
      targets.forEach(function (zone) {
        var node = document.querySelector('[data-target-chart="' + zone.zone + '"]');
        if (!node) {
          return;
        }
        var instance = zoneCharts[zone.zone] || (zoneCharts[zone.zone] = chart(node));
        var goal = zone.targets[metric];
        var series = [
          {
            name: targetLabels.actual,
            type: "line",
            data: zone.series[metric],
            smooth: false,
            symbolSize: 5,
            areaStyle: { opacity: 0.08 },
            itemStyle: { color: BLUE },
          },
        ];
        if (goal !== null) {
          series.push({
            name: targetLabels.pace,
            type: "line",
            data: targetLabels.months.map(function (_m, i) {
              return Math.round(((goal * (i + 1)) / 12) * 100) / 100;
            }),
            symbol: "none",
            lineStyle: { type: "dotted", color: "#adb5bd" },
            itemStyle: { color: "#adb5bd" },
            markLine: {
              symbol: "none",
              label: { formatter: targetLabels.target + " {c}", position: "insideEndTop" },
              lineStyle: { type: "dashed", color: "#dc3545" },
              data: [{ yAxis: goal }],
            },
          });
        }
        instance.setOption(
          {
            tooltip: { trigger: "axis" },
            legend: { top: 0, right: 0, textStyle: { fontSize: 11 } },
            grid: { left: 56, right: 16, top: 44, bottom: 24 },
            xAxis: { type: "category", data: targetLabels.months, name: targetLabels.month, nameGap: 4 },
            yAxis: { type: "value", name: targetLabels.axis[metric], nameTextStyle: { align: "left" }, minInterval: 1 },
            series: series,
          },
          true
        );
      });
    };
    draw("signed_amount");
    document.querySelectorAll('input[name="chart-metric"]').forEach(function (input) {
      input.addEventListener("change", function () {
        if (input.checked) {
          draw(input.value);
        }
      });
    });
  }
})();
