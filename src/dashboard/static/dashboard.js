// The operator's dashboard: one WebSocket from the server pushes the whole
// cluster's figures every second; this page keeps a short history, derives
// rates and latency quantiles from it, and updates numbers and charts in place.
const MAX_POINTS = 600;
const RATE_WINDOW_MS = 5000;
const OUTCOMES = ['reserved', 'replayed', 'sold_out', 'limit_reached', 'not_open', 'closed', 'unavailable', 'key_reused'];
const MAX_SALES = 6;

const token = new URLSearchParams(location.search).get('token') ?? '';
const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat('en');
const clock = (ms) => new Date(ms).toLocaleTimeString('en-GB');
const history = []; // recent snapshots, oldest first, for rates over RATE_WINDOW_MS
const cards = new Map(); // sale id -> { root, fields, chart, data }

function pill(el, text, tone) {
  el.textContent = text;
  el.className = `pill pill-${tone}`;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Prometheus's histogram_quantile over the bucket counts that grew between two snapshots. */
function quantile(q, now, before) {
  if (!now || !now.bounds.length) return null;
  // A sum that went down lost a dead worker's counts: clamp, as Prometheus treats a reset.
  const counts = now.counts.map((c, i) => Math.max(0, c - (before?.counts[i] ?? 0)));
  const total = counts[counts.length - 1];
  if (!(total > 0)) return null;
  const rank = q * total;
  for (let i = 0; i < now.bounds.length; i++) {
    if (counts[i] >= rank) {
      const lower = i === 0 ? 0 : now.bounds[i - 1];
      const below = i === 0 ? 0 : counts[i - 1];
      const inBucket = counts[i] - below;
      return lower + (now.bounds[i] - lower) * (inBucket > 0 ? (rank - below) / inBucket : 0);
    }
  }
  return now.bounds[now.bounds.length - 1];
}

function ms(seconds) {
  if (seconds === null) return '–';
  const value = seconds * 1000;
  return value < 1 ? `${value.toFixed(2)} ms` : value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

function duration(msValue) {
  return msValue < 10_000 ? `${(msValue / 1000).toFixed(1)} s` : msValue < 120_000 ? `${Math.round(msValue / 1000)} s` : `${Math.floor(msValue / 60_000)} min ${Math.round((msValue % 60_000) / 1000)} s`;
}

/** The snapshot about RATE_WINDOW_MS before the latest (or the oldest at least a second old), for rates and quantiles. */
function windowStart(latest) {
  let pick = null;
  for (const snap of history) {
    const age = latest.at - snap.at;
    if (age >= RATE_WINDOW_MS) pick = snap;
    else {
      if (!pick && age >= 900) pick = snap;
      break;
    }
  }
  return pick;
}

function saleStatus(sale, now) {
  if (sale.closesAt !== null && now >= sale.closesAt) return ['closed', 'muted'];
  if (sale.total === 0) return ['no tickets', 'muted'];
  if (sale.remaining <= 0) return ['sold out', 'bad'];
  if (sale.opensAt !== null && now < sale.opensAt) return ['opens ' + clock(sale.opensAt), 'info'];
  return ['selling', 'ok'];
}

function makeCard(sale) {
  const root = el('article', 'sale');
  root.dataset.sale = sale.id;
  const head = el('div', 'sale-head');
  // A train sells seats per segment: its total and remaining count seat-segments (seats x segments), its sold count tickets.
  const train = sale.train;
  head.append(el('h3', '', train ? `train ${sale.id}` : `sale ${sale.id}`));
  if (train) head.append(el('span', 'pill pill-info', `${train.stations} stops × ${fmt.format(train.seats)} seats`));
  const status = el('span', 'pill pill-muted', '');
  status.dataset.field = 'status';
  head.append(status);

  const big = el('div', 'big');
  const left = el('div');
  const remaining = el('div', 'remaining', '–');
  remaining.dataset.field = 'remaining';
  left.append(remaining, el('div', 'remaining-label', train ? 'seat-segments free' : 'tickets remaining'));
  const right = el('div');
  const selltime = el('div', 'selltime', '–');
  selltime.dataset.field = 'selltime';
  const selltimeLabel = el('div', 'selltime-label', '');
  selltimeLabel.dataset.field = 'selltime-label';
  right.append(selltime, selltimeLabel);
  big.append(left, right);

  const counts = el('div', 'counts');
  const fields = { status, remaining, selltime, selltimeLabel };
  const labels = train
    ? [['total', 'seat-segments'], ['sold', 'tickets sold (held + paid)'], ['reserved', 'held for payment'], ['paid', 'paid']]
    : [['total', 'total'], ['sold', 'sold (held + paid)'], ['reserved', 'held for payment'], ['paid', 'paid']];
  for (const [key, label] of labels) {
    const box = el('div', 'count');
    const value = el('b', '', '–');
    value.dataset.field = key;
    box.append(value, el('span', '', label));
    counts.append(box);
    fields[key] = value;
  }

  const outcomes = el('div', 'outcomes');
  outcomes.setAttribute('aria-label', 'purchases per second by outcome');
  fields.outcomes = outcomes;
  const latency = el('div', 'outcomes');
  fields.latency = latency;
  const queue = el('div', 'outcomes queue');
  queue.hidden = true;
  fields.queue = queue;

  const chartBox = el('div', 'chart');
  chartBox.setAttribute('role', 'img');
  chartBox.setAttribute('aria-label', `tickets of sale ${sale.id} over time`);
  root.append(head, big, counts, outcomes, latency, queue, chartBox);

  const data = [[], [], [], [], []];
  const chart = new uPlot(
    {
      width: 520,
      height: 200,
      series: [
        {},
        { label: train ? 'seat-segments free' : 'remaining', stroke: '#ef4e4e', width: 2 },
        { label: train ? 'tickets sold' : 'sold', stroke: '#4aa3ff', width: 2 },
        { label: 'held', stroke: '#f0b429', width: 1.5 },
        { label: 'paid', stroke: '#b083f0', width: 1.5 },
      ],
      axes: [
        { stroke: '#9aa8b6', grid: { stroke: '#2a3542' }, ticks: { stroke: '#2a3542' }, space: 70,
          // Whole seconds and up: the labels show hh:mm:ss, so a half-second step printed each second twice.
          incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600],
          values: (u, splits) => splits.map((v) => clock(v * 1000)) },
        { stroke: '#9aa8b6', grid: { stroke: '#2a3542' }, ticks: { stroke: '#2a3542' }, size: 60 },
      ],
      scales: { x: { time: true } },
      legend: { live: false },
    },
    data,
    chartBox,
  );
  const resize = () => chart.setSize({ width: Math.max(300, chartBox.clientWidth), height: 200 });
  new ResizeObserver(resize).observe(chartBox);
  return { root, fields, chart, data };
}

function renderSales(snap, before) {
  const container = $('sales');
  const shown = [...snap.sales]
    .sort((a, b) => (b.remaining > 0 && b.sold > 0) - (a.remaining > 0 && a.sold > 0) || (b.soldOutAt ?? b.firstSoldAt ?? 0) - (a.soldOutAt ?? a.firstSoldAt ?? 0) || a.id.localeCompare(b.id))
    .slice(0, MAX_SALES);
  if (shown.length && container.querySelector('.empty')) container.textContent = '';
  const wanted = new Set(shown.map((s) => s.id));
  for (const [id, card] of cards) {
    if (!wanted.has(id)) {
      card.root.remove();
      cards.delete(id);
    }
  }
  const dt = before ? (snap.at - before.at) / 1000 : 0;
  const p50 = quantile(0.5, snap.purchaseLatency, before?.purchaseLatency);
  const p99 = quantile(0.99, snap.purchaseLatency, before?.purchaseLatency);
  for (const sale of shown) {
    let card = cards.get(sale.id);
    if (!card) {
      card = makeCard(sale);
      cards.set(sale.id, card);
    }
    container.append(card.root); // keeps the sorted order
    const f = card.fields;
    const [statusText, tone] = saleStatus(sale, snap.at);
    pill(f.status, statusText, tone);
    card.root.classList.toggle('is-soldout', sale.total > 0 && sale.remaining <= 0);
    f.remaining.textContent = fmt.format(sale.remaining);
    f.remaining.style.color = sale.remaining <= 0 ? 'var(--bad)' : sale.remaining < sale.total * 0.1 ? 'var(--warn)' : 'var(--text)';
    for (const key of ['total', 'sold', 'reserved', 'paid']) f[key].textContent = fmt.format(sale[key]);
    if (sale.soldOutAt !== null && sale.firstSoldAt !== null) {
      f.selltime.textContent = duration(sale.soldOutAt - sale.firstSoldAt);
      f.selltimeLabel.textContent = `to sell out, from the first ticket (sold out at ${clock(sale.soldOutAt)})`;
    } else if (sale.firstSoldAt !== null) {
      f.selltime.textContent = duration(snap.at - sale.firstSoldAt);
      f.selltimeLabel.textContent = 'selling since the first ticket';
    } else {
      f.selltime.textContent = '–';
      f.selltimeLabel.textContent = 'no ticket sold yet';
    }
    const prev = before?.sales.find((s) => s.id === sale.id);
    const parts = OUTCOMES.filter((o) => (sale.purchases[o] ?? 0) > 0).map((o) => {
      const rate = dt > 0 && prev ? Math.max(0, (sale.purchases[o] ?? 0) - (prev.purchases[o] ?? 0)) / dt : 0;
      return `<span class="o">${o.replace('_', ' ')} <b>${fmt.format(Math.round(rate))}/s</b> (${fmt.format(sale.purchases[o])})</span>`;
    });
    f.outcomes.innerHTML = parts.length ? `<span class="o">buyers told:</span> ${parts.join('')}` : '<span class="o">no purchase yet</span>';
    const expiring = dt > 0 && prev ? Math.max(0, sale.holdsExpired - prev.holdsExpired) / dt : 0;
    f.latency.innerHTML = `<span class="o">purchase latency (all sales) p50 <b>${ms(p50)}</b></span><span class="o">p99 <b>${ms(p99)}</b></span><span class="o">holds expiring <b>${fmt.format(Math.round(expiring))}/s</b> (${fmt.format(sale.holdsExpired)})</span>`;

    if (sale.queue) {
      const q = sale.queue;
      const prevQueue = prev?.queue;
      const admitRate = dt > 0 && prevQueue ? Math.max(0, q.admitted - prevQueue.admitted) / dt : 0;
      f.queue.hidden = false;
      f.queue.innerHTML = `<span class="o">waiting room:</span><span class="o">in line <b data-field="queue-waiting">${fmt.format(q.waiting)}</b></span>` +
        `<span class="o">admitted <b data-field="queue-admitted">${fmt.format(q.admitted)}</b> of ${fmt.format(q.joined)} joined</span>` +
        `<span class="o">admitting <b>${fmt.format(Math.round(admitRate))}/s</b></span>${q.drawn ? '' : '<span class="o">pre-queue: drawn at opening</span>'}`;
    } else {
      f.queue.hidden = true;
    }

    const d = card.data;
    d[0].push(snap.at / 1000);
    d[1].push(sale.remaining);
    d[2].push(sale.sold);
    d[3].push(sale.reserved);
    d[4].push(sale.paid);
    if (d[0].length > MAX_POINTS) for (const series of d) series.shift();
    card.chart.setData(d);
    card.root.dataset.points = String(d[0].length);
  }
}

function renderWorkers(snap, before) {
  const body = $('workers');
  const totalWeight = snap.workers.reduce((sum, w) => sum + w.weight, 0);
  const totalConnections = snap.workers.reduce((sum, w) => sum + (w.connections ?? 0), 0);
  const totalRequests = snap.workers.reduce((sum, w) => sum + (w.requests ?? 0), 0);
  const share = (part, whole) => (whole > 0 ? ` (${Math.round((100 * part) / whole)}%)` : '');
  const rows = snap.workers.map((w) => {
    const tone = w.state === 'ready' ? 'ok' : w.state === 'starting' ? 'warn' : w.state === 'stopped' ? 'muted' : 'bad';
    const label = w.state === 'ready' ? 'up' : w.state;
    const allowance = Object.entries(w.allowance).map(([sale, units]) => `${sale}: ${fmt.format(units)}`).join(', ') || '–';
    const outage = w.lastOutage ? `${clock(w.lastOutage.downAt)}, ${w.lastOutage.upAt ? `down ${duration(w.lastOutage.upAt - w.lastOutage.downAt)}` : 'still down'}` : '–';
    return `<tr data-worker="${w.index}" data-state="${w.state}"><th scope="row">${w.index}</th><td><span class="pill pill-${tone} state">${label}</span></td><td>${w.pid ?? '–'}</td><td>${w.weight}${share(w.weight, totalWeight)}</td><td>${w.connections === null ? 'kernel' : fmt.format(w.connections) + share(w.connections, totalConnections)}</td><td>${w.requests === null ? '–' : fmt.format(w.requests) + share(w.requests, totalRequests)}</td><td>${w.restarts}</td><td>${allowance}</td><td>${outage}</td></tr>`;
  });
  body.innerHTML = rows.join('');
}

function renderLedger(snap, before) {
  const l = snap.ledger;
  $('ledger-kind').textContent = l.kind;
  $('ledger-where').textContent = l.description;
  $('ledger-health').innerHTML = l.healthy ? `<span class="pill pill-ok">answering</span> ping ${l.pingMs} ms` : `<span class="pill pill-bad">unavailable</span> ${l.error ?? ''}`;
  pill($('ledger-status'), `ledger ${l.healthy ? 'ok' : 'down'}`, l.healthy ? 'ok' : 'bad');
  $('ledger-latency').textContent = `${ms(quantile(0.5, l.calls, before?.ledger.calls))} / ${ms(quantile(0.99, l.calls, before?.ledger.calls))}`;
  const dt = before ? (snap.at - before.at) / 1000 : 0;
  $('ledger-rate').textContent = dt > 0 ? fmt.format(Math.round(Math.max(0, l.calls.count - before.ledger.calls.count) / dt)) : '–';
  const errors = Object.entries(l.errors).filter(([, n]) => n > 0);
  $('ledger-errors').innerHTML = errors.length ? errors.map(([kind, n]) => `<span class="pill pill-bad">${kind} ${fmt.format(n)}</span>`).join(' ') : '<span class="pill pill-ok">none</span>';
}

function render(snap) {
  history.push(snap);
  while (history.length > 2 && snap.at - history[0].at > RATE_WINDOW_MS + 2000) history.shift();
  const before = windowStart(snap);
  $('balancer').textContent = `balancer ${snap.balancer}${snap.via !== undefined ? `, this page via worker ${snap.via}` : ''}`;
  if (snap.via !== undefined) document.body.dataset.via = String(snap.via);
  $('updated').textContent = `updated ${clock(snap.at)}`;
  renderSales(snap, before);
  renderWorkers(snap, before);
  renderLedger(snap, before);
}

let retryMs = 500;
function connect() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/dashboard/live`, [`spike-admin.${token}`]);
  ws.onopen = () => {
    retryMs = 500;
    pill($('feed-status'), 'live', 'ok');
  };
  ws.onmessage = (event) => render(JSON.parse(event.data));
  ws.onclose = () => {
    // The worker holding this socket may have died: the next connection lands on another.
    pill($('feed-status'), 'reconnecting…', 'warn');
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 5000);
  };
}

if (typeof uPlot === 'undefined') addEventListener('load', connect, { once: true });
else connect();
