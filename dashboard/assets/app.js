// The lrsweep dashboard: one page whose script routes on the URL path, reads /api/v1/ and
// re-renders when /api/v1/changes says the coordinator changed something (long-poll), so a
// finished trial shows without a reload. Every value from the API is escaped before it is shown.
'use strict';

const state = {
  version: 0,
  token: null,
  render: null,            // the current page's render function
  sweepSort: {key: 'rank', asc: true},
  trialQuery: {sort: 'trial', order: 'asc', state: '', offset: 0, limit: 50},
  rankingFilter: '',
  curveMetric: 'train_loss',
  sweepFilter: {state: '', q: '', tag: '', archived: false},
  logAttempt: {},          // "sweep/trial" -> the attempt whose output is shown (0: the latest)
};

// --- Helpers ---

function esc(value) {
  return String(value === null || value === undefined ? '' : value)
      .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
function num(value, digits = 4) {
  if (value === null || value === undefined || Number.isNaN(value)) return '';
  if (typeof value !== 'number') return esc(value);
  if (value !== 0 && (Math.abs(value) < 1e-3 || Math.abs(value) >= 1e5)) return value.toExponential(2);
  return Number(value.toPrecision(digits)).toString();
}
function duration(seconds) {
  if (seconds === null || seconds === undefined) return '';
  if (seconds < 90) return Math.round(seconds) + ' s';
  if (seconds < 5400) return Math.round(seconds / 60) + ' min';
  return (seconds / 3600).toFixed(1) + ' h';
}
function stateTag(s) { return `<span class="state ${esc(s)}">${esc(s)}</span>`; }
function bar(fraction) {
  const pct = Math.max(0, Math.min(100, 100 * (fraction || 0)));
  return `<span class="bar"><span style="width:${pct.toFixed(1)}%"></span></span>${pct.toFixed(0)}%`;
}
function tagChips(tags, removable = false) {
  return (tags || []).map((t) => `<span class="tag">${esc(t)}${removable
      ? ` <button class="untag" data-tag="${esc(t)}" title="remove this tag">×</button>` : ''}</span>`).join(' ');
}
function bytes(n) {
  if (n < 1000) return n + ' B';
  const units = ['kB', 'MB', 'GB', 'TB'];
  let i = -1;
  do { n /= 1000; ++i; } while (n >= 1000 && i < units.length - 1);
  return n.toFixed(1) + ' ' + units[i];
}
function sweepUrl(id) { return '/sweeps/' + encodeURIComponent(id); }
function trialUrl(id, trial) { return sweepUrl(id) + '/trials/' + trial; }
function params(p) {
  return Object.entries(p || {}).map(([k, v]) => `${esc(k)}=${esc(typeof v === 'object' ? JSON.stringify(v) : v)}`).join(', ');
}
function reportError(message) {
  document.getElementById('errors').textContent += message + '\n';
}
const main = () => document.getElementById('main');

// --- The API, with the token from the URL fragment (never sent to the server as part of a URL) ---

function readToken() {
  const match = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem('lrsweep-token', decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  state.token = sessionStorage.getItem('lrsweep-token');
}

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error.message : 'HTTP ' + status);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const headers = {};
  if (state.token) headers['Authorization'] = 'Bearer ' + state.token;
  const response = await fetch('/api/v1' + path, {...options, headers});
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  if (body && typeof body.version === 'number') state.version = Math.max(state.version, body.version);
  return body;
}

function showLogin(message) {
  main().innerHTML = `<h1>Sign in</h1><p class="notice">${esc(message)}</p>
    <p>Paste a user token (the coordinator's <code>--user-token-file</code>):</p>
    <form id="login"><input id="token" type="password" size="48" autocomplete="off">
    <button type="submit">Open</button></form>`;
  document.getElementById('login').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem('lrsweep-token', document.getElementById('token').value.trim());
    readToken();
    route();
  });
}

// --- Charts (Vega-Lite, bundled) ---

// Loads the charting library once, its three scripts in order; parsing them takes a slow machine
// a second or more, so pages render their tables first and their charts when it is there.
let vegaLoaded = null;
function loadVega() {
  if (!vegaLoaded) {
    vegaLoaded = ['vega.min.js', 'vega-lite.min.js', 'vega-embed.min.js'].reduce(
        (previous, file) => previous.then(() => new Promise((resolve, reject) => {
          const script = document.createElement('script');
          script.src = '/assets/' + file;
          script.onload = resolve;
          script.onerror = () => reject(new Error('cannot load /assets/' + file));
          document.head.appendChild(script);
        })), Promise.resolve());
  }
  return vegaLoaded;
}

async function chart(id, spec) {
  if (!document.getElementById(id)) return;
  try {
    await loadVega();
  } catch (error) {
    reportError('charts: ' + error.message);
    return;
  }
  const element = document.getElementById(id);  // the page may have been redrawn meanwhile
  if (!element) return;
  try {
    const width = Math.max(300, (element.parentElement.clientWidth || 560) - 190);
    await vegaEmbed(element, {$schema: 'https://vega.github.io/schema/vega-lite/v5.json',
                              width, height: 260, ...spec},
                    {actions: false, renderer: 'svg'});
  } catch (error) {
    reportError('chart ' + id + ': ' + error.message);
  }
}

// --- Sortable tables ---

function sortRows(rows, key, asc) {
  const value = (row) => row[key];
  return rows.slice().sort((a, b) => {
    const va = value(a), vb = value(b);
    const missingA = va === null || va === undefined || va === '';
    const missingB = vb === null || vb === undefined || vb === '';
    if (missingA || missingB) return missingA === missingB ? 0 : (missingA ? 1 : -1);
    if (va < vb) return asc ? -1 : 1;
    if (va > vb) return asc ? 1 : -1;
    return 0;
  });
}

