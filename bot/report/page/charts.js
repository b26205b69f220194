// Draws the report's charts as inline SVG from the JSON in #report-data.
// Text is only ever set with textContent: customer words stay text.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("report-data").textContent);

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }
  function text(parent, x, y, content, attrs) {
    var node = el("text", Object.assign({ x: x, y: y }, attrs || {}), parent);
    node.textContent = content;
    return node;
  }
  function short(label, max) {
    var chars = Array.from(String(label));
    return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : chars.join("");
  }
  function duration(s) {
    if (s === null || s === undefined) return "–";
    if (s < 1) return Math.round(s * 1000) + " ms";
    if (s < 60) return (s < 10 ? s.toFixed(1) : Math.round(s)) + " s";
    if (s < 3600) return (s / 60).toFixed(1) + " min";
    if (s < 86400) return (s / 3600).toFixed(1) + " h";
    return (s / 86400).toFixed(1) + " d";
  }
  function show(value, unit) {
    if (value === null || value === undefined) return "–";
    if (unit === "percent") return Math.round(value) + "%";
    if (unit === "seconds") return duration(value);
    return String(value);
  }
  function maxOf(chart) {
    var max = chart.unit === "percent" ? 100 : 0;
    chart.rows.forEach(function (r) { r.values.forEach(function (v) { if (v > max) max = v; }); });
    return max || 1;
  }
  function legend(figure, chart) {
    if (chart.series.length < 2) return;
    var box = document.createElement("div");
    box.className = "legend";
    chart.series.forEach(function (name, i) {
      var item = document.createElement("span");
      var swatch = document.createElement("i");
      swatch.style.background = "var(--c" + i + ")";
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(name));
      box.appendChild(item);
    });
    figure.appendChild(box);
  }
  function bar(svg, x, y, w, h, series, row, value, unit) {
    var rect = el("rect", {
      "class": "bar s" + series, x: x, y: y, width: Math.max(w, value > 0 ? 1 : 0), height: h,
      rx: 2, "data-label": row.label, "data-series": String(series), "data-value": String(value)
    }, svg);
    el("title", {}, rect).textContent = row.label + ": " + show(value, unit);
    return rect;
  }

  // Horizontal bars: a label on the left, one bar per series, the value at its end.
  function bars(svg, chart, width) {
    var labelW = Math.min(230, Math.round(width * 0.36)), valueW = 70, n = chart.series.length;
    var barH = 16, gap = 3, rowH = n * (barH + gap) + 10;
    var height = chart.rows.length * rowH + 8, plotW = width - labelW - valueW, max = maxOf(chart);
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    chart.rows.forEach(function (row, i) {
      var top = 4 + i * rowH;
      var label = text(svg, labelW - 8, top + (rowH - 10) / 2 + 4, short(row.label, Math.floor(labelW / 7)),
        { "text-anchor": "end", "class": "label" });
      el("title", {}, label).textContent = row.label;
      row.values.forEach(function (value, s) {
        var y = top + s * (barH + gap), v = value || 0, w = (v / max) * plotW;
        bar(svg, labelW, y, w, barH, s, row, v, chart.unit);
        text(svg, labelW + w + 6, y + barH - 4, show(value, chart.unit), { "class": "value" });
      });
    });
  }

  // Vertical columns, for a distribution such as 1–5 stars.
  function columns(svg, chart, width) {
    var height = 240, bottom = 28, top = 18, max = maxOf(chart);
    var slot = width / chart.rows.length, colW = Math.min(70, slot * 0.6);
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    el("line", { x1: 0, x2: width, y1: height - bottom, y2: height - bottom,
      stroke: "var(--grid)" }, svg);
    chart.rows.forEach(function (row, i) {
      var v = row.values[0] || 0, h = (v / max) * (height - bottom - top);
      var x = i * slot + (slot - colW) / 2, y = height - bottom - h;
      bar(svg, x, y, colW, h, 0, row, v, chart.unit);
      text(svg, x + colW / 2, y - 5, show(v, chart.unit), { "text-anchor": "middle", "class": "value" });
      text(svg, x + colW / 2, height - 9, row.label, { "text-anchor": "middle", "class": "label" });
    });
  }

  document.querySelectorAll("figure.chart").forEach(function (figure) {
    var chart = data.charts[figure.getAttribute("data-chart")];
    if (!chart) return;
    var caption = document.createElement("figcaption");
    caption.textContent = chart.title;
    figure.appendChild(caption);
    if (!chart.rows.length) {
      var none = document.createElement("p");
      none.className = "nodata";
      none.textContent = "No data in this period.";
      figure.appendChild(none);
      return;
    }
    legend(figure, chart);
    var svg = el("svg", { role: "img", "aria-label": chart.title }, figure);
    var width = Math.max(320, Math.floor(figure.clientWidth) - 26);
    svg.setAttribute("width", width);
    (chart.kind === "columns" ? columns : bars)(svg, chart, width);
  });
})();
