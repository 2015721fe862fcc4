// procpool dashboard: a client of the admin API on the host that served it, nothing else.
// Live from GET /events (SSE), the status re-read on each event and every few seconds, the recent
// past from GET /history. Every text from the manager goes in with textContent, never as HTML.
'use strict';

const POLL_MS = 5000;
const WINDOW_MS = 15 * 60 * 1000;
const EVENTS_SHOWN = 200;

const $ = (id) => document.getElementById(id);
const state = {
  services: {},     // name -> short status
  details: {},      // name -> GET /status/NAME (min, max, route), read once per service and after a reload
  samples: {},      // name -> [{t, ready, desired, latency_ms, restarts}], the last 15 minutes
  usage: {},        // "service:port" -> {cpu, rss, at}
  gateway: {},      // service -> {requests, errors}: the gateway's counts so far (5xx as errors)
  cpuPrev: {},      // "service:port" -> {pid, cpu, at}, for a CPU rate
  busy: new Set(),  // services with an action under way
  events: [],
  log: null,        // {service, port, end, timer}
  refreshTimer: null,
  transitions: 0,   // transitions received so far: a status read older than the latest one is not drawn
};

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

// ---- talking to the manager ----

async function getJson(path) {
  const r = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
  return r.json();
}

function token() { return sessionStorage.getItem('procpool.token'); }

/** POSTs an operation; on a 401 asks for the token (saying when the one given was wrong) and tries again with it. */
async function post(path) {
  for (;;) {
    const headers = { 'X-Procpool-Request': '1', Accept: 'application/json' };
    const given = token();
    if (given) headers.Authorization = 'Bearer ' + given;
    const r = await fetch(path, { method: 'POST', headers });
    let body;
    try { body = await r.json(); } catch (e) { body = { error: 'HTTP ' + r.status }; }
    if (r.status !== 401) return { ok: r.ok, status: r.status, body };
    if (given) sessionStorage.removeItem('procpool.token');
    const why = given ? 'Wrong token: the manager refused it. Enter the admin token (pool.admin.token) again.' : null;
    if (!(await askToken(why))) return { ok: false, status: 401, body };
  }
}

function askToken(why) {
  const d = $('token-dialog');
  $('token-text').textContent = why || 'This manager needs its admin token (pool.admin.token) for changes. It is kept for this tab only.';
  $('token-input').value = '';
  return new Promise((resolve) => {
    d.addEventListener('close', () => {
      const v = $('token-input').value.trim();
      if (d.returnValue === 'ok' && v) { sessionStorage.setItem('procpool.token', v); resolve(true); }
      else resolve(false);
    }, { once: true });
    d.showModal();
  });
}

function confirmAction(text) {
  const d = $('confirm');
  $('confirm-text').textContent = text;
  return new Promise((resolve) => {
    d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true });
    d.returnValue = '';
    d.showModal();
    $('confirm-ok').focus();
  });
}

/** Runs an operation: confirm, disable the service's buttons while it runs, show its answer. */
async function act(service, what, path) {
  const resultOf = () => (service ? document.querySelector(`[data-result="${CSS.escape(service)}"]`) : $('global-result'));
  // The last answer goes at once: the confirmation closes a task later, and until then the old
  // answer would read as this action's.
  show(resultOf(), '', '');
  if (!(await confirmAction(what + '?'))) return;
  const key = service || '*';
  state.busy.add(key);
  render();
  show(resultOf(), what + '…', '');
  try {
    const r = await post(path);
    const text = r.ok ? (r.body.message || r.body.result || 'done')
      : [r.body.error, typeof r.body.detail === 'string' ? r.body.detail : Array.isArray(r.body.detail) ? r.body.detail.join('; ') : null]
        .filter(Boolean).join(': ');
    show(resultOf(), text, r.ok ? 'ok' : 'error');
    if (path === '/reload' && r.ok) state.details = {};
  } catch (e) {
    show(resultOf(), 'no answer from the manager: ' + e.message, 'error');
  } finally {
    state.busy.delete(key);
    render();
    refresh();
  }
}
const lastResults = {};

