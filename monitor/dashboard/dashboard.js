// Spillway lag dashboard: polls the monitor's JSON API and draws uPlot charts. Plain
// browser JavaScript, served as is by the monitor (monitor/service.ts): nothing to build.
// With monitor.token set, open the page as /#token=<token>; the token stays in the page
// (the fragment is never sent to a server) and goes out only as an Authorization header.
/* global uPlot */
(() => {
  const PALETTE = [
    '#1f77b4',
    '#d62728',
    '#2ca02c',
    '#ff7f0e',
    '#9467bd',
    '#8c564b',
    '#e377c2',
    '#17becf',
    '#bcbd22',
    '#7f7f7f',
  ];
  const CRITICALITY_COLORS = {
    CRITICAL_PLUS: '#b42318',
    CRITICAL: '#ff7f0e',
    SHEDDABLE_PLUS: '#1f77b4',
    SHEDDABLE: '#7f7f7f',
    unknown: '#bcbd22',
  };
  const WINDOW_SECONDS = 900;
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  const charts = {};
  let intervalMs = 5000;

  const $ = (id) => document.getElementById(id);
  const fmt = (n, digits = 0) =>
    n === null || n === undefined
      ? '–'
      : Number.isFinite(n)
        ? n.toLocaleString('en', { maximumFractionDigits: digits })
        : '∞';

  async function get(path) {
    const res = await fetch(path, { headers });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
    return res.json();
  }

  function cell(text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function stateBadge(state) {
    const td = document.createElement('td');
    const span = document.createElement('span');
    span.className = `state state-${state}`;
    span.textContent = state;
    td.appendChild(span);
    td.dataset.field = 'state';
    return td;
  }

  function fill(tbody, rows) {
    tbody.replaceChildren(...rows);
  }

  /** Draws or updates one chart; recreated when its series change (a sink added, a logId appeared). */
  function chart(id, labels, colors, data) {
    const el = $(id);
    const key = labels.join('\u0000');
    const width = Math.max(320, el.clientWidth || 560);
    let c = charts[id];
    if (!c || c.key !== key) {
      c?.plot.destroy();
      const opts = {
        width,
        height: 220,
        series: [{}, ...labels.map((label, i) => ({ label, stroke: colors[i], width: 1.5, spanGaps: false }))],
        axes: [{}, { size: 70 }],
        scales: { x: { time: true } },
        legend: { live: false },
      };
      c = charts[id] = { key, plot: new uPlot(opts, data, el) };
      el.dataset.series = labels.join(',');
    } else {
      c.plot.setData(data);
    }
  }

  function renderSinks(state, last) {
    const rows = state.sinks.map((s) => {
      const tr = document.createElement('tr');
      tr.dataset.sink = s.sink;
      const display = last?.sinks[s.sink]?.display ?? s.state;
      const lagCell = cell(fmt(s.lagRecords));
      lagCell.dataset.field = 'lag';
      const tputCell = cell(fmt(s.throughputPerSec, 1));
      tputCell.dataset.field = 'throughput';
      tr.append(
        cell(s.sink, 'text'),
        stateBadge(display),
        lagCell,
        cell(fmt(s.lagSeconds, 1)),
        tputCell,
        cell(fmt(s.drainerLag)),
        cell(fmt(s.deadLetters)),
        cell(s.breached.join(', '), s.breached.length ? 'text breach' : 'text'),
      );
      if (s.reason) tr.title = s.reason;
      return tr;
    });
    fill($('sinks').tBodies[0], rows);
  }

  function renderLogIds(state) {
    const rows = state.logIds.map((l) => {
      const tr = document.createElement('tr');
      tr.append(
        cell(l.sink, 'text'),
        cell(l.logId + (l.shared ? ' *' : ''), 'text'),
        cell(l.cluster, 'text'),
        cell(fmt(l.lagRecords)),
        cell(fmt(l.lagSeconds, 1)),
        cell(fmt(l.thresholdSec)),
        l.breached ? cell('over threshold', 'text breach') : cell(l.state, 'text'),
      );
      if (l.shared) tr.title = `shares its topic with ${l.sharedWith.join(', ')}: the topic's whole lag is shown`;
      return tr;
    });
    fill($('logids').tBodies[0], rows);
  }

  /** Lag and throughput per sink x level class and sink x importance: "INFO is 4 minutes behind, ERROR is current". */
  function renderTiers(state) {
    const rows = (state.tiers ?? []).map((t) => {
      const tr = document.createElement('tr');
      tr.append(
        cell(t.sink, 'text'),
        cell(`${t.by === 'level_class' ? 'level' : 'importance'} ${t.tier}`, 'text'),
        cell(fmt(t.lagRecords)),
        cell(fmt(t.lagSeconds, 1)),
        cell(fmt(t.throughputPerSec, 1)),
      );
      tr.dataset.tier = `${t.sink}/${t.by}/${t.tier}`;
      return tr;
    });
    fill($('tiers').tBodies[0], rows);
  }

  /** "invalid-json 6037, too-long 2": the reasons with lines, most lines first (as `spillway lag` prints them). */
  function reasonsText(byReason) {
    return Object.entries(byReason ?? {})
      .filter(([, n]) => n > 0)
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ');
  }

  /** Agent inputs that refused lines (flow.inputs, scraped): shown only when there are any. */
  function renderRejected(flow) {
    const rows = (flow?.inputs ?? [])
      .filter((i) => i.rejected > 0)
      .map((i) => {
        const tr = document.createElement('tr');
        tr.dataset.input = `${i.target}/${i.input}`;
        tr.append(
          cell(i.target, 'text'),
          cell(i.input, 'text'),
          cell(fmt(i.rejected)),
          cell(fmt(i.rejectedPerSec, 1)),
          cell(fmt(i.accepted)),
          cell(reasonsText(i.byReason), 'text'),
        );
        return tr;
      });
    fill($('rejected').tBodies[0], rows);
    $('rejected-section').hidden = rows.length === 0;
  }

  function renderPlan(plan) {
    const rows = plan.logIds.map((l) => {
      const tr = document.createElement('tr');
      const topics = Object.entries(l.topics)
        .map(([cls, t]) => `${cls}: ${t}`)
        .join('  ');
      tr.append(
        cell(l.id, 'text'),
        cell(l.importance, 'text'),
        cell(l.cluster, 'text'),
        cell(`${topics}${l.dedicated ? ' (dedicated)' : ''}`, 'text'),
      );
      return tr;
    });
    fill($('plan').tBodies[0], rows);
  }

  function renderTargets(flow) {
    const items = (flow?.targets ?? []).map((t) => {
      const li = document.createElement('li');
      li.textContent = `${t.name} ${t.url}: ${t.up ? 'up' : `down (${t.error})`}`;
      return li;
    });
    if (items.length === 0) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent =
        'none configured (monitor.scrape): shedding, gutter flow, sink states and rejected input lines need them';
      items.push(li);
    }
    $('targets').replaceChildren(...items);
  }

  function renderCharts(points) {
    const xs = points.map((p) => p.atMs / 1000);
    const sinks = [...new Set(points.flatMap((p) => Object.keys(p.sinks)))].sort();
    const col = (i) => PALETTE[i % PALETTE.length];
    const per = (f) => sinks.map((s) => points.map((p) => (p.sinks[s] ? f(p.sinks[s]) : null)));
    chart(
      'chart-lag',
      sinks,
      sinks.map((_, i) => col(i)),
      [xs, ...per((s) => s.lagRecords)],
    );
    chart(
      'chart-throughput',
      sinks,
      sinks.map((_, i) => col(i)),
      [xs, ...per((s) => s.throughputPerSec)],
    );

    const pairs = [...new Set(points.flatMap((p) => p.logIds.map((l) => `${l.sink}/${l.logId}`)))].sort();
    const byPair = pairs.map((k) =>
      points.map((p) => p.logIds.find((l) => `${l.sink}/${l.logId}` === k)?.lagRecords ?? null),
    );
    chart(
      'chart-logid',
      pairs,
      pairs.map((_, i) => col(i)),
      [xs, ...byPair],
    );

    const tierKeys = [
      ...new Set(
        points.flatMap((p) => (p.tiers ?? []).filter((t) => t.by === 'level_class').map((t) => `${t.sink}/${t.tier}`)),
      ),
    ].sort();
    chart(
      'chart-tier',
      tierKeys,
      tierKeys.map((_, i) => col(i)),
      [
        xs,
        ...tierKeys.map((k) =>
          points.map(
            (p) =>
              (p.tiers ?? []).find((t) => t.by === 'level_class' && `${t.sink}/${t.tier}` === k)?.lagSeconds ?? null,
          ),
        ),
      ],
    );

    const flowLabels = [];
    const flowColors = [];
    const flowData = [];
    sinks.forEach((s) => {
      for (const [suffix, field] of [
        ['gutter in', 'gutterInPerSec'],
        ['gutter out', 'gutterOutPerSec'],
        ['dead letters', 'deadLettersPerSec'],
      ]) {
        flowColors.push(col(flowLabels.length));
        flowLabels.push(`${s} ${suffix}`);
        flowData.push(points.map((p) => p.sinks[s]?.[field] ?? null));
      }
    });
    chart('chart-gutter', flowLabels, flowColors, [xs, ...flowData]);

    const crits = [...new Set(points.flatMap((p) => Object.keys(p.droppedPerSec ?? {})))].sort();
    chart(
      'chart-shed',
      crits.length ? crits : ['(no scraped drops yet)'],
      crits.length ? crits.map((c) => CRITICALITY_COLORS[c] ?? '#333') : ['#ccc'],
      [
        xs,
        ...(crits.length ? crits.map((c) => points.map((p) => p.droppedPerSec?.[c] ?? null)) : [xs.map(() => null)]),
      ],
    );
  }

  let planShown = false;
  async function tick() {
    try {
      if (!planShown) {
        renderPlan(await get('api/plan'));
        planShown = true;
      }
      const [state, history] = await Promise.all([get('api/state'), get(`api/history?seconds=${WINDOW_SECONDS}`)]);
      intervalMs = history.intervalMs;
      const last = history.points[history.points.length - 1];
      renderSinks(state, last);
      renderLogIds(state);
      renderTiers(state);
      renderRejected(state.flow);
      renderTargets(state.flow);
      renderCharts(history.points);
      $('status').textContent = 'live';
      $('status').className = 'status';
      $('updated').textContent = `sampled ${new Date(state.atMs).toLocaleTimeString()} · every ${intervalMs / 1000} s`;
      document.body.dataset.samples = String(history.points.length);
    } catch (err) {
      $('status').textContent = `error: ${err.message}`;
      $('status').className = 'status error';
    }
    setTimeout(tick, Math.min(intervalMs, 5000));
  }
  tick();
})();
