// dsopilot reports: draws the charts of a page from the JSON options that
// the page carries (built in Go with go-echarts), formats their numbers with
// thousands separators, and turns clicks on bars and points into the
// drill-down links that come with each chart. Nothing here loads anything
// from outside the site.
(function () {
  'use strict';

  var whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  var one = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var two = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function isNum(v) { return typeof v === 'number' && isFinite(v); }

  // Formats by name; the Go side says which one each axis and tooltip uses.
  var formats = {
    money: function (v) { return isNum(v) ? two.format(v) : '–'; },
    moneyAxis: function (v) {
      if (!isNum(v)) { return ''; }
      var a = Math.abs(v);
      if (a >= 1e9) { return one.format(v / 1e9) + ' bn'; }
      if (a >= 1e6) { return one.format(v / 1e6) + ' M'; }
      return whole.format(v);
    },
    days: function (v) { return isNum(v) ? one.format(v) + ' d' : '–'; },
    daysAxis: function (v) { return isNum(v) ? whole.format(v) : ''; },
    pct: function (v) { return isNum(v) ? one.format(v) + ' %' : '–'; },
    pctAxis: function (v) { return isNum(v) ? whole.format(v) + ' %' : ''; },
    prob: function (v) { return isNum(v) ? one.format(v * 100) + ' %' : '–'; },
    probAxis: function (v) { return isNum(v) ? whole.format(v * 100) + ' %' : ''; },
    int: function (v) { return isNum(v) ? whole.format(v) : '–'; },
    num: function (v) { return isNum(v) ? (Math.abs(v) < 10 ? two.format(v) : whole.format(v)) : '–'; }
  };

  function axes(a) { return a ? (Array.isArray(a) ? a : [a]) : []; }

  function setAxisFormat(list, name) {
    var f = formats[name + 'Axis'] || formats[name];
    if (!f) { return; }
    axes(list).forEach(function (ax) {
      if (ax.type === 'category' || ax.type === 'time') { return; }
      ax.axisLabel = ax.axisLabel || {};
      ax.axisLabel.formatter = f;
    });
  }

  // A payment timeline: one bar per invoice from its issue date to the day
  // it was paid (or the report's date while open), a tick at its due date.
  // Data items are [issue, due, end, row, invoice id, amount].
  function timelineItem(params, api) {
    var row = api.value(3);
    var a = api.coord([api.value(0), row]);
    var d = api.coord([api.value(1), row]);
    var e = api.coord([api.value(2), row]);
    var h = Math.max(2, Math.min(12, api.size([0, 1])[1] * 0.7));
    return {
      type: 'group',
      children: [
        { type: 'rect', shape: { x: a[0], y: a[1] - h / 2, width: Math.max(2, e[0] - a[0]), height: h },
          style: { fill: api.visual('color') } },
        { type: 'line', shape: { x1: d[0], y1: d[1] - h / 2 - 2, x2: d[0], y2: d[1] + h / 2 + 2 },
          style: { stroke: '#222', lineWidth: 1.5 } }
      ]
    };
  }

  function day(v) { return echarts.time.format(v, '{yyyy}-{MM}-{dd}', false); }

  function timeline(opt, spec) {
    (opt.series || []).forEach(function (s) {
      s.renderItem = timelineItem;
      s.dimensions = [{ name: 'issued', type: 'time' }, { name: 'due', type: 'time' }, { name: 'end', type: 'time' },
        { name: 'row', type: 'number' }, { name: 'invoice', type: 'ordinal' }, { name: 'amount', type: 'number' }];
      s.encode = { x: [0, 1, 2], y: 3 };
    });
    opt.tooltip = opt.tooltip || {};
    opt.tooltip.formatter = function (p) {
      var v = p.value, esc = echarts.format.encodeHTML;
      var paid = p.seriesName.indexOf('paid') === 0;
      return '<b>' + esc(v[4]) + '</b> · ' + esc(p.seriesName) + '<br>issued ' + day(v[0]) + ', due ' + day(v[1]) +
        (paid ? ', paid ' + day(v[2]) : '') + '<br>' + formats.money(v[5]) + ' ' + esc(spec.unit || '');
    };
  }

  var charts = [];

  function draw(el, spec) {
    var opt = spec.option;
    // Axis names above a vertical axis start at the axis and run right, so
    // that a long one is not cut at the chart's left edge.
    axes(opt.yAxis).forEach(function (ax) {
      if (ax.name && ax.nameLocation === 'end' && !ax.nameTextStyle) { ax.nameTextStyle = { align: 'left' }; }
    });
    if (spec.x) { setAxisFormat(opt.xAxis, spec.x); }
    if (spec.y) { setAxisFormat(opt.yAxis, spec.y); }
    if (spec.tip && formats[spec.tip]) {
      opt.tooltip = opt.tooltip || {};
      opt.tooltip.valueFormatter = formats[spec.tip];
    }
    if (spec.kind === 'timeline') { timeline(opt, spec); }
    (opt.series || []).forEach(function (s) {
      if (s.type === 'heatmap' && s.label && s.label.show) {
        s.label.formatter = function (p) { return formats.int(p.value[2]); };
      }
    });
    var dpr = Math.max(2, window.devicePixelRatio || 1);
    var chart = echarts.init(el, null, { renderer: 'canvas', devicePixelRatio: dpr });
    chart.setOption(opt);
    if (spec.links) {
      el.classList.add('drill');
      chart.on('click', function (p) {
        var s = spec.links[p.seriesIndex];
        var href = s && s[p.dataIndex];
        if (href) { window.location.href = href; }
      });
    }
    charts.push(chart);
    return chart;
  }

  function start() {
    var nodes = document.querySelectorAll('script[type="application/json"][data-chart]');
    if (nodes.length === 0) { return; }
    if (typeof window.echarts === 'undefined') {
      var msg = document.createElement('p');
      msg.className = 'note warn';
      msg.textContent = 'The charts cannot be drawn: this build of dsopilot carries no ECharts (run make echarts and rebuild).';
      document.body.insertBefore(msg, document.body.firstChild);
      throw new Error('dsopilot: ECharts is missing');
    }
    nodes.forEach(function (n) {
      var el = document.getElementById(n.getAttribute('data-chart'));
      if (el) { draw(el, JSON.parse(n.textContent)); }
    });
    window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
    // Print at the paper's width, then back.
    window.addEventListener('beforeprint', function () {
      charts.forEach(function (c) { c.resize({ width: 680 }); });
    });
    window.addEventListener('afterprint', function () { charts.forEach(function (c) { c.resize(); }); });
  }

  window.dsopilot = { charts: charts, formats: formats };
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