/** Shows an action's outcome; kept, since the next render draws the service again. */
function show(node, text, cls) {
  if (!node) return;
  node.textContent = text;
  node.className = 'result ' + cls;
  lastResults[node.dataset.result || '*'] = { text, cls };
}

// ---- reading the pool ----

async function refresh() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(refresh, POLL_MS);
  try {
    const asked = state.transitions;
    const s = await getJson('/status');
    // A transition that came while this answer was on its way is newer than it: drawing the
    // answer would put the row back in its older state (seen by hand: HEALTHY, then STARTING
    // again for a moment). The refresh that transition asked for follows.
    if (state.transitions !== asked) return;
    state.services = s.services;
    await Promise.all(Object.keys(s.services).filter((n) => !state.details[n])
      .map((n) => getJson('/status/' + encodeURIComponent(n)).then((d) => { state.details[n] = d; }).catch(() => {})));
    const now = Date.now();
    for (const [name, svc] of Object.entries(s.services)) addSample(name, sampleOf(now, svc, name));
    connected(true);
    render();
  } catch (e) {
    connected(false);
  }
}

/** A refresh soon, one for a burst of events. */
function refreshSoon() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(refresh, 100);
}

function sampleOf(t, svc, name) {
  const routed = state.details[name] && state.details[name].route;
  const g = state.gateway[name] || { requests: 0, errors: 0 };
  const lat = svc.instances.map((i) => i.health && i.health.last_latency_ms).filter((x) => typeof x === 'number');
  return {
    t, desired: svc.desired,
    ready: svc.instances.filter((i) => i.state === 'HEALTHY' || i.state === 'RUNNING').length,
    latency_ms: lat.length ? Math.max(...lat) : null,
    restarts: svc.instances.reduce((a, i) => a + i.restarts, 0),
    requests: routed ? g.requests : null, errors: routed ? g.errors : null,
  };
}

function addSample(name, s) {
  const list = state.samples[name] || (state.samples[name] = []);
  list.push(s);
  while (list.length && list[0].t < s.t - WINDOW_MS) list.shift();
}

/**
 * The recent past: read at the start, and again once the live stream has opened, since an event
 * between the first read and the stream's start would be in neither (a crash in the second the
 * page takes to connect, on a busy machine). An event that came both ways is shown once.
 */
async function loadHistory() {
  try {
    const h = await getJson('/history');
    for (const [name, list] of Object.entries(h.services)) {
      const live = (state.samples[name] || []).filter((s) => !list.length || s.t > list[list.length - 1].t);
      state.samples[name] = list.concat(live);
    }
    mergeEvents(h.events.map((e) => Object.assign({ type: e.type }, e)));
  } catch (e) { /* the live view goes on without the past */ }
}

/** {@code past} (oldest first) among the events shown: each once, newest first. */
function mergeEvents(past) {
  const key = (e) => JSON.stringify(e);
  const shown = new Set(state.events.map(key));
  const all = state.events.concat(past.filter((e) => !shown.has(key(e))).reverse());
  // Stable: events of the same millisecond keep the order they came in.
  all.sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
  state.events = all.slice(0, EVENTS_SHOWN);
}

