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

  // moneyScale is the unit and decimals of a money axis, chosen once for
  // the whole axis from its extent and tick interval, so that one axis
  // reads 0, 0.5 M, 1.0 M, 1.5 M or 0, 250,000, 500,000 (a label's own
  // size chose it, and one axis read "500,000" next to "1.0 M"). Null
  // when the axis is not drawn yet.
  function moneyScale(chart, dim, index) {
    var scale;
    try {
      scale = chart.getModel().getComponent(dim, index).axis.scale;
    } catch (e) {
      return null;
    }
    if (!scale || !scale.getExtent) { return null; }
    var ext = scale.getExtent();
    var top = Math.max(Math.abs(ext[0]), Math.abs(ext[1]));
    if (!isNum(top)) { return null; }
    var unit = top >= 1e9 ? 1e9 : top >= 1e6 ? 1e6 : 1;
    if (unit === 1) { return { unit: 1, suffix: '', fmt: whole }; }
    var step = scale.getInterval ? scale.getInterval() : 0;
    var digits = 1;
    // Enough decimals for the ticks to differ: 0.25 M, not 0.3 M.
    while (isNum(step) && step > 0 && digits < 3 && Math.abs(step / unit * Math.pow(10, digits) - Math.round(step / unit * Math.pow(10, digits))) > 1e-6) {
      digits++;
    }
    return { unit: unit, suffix: unit === 1e9 ? ' bn' : ' M',
      fmt: new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) };
  }

  // setAxisFormat sets the label formatter of the value axes of list; a
  // money axis's reads the chart (ref.chart, set once it exists) for the
  // axis's scale.
  function setAxisFormat(list, name, dim, ref) {
    var f = formats[name + 'Axis'] || formats[name];
    if (!f) { return; }
    axes(list).forEach(function (ax, i) {
      if (ax.type === 'category' || ax.type === 'time') { return; }
      ax.axisLabel = ax.axisLabel || {};
      ax.axisLabel.formatter = f;
      if (name !== 'money') { return; }
      ax.axisLabel.formatter = function (v) {
        var m = ref.chart && isNum(v) ? moneyScale(ref.chart, dim, i) : null;
        if (!m) { return f(v); }
        return v === 0 ? '0' : m.fmt.format(v / m.unit) + m.suffix;
      };
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
    var ref = { chart: null };
    if (spec.x) { setAxisFormat(opt.xAxis, spec.x, 'xAxis', ref); }
    if (spec.y) { setAxisFormat(opt.yAxis, spec.y, 'yAxis', ref); }
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
    ref.chart = chart;
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