function headerCells(columns, sort) {
  return columns.map(([key, label, cls]) => {
    const sorted = sort && sort.key === key ? (sort.asc ? ' sorted-asc' : ' sorted-desc') : '';
    return `<th class="sortable ${cls || ''}${sorted}" data-key="${esc(key)}">${esc(label)}</th>`;
  }).join('');
}

function onSort(table, sort, rerender) {
  table.querySelectorAll('th.sortable').forEach((th) => th.addEventListener('click', () => {
    const key = th.dataset.key;
    if (sort.key === key) sort.asc = !sort.asc; else { sort.key = key; sort.asc = true; }
    rerender();
  }));
}

// --- Page: every sweep ---

async function renderSweeps() {
  const query = new URLSearchParams();
  if (state.sweepFilter.state) query.set('state', state.sweepFilter.state);
  if (state.sweepFilter.q) query.set('q', state.sweepFilter.q);
  if (state.sweepFilter.tag) query.set('tag', state.sweepFilter.tag);
  if (state.sweepFilter.archived) query.set('archived', 'true');
  const data = await api('/sweeps?' + query);
  const rows = data.sweeps.map((s) => `<tr>
      <td><a href="${sweepUrl(s.id)}">${esc(s.name)}</a> ${tagChips(s.tags)}${s.archived_ms ? ' <span class="tag archived">archived</span>' : ''}
        <div class="muted">${esc(s.id)}${s.note ? ' · ' + esc(s.note.length > 80 ? s.note.slice(0, 80) + '…' : s.note) : ''}</div></td>
      <td>${stateTag(s.state)}</td>
      <td>${bar(s.progress)} <span class="muted">${s.finished}/${s.trials} trials</span></td>
      <td class="num">${s.best ? `${num(s.best.score)} <a href="${trialUrl(s.id, s.best.trial)}">#${s.best.trial}</a>` : ''}</td>
      <td>${esc(s.metric.name)} (${esc(s.metric.goal)})</td>
      <td class="num">${s.failures || ''}</td>
      <td class="num">${duration(s.eta_seconds)}</td>
      <td>${esc(new Date(s.created_ms).toLocaleString())}</td></tr>`).join('');
  main().innerHTML = `<h1>Sweeps</h1>
    <div class="toolbar">
      <select id="sweep-state"><option value="">every state</option>
        ${['RUNNING', 'FINISHED', 'CANCELLED'].map((s) => `<option ${s === state.sweepFilter.state ? 'selected' : ''}>${s}</option>`).join('')}
      </select>
      <input id="sweep-q" placeholder="filter by name" value="${esc(state.sweepFilter.q)}">
      <select id="sweep-tag"><option value="">any tag</option>
        ${data.tags.map((t) => `<option ${t === state.sweepFilter.tag ? 'selected' : ''}>${esc(t)}</option>`).join('')}
      </select>
      <label><input type="checkbox" id="sweep-archived" ${state.sweepFilter.archived ? 'checked' : ''}> archived too</label>
      ${data.hidden ? `<span class="muted">${data.hidden} more not shown</span>` : ''}
    </div>
    ${data.sweeps.length === 0 ? '<p class="muted">No sweep yet: <code>lrsweep submit sweep.yaml</code> or <code>lrsweep run sweep.yaml</code>.</p>' : ''}
    <table id="sweeps"><thead><tr><th>sweep</th><th>state</th><th>progress</th><th class="num">best</th>
      <th>metric</th><th class="num">failed</th><th class="num">ETA</th><th>submitted</th></tr></thead>
      <tbody>${rows}</tbody></table>`;
  document.getElementById('sweep-state').addEventListener('change', (e) => { state.sweepFilter.state = e.target.value; refresh(); });
  document.getElementById('sweep-q').addEventListener('change', (e) => { state.sweepFilter.q = e.target.value; refresh(); });
  document.getElementById('sweep-tag').addEventListener('change', (e) => { state.sweepFilter.tag = e.target.value; refresh(); });
  document.getElementById('sweep-archived').addEventListener('change', (e) => { state.sweepFilter.archived = e.target.checked; refresh(); });
}

// --- Page: one sweep ---

function rankingTable(report, sweepId) {
  const columns = [['rank', 'rank', 'num'], ['config', 'config', 'num'], ['schedule', 'schedule'],
                   ['peak_lr', 'peak LR', 'num'], ['mean', report.metric.name, 'num'],
                   ['std', 'std', 'num'], ['ci_low', '95% CI', 'num'], ['n', 'n', 'num'],
                   ['params', 'parameters'], ['states', 'not scored']];
  let rows = report.ranking.map((r) => ({...r, ci_low: r.ci95 ? r.ci95[0] : null,
                                         params_text: params(r.params)}));
  const filter = state.rankingFilter.toLowerCase();
  if (filter) rows = rows.filter((r) => (r.schedule + ' ' + r.params_text).toLowerCase().includes(filter));
  rows = sortRows(rows, state.sweepSort.key, state.sweepSort.asc);
  const significant = report.significance.significant;
  const body = rows.map((r) => `<tr class="${r.rank === 1 ? 'best' : ''}">
      <td class="num">${r.rank === null ? '' : r.rank}${r.rank === 1 && significant ? ' ★' : ''}</td>
      <td class="num">${r.config}</td><td>${esc(r.schedule)}</td><td class="num">${num(r.peak_lr)}</td>
      <td class="num">${num(r.mean)}</td><td class="num">${num(r.std)}</td>
      <td class="num">${r.ci95 ? `[${num(r.ci95[0])}, ${num(r.ci95[1])}]` : ''}</td>
      <td class="num">${r.n}</td><td>${r.params_text}</td>
      <td>${esc(r.states)} ${r.trials.map((t) => `<a href="${trialUrl(sweepId, t)}">#${t}</a>`).join(' ')}</td></tr>`).join('');
  return `<div class="toolbar"><input id="ranking-filter" placeholder="filter configurations" value="${esc(state.rankingFilter)}">
      <span class="muted">${rows.length} of ${report.ranking.length} configurations${report.ranking_total > report.ranking.length ? ` (the best ${report.ranking.length} of ${report.ranking_total})` : ''}; click a column to sort</span></div>
    <div class="scroll"><table id="ranking"><thead><tr>${headerCells(columns, state.sweepSort)}</tr></thead>
    <tbody>${body}</tbody></table></div>`;
}

function familyTables(report) {
  const families = report.family_best.map((f) => `<tr><td>${esc(f.schedule)}</td><td class="num">${f.config}</td>
      <td class="num">${num(f.mean)}</td><td class="num">${f.ci95 ? `[${num(f.ci95[0])}, ${num(f.ci95[1])}]` : ''}</td>
      <td class="num">${f.gain_over_constant === null ? '' : (f.gain_over_constant >= 0 ? '+' : '') + num(f.gain_over_constant)}</td></tr>`).join('');
  const stable = report.sensitivity.map((s) => `<tr><td>${esc(s.schedule)}</td><td class="num">${num(s.best_lr)}</td>
      <td class="num">${num(s.stable_lr_min)} – ${num(s.stable_lr_max)}</td><td class="num">${s.lrs_tried}</td></tr>`).join('');
  return `<div class="charts"><div><h2>Each family at its best</h2><table id="families"><thead><tr><th>schedule</th>
      <th class="num">config</th><th class="num">mean</th><th class="num">95% CI</th><th class="num">vs constant</th></tr></thead>
      <tbody>${families}</tbody></table></div>
    <div><h2>Stable peak-LR range</h2><table id="stable-lr"><thead><tr><th>schedule</th><th class="num">best LR</th>
      <th class="num">within ${num(report.sensitivity.length ? report.sensitivity[0].tolerance : 0.01)} of best</th>
      <th class="num">LRs tried</th></tr></thead><tbody>${stable}</tbody></table></div></div>`;
}

function diagnosesList(report, sweepId) {
  const pending = report.diagnoses_pending
      ? `<p class="muted" id="diagnosing">Reading the curves of ${report.diagnoses_pending} finished trials to diagnose them; their findings appear here when done.</p>` : '';
  if (report.diagnoses.length === 0) return pending || '<p class="muted">No problem found in the curves.</p>';
  return pending + diagnosisItems(report, sweepId);
}

function diagnosisItems(report, sweepId) {
  return report.diagnoses.map((d) => `<div class="diagnosis"><a href="${trialUrl(sweepId, d.trial)}">trial ${d.trial}</a>
      <b>${esc(d.finding)}</b> (steps ${d.from_step}–${d.to_step}): ${esc(d.message)} <span class="muted">${esc(d.fix)}</span></div>`).join('');
}

function trialTable(data, sweepId) {
  const q = state.trialQuery;
  const columns = [['trial', 'trial', 'num'], ['config', 'config', 'num'], ['state', 'state'],
                   ['score', 'score', 'num'], ['step', 'step', 'num'], ['lr', 'LR', 'num'],
                   ['updated', 'updated']];
  const sort = {key: q.sort, asc: q.order !== 'desc'};
  const rows = data.trials.map((t) => `<tr><td class="num"><a href="${trialUrl(sweepId, t.trial)}">#${t.trial}</a></td>
      <td class="num">${t.config}</td><td>${stateTag(t.state)}${t.reason ? ` <span class="muted">${esc(t.reason)}</span>` : ''}</td>
      <td class="num">${num(t.score)}</td><td class="num">${t.step}/${t.total_steps}</td><td class="num">${num(t.lr)}</td>
      <td>${t.updated_ms ? esc(new Date(t.updated_ms).toLocaleTimeString()) : ''}</td></tr>`).join('');
  const last = Math.min(q.offset + q.limit, data.total);
  return `<div class="toolbar"><select id="trial-state"><option value="">every state</option>
      ${['PENDING', 'RUNNING', 'COMPLETED', 'DIVERGED', 'FAILED', 'STOPPED', 'PREEMPTED', 'CANCELLED'].map((s) => `<option ${s === q.state ? 'selected' : ''}>${s}</option>`).join('')}</select>
      <button id="trials-prev" ${q.offset === 0 ? 'disabled' : ''}>◀</button>
      <span class="muted">${data.total ? q.offset + 1 : 0}–${last} of ${data.total}</span>
      <button id="trials-next" ${last >= data.total ? 'disabled' : ''}>▶</button></div>
    <table id="trials"><thead><tr>${headerCells(columns, sort)}</tr></thead><tbody>${rows}</tbody></table>`;
}

function bindTrialTable() {
  const q = state.trialQuery;
  const table = document.getElementById('trials');
  table.querySelectorAll('th.sortable').forEach((th) => th.addEventListener('click', () => {
    if (q.sort === th.dataset.key) q.order = q.order === 'desc' ? 'asc' : 'desc';
    else { q.sort = th.dataset.key; q.order = th.dataset.key === 'score' ? '' : 'asc'; }
    q.offset = 0;
    refresh();
  }));
  document.getElementById('trial-state').addEventListener('change', (e) => { q.state = e.target.value; q.offset = 0; refresh(); });
  document.getElementById('trials-prev').addEventListener('click', () => { q.offset = Math.max(0, q.offset - q.limit); refresh(); });
  document.getElementById('trials-next').addEventListener('click', () => { q.offset += q.limit; refresh(); });
}

function sweepCharts(report, curves, sweepId) {
  const scored = report.ranking.filter((r) => r.mean !== null);
  chart('chart-lr', {
    data: {values: scored.map((r) => ({peak_lr: r.peak_lr, mean: r.mean, schedule: r.schedule, config: r.config}))},
    mark: {type: 'line', point: true},
    encoding: {x: {field: 'peak_lr', type: 'quantitative', scale: {type: 'log'}, title: 'peak LR'},
               y: {field: 'mean', type: 'quantitative', scale: {zero: false}, title: report.metric.name},
               color: {field: 'schedule', type: 'nominal'},
               tooltip: [{field: 'config'}, {field: 'schedule'}, {field: 'peak_lr'}, {field: 'mean'}]}});
  const points = [];
  for (const c of curves.curves) for (const [step, value] of c.points) points.push({trial: c.trial, schedule: c.schedule, step, value});
  chart('chart-curves', {
    data: {values: points},
    params: [{name: 'pick', select: {type: 'point', fields: ['trial'], on: 'mouseover', clear: 'mouseout'}}],
    mark: {type: 'line', strokeWidth: 1.5},
    encoding: {x: {field: 'step', type: 'quantitative'},
               y: {field: 'value', type: 'quantitative', scale: {zero: false}, title: curves.metric},
               color: {field: 'schedule', type: 'nominal'}, detail: {field: 'trial'},
               opacity: {condition: {param: 'pick', empty: true, value: 0.9}, value: 0.12},
               href: {field: 'url'},
               tooltip: [{field: 'trial'}, {field: 'schedule'}, {field: 'step'}, {field: 'value'}]},
    transform: [{calculate: `'${sweepUrl(sweepId)}/trials/' + datum.trial`, as: 'url'}]});
  parallelCoordinates(report, scored);
  if (report.parameter_importance && report.parameter_importance.length) {
    chart('chart-importance', {
      data: {values: report.parameter_importance.map((p) => ({...p, percent: 100 * p.importance}))},
      mark: 'bar',
      encoding: {y: {field: 'parameter', type: 'nominal', sort: '-x', title: null},
                 x: {field: 'percent', type: 'quantitative', scale: {domain: [0, 100]}, title: '% of the score\'s variance explained'},
                 tooltip: [{field: 'parameter'}, {field: 'percent', format: '.1f'}, {field: 'groups', title: 'values'},
                           {field: 'best_group', title: 'best value'}, {field: 'best_group_mean', title: 'its mean'}]}});
  }
  if (report.successive_halving) {
    // A configuration's line ends at the highest rung it reached.
    const top = {};
    for (const r of report.successive_halving.rungs) for (const c of r.scores) top[c.config] = r.rung;
    const values = [];
    for (const r of report.successive_halving.rungs) {
      for (const c of r.scores) values.push({rung: r.rung, fraction: r.fraction, config: c.config, mean: c.mean, reached: 'rung ' + top[c.config]});
    }
    chart('chart-rungs', {data: {values}, mark: {type: 'line', point: true},
      encoding: {x: {field: 'fraction', type: 'quantitative', scale: {type: 'log'}, title: 'fraction of the full run (rung)'},
                 y: {field: 'mean', type: 'quantitative', scale: {zero: false}, title: report.metric.name},
                 detail: {field: 'config'}, color: {field: 'reached', type: 'ordinal', title: 'reached'},
                 tooltip: [{field: 'config'}, {field: 'rung'}, {field: 'mean', title: report.metric.name}]}});
  }
  if (report.range_tests) {
    const values = [];
    for (const t of report.range_tests) for (const p of t.curve) values.push({setup: `trial ${t.trial}: ${t.setup}`, lr: p.lr, smoothed: p.smoothed});
    chart('chart-range', {data: {values}, mark: 'line',
      encoding: {x: {field: 'lr', type: 'quantitative', scale: {type: 'log'}, title: 'learning rate'},
                 y: {field: 'smoothed', type: 'quantitative', scale: {zero: false}, title: 'smoothed loss'},
                 color: {field: 'setup', type: 'nominal'}}});
  }
}

// One line per scored configuration across its varying parameters and its score, each axis
// scaled to [0, 1]: a numeric parameter spread over decades on a log scale, a categorical one by
// the order of its values. The tooltip shows the real values.
function parallelCoordinates(report, scored) {
  const keys = [...new Set(scored.flatMap((r) => Object.keys(r.params || {})))]
      .filter((k) => new Set(scored.map((r) => JSON.stringify((r.params || {})[k]))).size > 1);
  if (!keys.length || scored.length < 2) return;
  const position = {};
  const labels = [];  // each axis's ends (numeric) or values (categorical), where they sit
  for (const k of keys) {
    const values = scored.map((r) => (r.params || {})[k]);
    const numeric = values.every((v) => typeof v === 'number');
    if (numeric) {
      const log = values.every((v) => v > 0) && Math.max(...values) / Math.min(...values) > 20;
      const f = (v) => (log ? Math.log10(v) : v);
      const lo = Math.min(...values.map(f)), hi = Math.max(...values.map(f));
      position[k] = (v) => (typeof v === 'number' && hi > lo ? (f(v) - lo) / (hi - lo) : 0.5);
      labels.push({axis: k, y: 0, label: num(Math.min(...values), 3)}, {axis: k, y: 1, label: num(Math.max(...values), 3) + (log ? ' (log)' : '')});
    } else {
      const order = [...new Set(values.map((v) => JSON.stringify(v === undefined ? null : v)))].sort();
      position[k] = (v) => (order.length > 1 ? order.indexOf(JSON.stringify(v === undefined ? null : v)) / (order.length - 1) : 0.5);
      order.forEach((v, i) => labels.push({axis: k, y: order.length > 1 ? i / (order.length - 1) : 0.5, label: v === 'null' ? '(absent)' : JSON.parse(v)}));
    }
  }
  const means = scored.map((r) => r.mean);
  const lo = Math.min(...means), hi = Math.max(...means);
  const metric = report.metric.name;
  labels.push({axis: metric, y: 0, label: num(lo, 4)}, {axis: metric, y: 1, label: num(hi, 4)});
  const values = [];
  for (const r of scored) {
    const text = params(r.params);
    for (const k of keys) values.push({config: r.config, axis: k, y: position[k]((r.params || {})[k]), raw: JSON.stringify((r.params || {})[k] ?? null), mean: r.mean, text});
    values.push({config: r.config, axis: metric, y: hi > lo ? (r.mean - lo) / (hi - lo) : 0.5, raw: String(r.mean), mean: r.mean, text});
  }
  const axes = [...keys, metric];
  chart('chart-parallel', {
    data: {values},
    layer: [
      {mark: {type: 'rule', color: '#bbb'}, encoding: {x: {field: 'axis', type: 'nominal', sort: axes}}},
      {params: [{name: 'line', select: {type: 'point', fields: ['config'], on: 'mouseover', clear: 'mouseout'}}],
       mark: {type: 'line', strokeWidth: 1.5},
       encoding: {x: {field: 'axis', type: 'nominal', sort: axes, title: null},
                  y: {field: 'y', type: 'quantitative', axis: null, scale: {domain: [0, 1]}},
                  detail: {field: 'config'},
                  color: {field: 'mean', type: 'quantitative', title: metric,
                          scale: {scheme: 'viridis', reverse: report.metric.goal === 'minimize'}},
                  opacity: {condition: {param: 'line', empty: true, value: 0.85}, value: 0.1},
                  tooltip: [{field: 'config'}, {field: 'text', title: 'parameters'}, {field: 'mean', title: metric}]}},
      {data: {values: labels}, mark: {type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#444'},
       encoding: {x: {field: 'axis', type: 'nominal', sort: axes}, y: {field: 'y', type: 'quantitative'}, text: {field: 'label'}}},
    ]});
}

async function renderSweep(id) {
  const [page, curves, trials] = await Promise.all([
    api('/sweeps/' + encodeURIComponent(id)),
    api(`/sweeps/${encodeURIComponent(id)}/curves?points=150&metric=${state.curveMetric}`),
    api(`/sweeps/${encodeURIComponent(id)}/trials?` + new URLSearchParams(
        Object.entries(state.trialQuery).filter(([, v]) => v !== ''))),
  ]);
  const s = page.sweep, report = page.report;
  const metrics = ['train_loss', 'val_loss', 'val_accuracy', 'test_accuracy', 'lr'];
  const restoreTyping = keepTyping(['add-tag', 'note']);
  main().innerHTML = `<h1>${esc(s.name)} ${stateTag(s.state)}</h1>
    <div class="muted">${esc(s.id)} · ${esc(s.file)} · ${esc(s.metric.name)} (${esc(s.metric.goal)})${s.archived_ms ? ` · archived ${esc(new Date(s.archived_ms).toLocaleString())}: checkpoints deleted` : ''}</div>
    <form id="labels" class="toolbar"><span id="tags">${tagChips(s.tags, true)}</span>
      <input id="add-tag" placeholder="add tags (a,b)" size="16">
      <input id="note" placeholder="a note about this sweep" size="48" value="${esc(s.note)}">
      <button type="submit">Save</button></form>
    <div class="cards">
      <div class="card"><div class="label">progress</div><div class="value">${bar(s.progress)}</div></div>
      <div class="card"><div class="label">trials finished</div><div class="value">${s.finished} / ${s.trials}</div></div>
      <div class="card"><div class="label">best so far</div><div class="value">${s.best ? `${num(s.best.score)} <a href="${trialUrl(s.id, s.best.trial)}">#${s.best.trial}</a>` : '–'}</div></div>
      <div class="card"><div class="label">failed or diverged</div><div class="value">${s.failures}</div></div>
      <div class="card"><div class="label">ETA</div><div class="value">${duration(s.eta_seconds) || '–'}</div></div>
      ${s.state === 'RUNNING' ? '<div class="card"><button class="danger" id="cancel">Cancel sweep…</button></div>' : ''}
      ${retryable(s) && !s.archived_ms ? `<div class="card"><button id="retry">Retry ${retryable(s)} trials…</button></div>` : ''}
      ${s.state !== 'RUNNING' && !s.archived_ms ? '<div class="card"><button id="archive">Archive…</button></div>' : ''}
      ${s.state !== 'RUNNING' ? '<div class="card"><button class="danger" id="delete">Delete…</button></div>' : ''}
    </div>
    <div class="verdict" id="verdict">${esc(report.significance.note) || 'Not enough scored configurations to compare yet.'}</div>
    <h2>Ranking</h2>${rankingTable(report, s.id)}
    <h2>Charts</h2>
    <div class="charts">
      <div class="chart"><h3>${esc(report.metric.name)} vs peak LR, per family</h3><div id="chart-lr"></div></div>
      <div class="chart"><h3>Learning curves <select id="curve-metric">${metrics.map((m) => `<option ${m === state.curveMetric ? 'selected' : ''}>${m}</option>`).join('')}</select>
        <span class="muted">hover to single out a trial, click to open it</span></h3><div id="chart-curves"></div></div>
      <div class="chart"><h3>Parallel coordinates <span class="muted">one line per configuration, colored by ${esc(report.metric.name)}</span></h3><div id="chart-parallel"></div></div>
      ${report.parameter_importance && report.parameter_importance.length ? `<div class="chart"><h3>What ${esc(report.metric.name)} depends on <span class="muted">each parameter alone, as fANOVA's main effects</span></h3><div id="chart-importance"></div></div>` : ''}
      ${report.range_tests ? '<div class="chart"><h3>LR range tests</h3><div id="chart-range"></div></div>' : ''}
    </div>
    ${halvingSection(report)}
    ${familyTables(report)}
    <h2>Diagnoses</h2>${diagnosesList(report, s.id)}
    <h2>Trials</h2>${trialTable(trials, s.id)}`;
  onSort(document.getElementById('ranking'), state.sweepSort, refresh);
  bindTrialTable();
  document.getElementById('ranking-filter').addEventListener('change', (e) => { state.rankingFilter = e.target.value; refresh(); });
  document.getElementById('curve-metric').addEventListener('change', (e) => { state.curveMetric = e.target.value; refresh(); });
  const cancel = document.getElementById('cancel');
  if (cancel) cancel.addEventListener('click', () => cancelSweep(s));
  const retry = document.getElementById('retry');
  if (retry) retry.addEventListener('click', () => retrySweep(s));
  bindHousekeeping(s);
  restoreTyping();
  sweepCharts(report, curves, s.id);
}

// Successive halving's rungs: what each trained and promoted, and each configuration's score at
// each rung it reached (drawn by sweepCharts).
function halvingSection(report) {
  const halving = report.successive_halving;
  if (!halving) return '';
  const share = halving.full_grid_steps ? (100 * halving.steps_trained / halving.full_grid_steps).toFixed(1) : '';
  const rows = halving.rungs.map((r) => `<tr><td class="num">${r.rung}</td><td class="num">${num(r.fraction, 3)}</td>
      <td class="num">${r.steps_per_trial}</td><td class="num">${r.configurations}</td><td class="num">${r.finished}</td>
      <td class="num">${r.promoted}</td><td class="num">${r.steps}</td></tr>`).join('');
  return `<h2>Successive halving</h2>
    <p class="muted">${halving.steps_trained} optimizer steps trained${share ? `, ${share}% of the ${halving.full_grid_steps} the full grid trains` : ''}.</p>
    <table id="rungs"><thead><tr><th class="num">rung</th><th class="num">fraction of the run</th><th class="num">steps per trial</th>
      <th class="num">configurations</th><th class="num">finished</th><th class="num">promoted</th><th class="num">steps</th></tr></thead>
      <tbody>${rows}</tbody></table>
    <div class="chart"><h3>Each configuration's score at each rung <span class="muted">a line ends at the highest rung it reached</span></h3><div id="chart-rungs"></div></div>`;
}

// How many trials a retry runs again: the FAILED ones, and the CANCELLED ones of an ended sweep.
function retryable(sweep) {
  const counts = sweep.counts || {};
  return (counts.FAILED || 0) + (sweep.state === 'RUNNING' ? 0 : counts.CANCELLED || 0);
}

async function retrySweep(sweep) {
  const cancelled = sweep.state !== 'RUNNING' && (sweep.counts.CANCELLED || 0) > 0;
  if (!confirm(`Run ${retryable(sweep)} ${cancelled ? 'failed and cancelled' : 'failed'} trials of ` +
               `${sweep.name} again? Each resumes from its newest checkpoint.`)) return;
  try {
    const answer = await api(`/sweeps/${encodeURIComponent(sweep.id)}/retry?cancelled=${cancelled}`,
                             {method: 'POST'});
    reportError(`${answer.retried} trials run again`);
  } catch (error) {
    reportError('retry: ' + error.message);
  }
  refresh();
}

// What is being typed into the fields `ids` (those edited since the page drew them) survives the
// redraw about to happen, focus and caret included; returns what puts it back.
function keepTyping(ids) {
  const kept = [];
  for (const id of ids) {
    const field = document.getElementById(id);
    if (!field || !field.dataset.edited) continue;
    kept.push({id, value: field.value, focused: document.activeElement === field,
               start: field.selectionStart, end: field.selectionEnd});
  }
  return () => {
    for (const k of kept) {
      const field = document.getElementById(k.id);
      if (!field) continue;
      field.value = k.value;
      field.dataset.edited = '1';
      if (k.focused) { field.focus(); field.setSelectionRange(k.start, k.end); }
    }
  };
}

// The note and tags form, the remove buttons of the tags, and archive and delete.
function bindHousekeeping(sweep) {
  const path = `/sweeps/${encodeURIComponent(sweep.id)}`;
  const label = async (query) => {
    try {
      await api(`${path}/labels?` + new URLSearchParams(query), {method: 'POST'});
    } catch (error) {
      reportError('labels: ' + error.message);
    }
    refresh();
  };
  for (const id of ['add-tag', 'note']) {
    const field = document.getElementById(id);
    field.addEventListener('input', () => { field.dataset.edited = '1'; });
  }
  document.getElementById('labels').addEventListener('submit', (event) => {
    event.preventDefault();
    label({tag: document.getElementById('add-tag').value.replace(/\s+/g, ''),
           note: document.getElementById('note').value});
  });
  document.querySelectorAll('#tags .untag').forEach((button) => button.addEventListener(
      'click', (event) => { event.preventDefault(); label({untag: button.dataset.tag}); }));
  const freed = (f) => `${f.checkpoints} checkpoints, ${bytes(f.checkpoint_bytes + f.log_bytes)} freed`;
  const archive = document.getElementById('archive');
  if (archive) archive.addEventListener('click', async () => {
    if (!confirm(`Archive ${sweep.name}? Its checkpoints are deleted; its results stay, and it can no longer be retried.`)) return;
    try {
      reportError('archived: ' + freed((await api(`${path}/archive`, {method: 'POST'})).freed));
    } catch (error) {
      reportError('archive: ' + error.message);
    }
    refresh();
  });
  const remove = document.getElementById('delete');
  if (remove) remove.addEventListener('click', async () => {
    if (!confirm(`Delete ${sweep.name} for good? Its trials, metrics, checkpoints and logs are deleted.`)) return;
    try {
      const answer = await api(`${path}/delete`, {method: 'POST'});
      reportError(`deleted ${sweep.id}: ${answer.freed.trials} trials, ${freed(answer.freed)}`);
      history.pushState(null, '', '/');
      route();
    } catch (error) {
      reportError('delete: ' + error.message);
    }
  });
}

async function cancelSweep(sweep) {
  if (!confirm(`Cancel sweep ${sweep.name}? Its unfinished trials stop and will not run.`)) return;
  try {
    const answer = await api(`/sweeps/${encodeURIComponent(sweep.id)}/cancel`, {method: 'POST'});
    reportError(`cancelled ${answer.cancelled} trials`);
  } catch (error) {
    reportError('cancel: ' + error.message);
  }
  refresh();
}

// --- Page: one trial ---

// A trial's attempts, preemptions, checkpoints and failures, oldest first; each attempt's rows
// share a shade, so where one attempt ends and the next begins shows.
function timeline(events) {
  if (!events || !events.length) return '<p class="muted">Nothing yet: the trial waits for a worker.</p>';
  const rows = events.map((e) => `<tr class="attempt-${e.attempt % 2}"><td>${esc(new Date(e.ms).toLocaleTimeString())}</td>
      <td class="num">${e.attempt}</td><td><span class="event ${esc(e.kind)}">${esc(e.kind.replace('_', ' '))}</span></td>
      <td class="num">${e.step}</td><td>${esc(e.worker)}</td><td>${esc(e.detail)}</td></tr>`).join('');
  return `<table id="timeline"><thead><tr><th>time</th><th class="num">attempt</th><th>event</th>
    <th class="num">step</th><th>worker</th><th>detail</th></tr></thead><tbody>${rows}</tbody></table>`;
}

async function renderTrial(id, number) {
  const data = await api(`/sweeps/${encodeURIComponent(id)}/trials/${number}`);
  const t = data.trial;
  const final = Object.entries(data.final_metrics || {}).map(([k, v]) => `<tr><td>${esc(k)}</td><td class="num">${num(v)}</td></tr>`).join('');
  const paramRows = Object.entries(t.params).map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(typeof v === 'object' ? JSON.stringify(v) : v)}</td></tr>`).join('');
  main().innerHTML = `<h1>Trial #${t.trial} ${stateTag(t.state)}</h1>
    <div class="muted"><a href="${sweepUrl(id)}">sweep ${esc(id)}</a> · configuration ${t.config} · seed ${t.seed} · ${esc(t.schedule)}</div>
    ${t.reason ? `<p class="notice">${esc(t.reason)}</p>` : ''}
    <div class="cards">
      <div class="card"><div class="label">step</div><div class="value">${t.step} / ${t.total_steps}</div></div>
      <div class="card"><div class="label">score</div><div class="value">${num(t.score) || '–'}</div></div>
      <div class="card"><div class="label">attempts</div><div class="value">${t.attempts}</div></div>
      <div class="card"><div class="label">preemptions</div><div class="value">${t.preemptions}</div></div>
      <div class="card"><div class="label">failures</div><div class="value">${t.failures}</div></div>
      <div class="card"><div class="label">newest checkpoint</div><div class="value">${t.checkpoint_step ? 'step ' + t.checkpoint_step : '–'}</div></div>
      ${t.worker ? `<div class="card"><div class="label">worker</div><div class="value">${esc(t.worker)}</div></div>` : ''}
    </div>
    ${t.checkpoint_error ? `<p class="notice">checkpoint: ${esc(t.checkpoint_error)}</p>` : ''}
    <div class="charts">
      <div class="chart"><h3>Curves</h3><div id="chart-trial"></div></div>
      <div class="chart"><h3>Learning rate: planned and applied</h3><div id="chart-trial-lr"></div></div>
    </div>
    <div class="charts"><div><h2>Parameters</h2><table id="params"><tbody>${paramRows}</tbody></table></div>
      <div><h2>Final metrics</h2><table id="final"><tbody>${final}</tbody></table></div></div>
    <h2>Timeline</h2>${timeline(data.events)}
    ${isCommandTrial(data.plan) ? '<h2>Output</h2><div id="log"><span class="muted">loading…</span></div>' : ''}`;
  if (isCommandTrial(data.plan)) trialLog(id, number);
  const values = [];
  for (const [metric, curve] of Object.entries(data.curves)) {
    if (metric === 'lr' || metric === 'momentum') continue;
    for (const [step, value] of curve) values.push({metric, step, value});
  }
  chart('chart-trial', {data: {values}, mark: 'line',
    encoding: {x: {field: 'step', type: 'quantitative'}, y: {field: 'value', type: 'quantitative', scale: {zero: false}},
               color: {field: 'metric', type: 'nominal'}, tooltip: [{field: 'metric'}, {field: 'step'}, {field: 'value'}]}});
  const lr = [];
  for (const [step, value] of data.planned_lr || []) lr.push({which: 'planned', step, value});
  for (const [step, value] of data.curves.lr || []) lr.push({which: 'applied', step, value});
  // The planned LR wide and pale under the applied one: where they agree, one line shows.
  chart('chart-trial-lr', {data: {values: lr}, mark: 'line',
    encoding: {x: {field: 'step', type: 'quantitative'}, y: {field: 'value', type: 'quantitative', title: 'LR'},
               color: {field: 'which', type: 'nominal', scale: {domain: ['planned', 'applied'], range: ['#9ecae9', '#08519c']}},
               strokeWidth: {field: 'which', type: 'nominal', scale: {domain: ['planned', 'applied'], range: [6, 1.5]}, legend: null},
               order: {field: 'which', sort: 'descending'},
               tooltip: [{field: 'which'}, {field: 'step'}, {field: 'value'}]}});
}

function isCommandTrial(plan) {
  return Boolean(plan && plan.train && plan.train.command);
}

// A command trial's output (its last 64 KiB), one attempt at a time.
async function trialLog(id, number, attempt = state.logAttempt[`${id}/${number}`] || 0) {
  const element = document.getElementById('log');
  if (!element) return;
  let log;
  try {
    log = await api(`/sweeps/${encodeURIComponent(id)}/trials/${number}/log?attempt=${attempt}`);
  } catch (error) {
    element.innerHTML = `<span class="muted">${error.status === 404 ? 'No output yet.' : esc(error.message)}</span>`;
    return;
  }
  const choices = log.attempts.map((a) => `<option value="${a}" ${a === log.attempt ? 'selected' : ''}>attempt ${a}</option>`).join('');
  element.innerHTML = `<div class="muted">${log.attempts.length > 1 ? `<select id="log-attempt">${choices}</select> ` : `attempt ${log.attempt} · `}
      the last ${Math.round(log.tail_bytes / 1024)} KiB${log.truncated ? ' · the coordinator stopped keeping this attempt\'s output at its cap' : ''}
      · all of it: <code>lrsweep logs ${esc(id)} ${number} --attempt ${log.attempt}</code></div>
    <pre class="log">${esc(log.text) || '<span class="muted">(empty)</span>'}</pre>`;
  const select = document.getElementById('log-attempt');
  if (select) {
    select.addEventListener('change', (event) => {
      state.logAttempt[`${id}/${number}`] = Number(event.target.value);
      trialLog(id, number);
    });
  }
  const pre = element.querySelector('pre');
  pre.scrollTop = pre.scrollHeight;  // the newest output in view
}

// --- Page: workers ---

async function renderWorkers() {
  const data = await api('/workers');
  const now = Date.now();
  const rows = data.workers.map((w) => `<tr><td>${esc(w.name)}<div class="muted">${esc(w.id)}</div></td>
      <td>${esc(w.state)}</td><td>${w.trial === null ? '' : `<a href="${trialUrl(w.sweep, w.trial)}">${esc(w.sweep)} #${w.trial}</a>`}</td>
      <td class="num">${w.trial === null ? '' : `${w.step} / ${w.total_steps}`}</td>
      <td class="num">${w.steps_per_second === null ? '' : num(w.steps_per_second, 3)}</td>
      <td class="num">${w.steps_per_second ? duration((w.total_steps - w.step) / w.steps_per_second) : ''}</td>
      <td>${esc(w.device)}</td><td class="num">${w.threads}</td>
      <td class="num">${w.last_heartbeat_ms ? duration((now - w.last_heartbeat_ms) / 1000) + ' ago' : ''}</td></tr>`).join('');
  main().innerHTML = `<h1>Workers</h1>${data.workers.length === 0 ? '<p class="muted">No worker has registered.</p>' : ''}
    <table id="workers"><thead><tr><th>worker</th><th>state</th><th>trial</th><th class="num">step</th>
    <th class="num">steps/s</th><th class="num">trial ends in</th><th>device</th>
    <th class="num">threads</th><th class="num">last heartbeat</th></tr></thead><tbody>${rows}</tbody></table>`;
}

// --- Routing and live updates ---

// One render at a time: a refresh asked for while one runs is done once, after it, so charts are
// never drawn into a page that a newer render already replaced.
let rendering = null;
let again = false;

async function renderOnce() {
  try {
    await state.render();
  } catch (error) {
    if (error.status === 401 || error.status === 403) showLogin(error.message);
    else if (error.status === 404) main().innerHTML = `<h1>Not found</h1><p>${esc(error.message)}</p>`;
    else reportError(error.message);
  } finally {
    document.body.dataset.rendered = 'true';
  }
}

async function refresh() {
  if (!state.render) return;
  if (rendering) { again = true; return rendering; }
  rendering = (async () => {
    do {
      again = false;
      await renderOnce();
    } while (again);
  })();
  try { await rendering; } finally { rendering = null; }
}

function route() {
  const path = location.pathname;
  let match;
  document.querySelectorAll('[data-nav]').forEach((a) => a.classList.toggle('active',
      (a.dataset.nav === 'workers') === path.startsWith('/workers')));
  if ((match = /^\/sweeps\/([^/]+)\/trials\/(\d+)$/.exec(path))) {
    state.render = () => renderTrial(decodeURIComponent(match[1]), Number(match[2]));
  } else if ((match = /^\/sweeps\/([^/]+)$/.exec(path))) {
    state.render = () => renderSweep(decodeURIComponent(match[1]));
  } else if (path === '/workers') {
    state.render = renderWorkers;
  } else {
    state.render = renderSweeps;
  }
  return refresh();
}

async function followChanges() {
  const live = document.getElementById('live');
  for (;;) {
    try {
      const seen = state.version;
      const answer = await api(`/changes?since=${seen}`);
      live.classList.remove('off');
      if (answer.version > seen) {
        // A live redraw would wipe a note or tag being typed: it waits until the field is left.
        const field = document.activeElement;
        if (field && field.tagName === 'INPUT' && field.closest('#labels')) {
          await new Promise((resolve) => field.addEventListener('blur', resolve, {once: true}));
        }
        await refresh();
        // Metric reports change the sweep many times a second: redraw at most once a second.
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    } catch (error) {
      live.classList.add('off');
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

readToken();
route().then(() => {
  loadVega().catch(() => {});  // ready by the time a page with charts is opened
  followChanges();
});