/** CPU (a rate between two reads of the same pid) and RSS per instance, from the Prometheus text. */
async function loadUsage() {
  try {
    const r = await fetch('/metrics', { cache: 'no-store' });
    const text = await r.text();
    const now = performance.now();
    const re = /^(procpool_instance_cpu_seconds_total|procpool_instance_rss_bytes)\{([^}]*)\}\s+(\S+)/;
    const fresh = {};
    const gateway = {};
    for (const line of text.split('\n')) {
      const g = /^procpool_gateway_requests_total\{([^}]*)\}\s+(\S+)/.exec(line);
      if (g) {
        const labels = {};
        for (const l of g[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
        const c = gateway[labels.service] || (gateway[labels.service] = { requests: 0, errors: 0 });
        c.requests += Number(g[2]);
        if ((labels.code || '').startsWith('5')) c.errors += Number(g[2]);
      }
      const m = re.exec(line);
      if (!m) continue;
      const labels = {};
      for (const l of m[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
      const key = labels.service + ':' + labels.port;
      const u = fresh[key] || (fresh[key] = {});
      if (m[1].endsWith('rss_bytes')) u.rss = Number(m[3]); else u.cpuSeconds = Number(m[3]);
    }
    for (const [key, u] of Object.entries(fresh)) {
      const [svc, port] = key.split(':');
      const inst = ((state.services[svc] || {}).instances || []).find((i) => String(i.port) === port);
      const prev = state.cpuPrev[key];
      if (inst && prev && prev.pid === inst.pid && now > prev.at && u.cpuSeconds >= prev.cpu) {
        u.cpu = (u.cpuSeconds - prev.cpu) / ((now - prev.at) / 1000);
      }
      if (inst) state.cpuPrev[key] = { pid: inst.pid, cpu: u.cpuSeconds, at: now };
    }
    state.usage = fresh;
    state.gateway = gateway;
    render();
  } catch (e) { /* CPU and RSS stay blank */ }
  setTimeout(loadUsage, POLL_MS);
}

// ---- live ----

function connected(up) {
  const c = $('conn');
  c.textContent = up ? 'live' : 'disconnected';
  c.className = 'conn ' + (up ? 'live' : 'lost');
  const b = $('banner');
  b.hidden = up;
  if (!up) b.textContent = 'Lost the connection to the manager. Reconnecting by itself; what is shown may be out of date.';
}

function listen() {
  const es = new EventSource('/events');
  let first = true;
  es.onopen = () => {
    connected(true);
    refresh();
    if (first) {
      first = false;
      loadHistory().then(renderEvents);
    }
  };
  // EventSource reconnects by itself after a dropped connection, but gives up for good on an
  // answer that is not a stream (a manager shutting down): then start a new one.
  es.onerror = () => {
    connected(false);
    if (es.readyState === EventSource.CLOSED) setTimeout(listen, 2000);
  };
  es.addEventListener('transition', (m) => onTransition(JSON.parse(m.data)));
  es.addEventListener('operation', (m) => { addEvent('operation', JSON.parse(m.data)); renderEvents(); refreshSoon(); });
  es.addEventListener('scaling', (m) => { addEvent('scaling', JSON.parse(m.data)); renderEvents(); refreshSoon(); });
}

/** Shows the new state in the row at once; the rest of the row comes with the refresh that follows. */
function onTransition(e) {
  state.transitions++;
  addEvent('transition', e);
  renderEvents();
  const svc = state.services[e.service];
  const inst = svc && svc.instances.find((i) => i.port === e.port);
  if (inst) {
    inst.state = e.to;
    inst.reason = e.reason;
    // No live process after these (their events name the pid that exited), and none yet when
    // STARTING's event has none: a blank pid, never the dead one.
    if (['BACKOFF', 'FAILED', 'STOPPED'].includes(e.to)) inst.pid = null;
    else if (e.to === 'STARTING' || e.pid !== null) inst.pid = e.pid;
    render();
  }
  refreshSoon();
}

function addEvent(type, e) {
  state.events.unshift(Object.assign({ type }, e));
  if (state.events.length > EVENTS_SHOWN) state.events.pop();
}

function describe(e) {
  if (e.type === 'transition') return `${e.service}:${e.port} ${e.from} → ${e.to}${e.pid ? ' (pid ' + e.pid + ')' : ''}: ${e.reason}`;
  if (e.type === 'scaling') return `${e.service} scaled ${e.from} → ${e.to}: ${e.reason}`;
  return `${e.service} ${e.operation}: ${e.result}${e.message ? ': ' + e.message : ''}`;
}

// ---- drawing ----

const STATE_CLASS = {
  HEALTHY: 's-ok', RUNNING: 's-ok', STARTING: 's-warn', BACKOFF: 's-warn', STOPPING: 's-warn', WAITING: 's-warn',
  DEGRADED: 's-warn', UNHEALTHY: 's-bad', FAILED: 's-bad', STOPPED: 's-off', DISABLED: 's-off',
};
function badge(s) { return el('span', { class: 'state ' + (STATE_CLASS[s] || 's-off') }, s); }

function duration(ms) {
  if (ms === null || ms === undefined) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm' + String(s % 60).padStart(2, '0') + 's';
  return Math.floor(s / 3600) + 'h' + String(Math.floor(s / 60) % 60).padStart(2, '0') + 'm';
}
function bytes(n) {
  if (n === undefined || Number.isNaN(n)) return '-';
  return n >= 1 << 30 ? (n / (1 << 30)).toFixed(1) + ' GiB' : n >= 1 << 20 ? (n / (1 << 20)).toFixed(1) + ' MiB' : Math.round(n / 1024) + ' KiB';
}

function render() {
  const root = $('services');
  const focused = document.activeElement && document.activeElement.id;
  const names = Object.keys(state.services);
  root.replaceChildren(...names.map(renderService));
  if (focused && $(focused)) $(focused).focus();
  const f = $('event-filter');
  const chosen = f.value;
  f.replaceChildren(el('option', { value: '' }, 'all'), ...names.map((n) => el('option', { value: n }, n)));
  f.value = chosen;
  $('reload').disabled = state.busy.has('*');
}

function renderService(name) {
  const svc = state.services[name];
  const d = state.details[name] || {};
  const busy = state.busy.has(name);
  const ready = svc.instances.filter((i) => i.state === 'HEALTHY' || i.state === 'RUNNING').length;
  const range = d.min_processes !== undefined ? ` (min..max ${d.min_processes}..${d.max_processes})` : '';
  const id = (what) => `${what}-${name}`;
  // The same input across renders: what is typed, the focus and the caret stay where they were.
  let scale = document.getElementById(id('scale-n'));
  if (!scale) {
    scale = el('input', { type: 'number', id: id('scale-n'), 'aria-label': 'instances of ' + name });
    scale.addEventListener('input', () => { scale.dataset.edited = '1'; });
  }
  if (d.min_processes !== undefined) { scale.min = d.min_processes; scale.max = d.max_processes; }
  scale.disabled = busy;
  if (!scale.dataset.edited) scale.value = svc.desired;
  const button = (label, what, path) => el('button', { type: 'button', class: 'act', id: id(label.toLowerCase()), disabled: busy,
    onclick: () => act(name, what, path) }, label);
  const q = encodeURIComponent(name);
  const last = lastResults[name];
  return el('section', { class: 'card service', 'data-service': name, 'aria-label': 'service ' + name },
    el('header', {},
      el('h2', {}, name), badge(svc.state),
      el('span', { class: 'counts' }, `ready ${ready} of ${svc.desired} desired${range}`),
      d.route ? el('span', { class: 'counts' }, 'gateway ' + (d.route.host ? d.route.host : '') + d.route.path_prefix) : null,
      svc.operation ? el('span', { class: 'counts' }, svc.operation) : null),
    el('div', { class: 'actions' },
      button('Restart', 'Rolling restart of ' + name, `/services/${q}/restart`),
      button('Stop', 'Stop every instance of ' + name, `/services/${q}/stop`),
      button('Start', 'Start ' + name, `/services/${q}/start`),
      scale,
      el('button', { type: 'button', class: 'act', id: id('scale'), disabled: busy,
        onclick: () => {
          const n = scale.value;
          delete scale.dataset.edited;
          act(name, `Scale ${name} to ${n} instances`, `/services/${q}/scale?instances=${encodeURIComponent(n)}`);
        } }, 'Scale')),
    el('p', { class: 'result ' + (last ? last.cls : ''), 'data-result': name, 'aria-live': 'polite' }, last ? last.text : ''),
    chart(name),
    svc.instances.length ? instances(name, svc) : el('p', { class: 'muted' }, 'no instances'));
}

function instances(name, svc) {
  const clustered = svc.instances.some((i) => i.node);
  const head = ['Port', 'PID', 'State', 'Restarts', 'Uptime', 'Last exit', 'Probe', 'CPU', 'RSS'].concat(clustered ? ['Node'] : [], ['Reason', 'Log']);
  return el('div', { class: 'table-wrap' }, el('table', {},
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...svc.instances.map((i) => {
      const u = state.usage[name + ':' + i.port] || {};
      return el('tr', { 'data-port': i.port, 'data-state': i.state, 'data-pid': i.pid === null ? '' : i.pid },
        el('td', {}, i.port), el('td', {}, i.pid === null ? '-' : i.pid), el('td', {}, badge(i.state)),
        el('td', {}, i.restarts), el('td', {}, i.pid === null ? '-' : duration(i.uptime_ms)),
        el('td', {}, i.last_exit === null ? '-' : i.last_exit),
        el('td', {}, i.health && i.health.last_latency_ms !== null ? i.health.last_latency_ms.toFixed(1) + ' ms' : '-'),
        el('td', {}, u.cpu === undefined ? '-' : (u.cpu * 100).toFixed(1) + '%'), el('td', {}, bytes(u.rss)),
        clustered ? el('td', {}, i.node || '-') : null,
        el('td', { class: 'reason' }, i.reason || ''),
        // An id, so a redraw keeps the keyboard's focus on it (render() restores focus by id).
        el('td', {}, el('button', { type: 'button', id: `log-${name}-${i.port}`, 'aria-label': `log of ${name}:${i.port}`,
          onclick: () => openLog(name, i.port) }, 'Log')));
    }))));
}

/**
 * The last 15 minutes: the slowest probe as a line, requests/s through the gateway as a second
 * line on its own scale, a restart as a red tick, a span with 5xx answers as a dot. Hand-drawn
 * SVG: no chart library fits the page's weight budget, and this is all it draws.
 */
function chart(name) {
  const list = (state.samples[name] || []).filter((s) => s.t >= Date.now() - WINDOW_MS);
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  const W = 600, H = 48;
  const add = (tag, attrs) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    svg.append(e);
  };
  for (const [k, v] of Object.entries({ viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', class: 'chart', role: 'img' })) svg.setAttribute(k, v);
  const t0 = Date.now() - WINDOW_MS;
  const x = (t) => (((t - t0) / WINDOW_MS) * W).toFixed(1);
  const y = (v, max) => (H - 2 - (v / max) * (H - 4)).toFixed(1);
  const lats = list.map((s) => s.latency_ms).filter((v) => v !== null);
  const maxLat = Math.max(1, ...lats);
  const rates = [];
  let restarts = 0, errors = 0, lat = '';
  list.forEach((s, k) => {
    if (s.latency_ms !== null) lat += (lat ? 'L' : 'M') + x(s.t) + ' ' + y(s.latency_ms, maxLat);
    const p = list[k - 1];
    if (!p) return;
    if (s.restarts > p.restarts) {
      restarts += s.restarts - p.restarts;
      add('line', { class: 'mark', x1: x(s.t), x2: x(s.t), y1: 0, y2: H });
    }
    if (s.requests !== null && p.requests !== null && s.requests >= p.requests && s.t > p.t) {
      rates.push([s.t, (s.requests - p.requests) / ((s.t - p.t) / 1000)]);
      if (s.errors > p.errors) {
        errors += s.errors - p.errors;
        add('circle', { class: 'error', cx: x(s.t), cy: H - 4, r: 3 });
      }
    }
  });
  const maxRate = Math.max(1, ...rates.map((r) => r[1]));
  if (rates.length) add('path', { class: 'rate', d: rates.map((r, k) => (k ? 'L' : 'M') + x(r[0]) + ' ' + y(r[1], maxRate)).join('') });
  add('path', { class: 'line', d: lat || 'M0 0' });
  const routed = list.some((s) => s.requests !== null);
  const summary = `last 15 min: slowest probe up to ${lats.length ? maxLat.toFixed(1) + ' ms' : 'n/a'}, ${restarts} restart(s)`
    + (routed ? `, up to ${Math.max(0, ...rates.map((r) => r[1])).toFixed(1)} requests/s through the gateway, ${errors} 5xx` : '');
  svg.setAttribute('aria-label', name + ' ' + summary);
  return el('figure', { class: 'history' }, svg, el('figcaption', { class: 'chart-legend' },
    summary + (routed ? ' (blue: probe latency; grey: requests/s; red: restarts; dots: 5xx)' : ' (line: probe latency; red: restarts)')));
}

function renderEvents() {
  const f = $('event-filter').value;
  const shown = state.events.filter((e) => !f || e.service === f).slice(0, EVENTS_SHOWN);
  $('events').replaceChildren(...shown.map((e) => el('li', { 'data-type': e.type, 'data-service': e.service },
    el('time', { datetime: e.time }, (e.time || '').replace('T', ' ').replace(/\.\d+Z$/, 'Z')), describe(e))));
}

// ---- an instance's log, followed ----

async function openLog(service, port) {
  // Where the keyboard was, to go back there when the panel closes.
  const opener = document.activeElement && document.activeElement.id;
  closeLog();
  $('log').hidden = false;
  $('log-title').textContent = `Log of ${service}:${port}`;
  const pre = $('log-lines');
  pre.textContent = '';
  const base = `/services/${encodeURIComponent(service)}/instances/${port}/log`;
  const cur = { service, port, end: 0, timer: null, opener };
  state.log = cur;
  try {
    const first = await getJson(base + '?lines=100');
    if (state.log !== cur) return;
    pre.textContent = first.lines.join('\n');
    cur.end = first.end;
    pre.scrollTop = pre.scrollHeight;
  } catch (e) { pre.textContent = 'cannot read the log: ' + e.message; }
  const follow = async () => {
    if (state.log !== cur) return;
    try {
      const next = await getJson(base + '?after=' + cur.end);
      if (state.log !== cur) return;
      if (next.lines.length) {
        const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        pre.textContent += (pre.textContent ? '\n' : '') + next.lines.join('\n');
        if (atEnd) pre.scrollTop = pre.scrollHeight;
      }
      cur.end = next.end;
    } catch (e) { /* the instance may be gone for a moment; go on asking */ }
    cur.timer = setTimeout(follow, 1000);
  };
  cur.timer = setTimeout(follow, 1000);
  $('log').scrollIntoView({ block: 'nearest' });
  pre.focus();
}

function closeLog() {
  const was = state.log;
  if (was) clearTimeout(was.timer);
  state.log = null;
  $('log').hidden = true;
  if (was && was.opener && $(was.opener)) $(was.opener).focus();
}

// ---- start ----

document.addEventListener('DOMContentLoaded', async () => {
  $('reload').addEventListener('click', () => act(null, 'Reload the configuration file', '/reload'));
  $('token').addEventListener('click', () => askToken(null));
  $('log-close').addEventListener('click', closeLog);
  $('log').addEventListener('keydown', (e) => { if (e.key === 'Escape') closeLog(); });
  $('event-filter').addEventListener('change', renderEvents);
  await loadHistory();
  renderEvents();
  await refresh();
  listen();
  loadUsage();
});
