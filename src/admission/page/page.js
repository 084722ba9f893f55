// The buyer's page: countdown to opening, proof of work in a Web Worker,
// joining, the live place in line over the sale's WebSocket, Buy when
// admitted, then the order with its hold countdown and Pay. No framework:
// numbers are updated in place.
const saleId = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] ?? '');
const $ = (id) => document.getElementById(id);
const state = { sale: null, ticket: null, userId: null, place: null, pass: null, order: null, status: null, busy: false };

function show(id, visible) { $(id).hidden = !visible; }
function problem(text) { $('problem').textContent = text ?? ''; }
function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  seconds = Math.max(0, Math.round(seconds));
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s} s` : `${s} s`;
}

// With BUYER_AUTH on, the site's login sends the buyer here as /s/<sale>#token=<buyer token>:
// the fragment never reaches a server log; the page keeps it for this tab and sends it on every call.
const fragmentToken = new URLSearchParams(location.hash.slice(1)).get('token');
if (fragmentToken) {
  sessionStorage.setItem('spike-buyer-token', fragmentToken);
  history.replaceState(null, '', location.pathname + location.search);
}
const buyerToken = sessionStorage.getItem('spike-buyer-token');

async function api(path, options = {}) {
  const auth = buyerToken ? { authorization: `Bearer ${buyerToken}` } : {};
  const response = await fetch(path, { ...options, headers: { 'content-type': 'application/json', ...auth, ...(options.headers ?? {}) } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.error?.message ?? `HTTP ${response.status}`);
    error.code = body.error?.code;
    error.retryAfter = Number(response.headers.get('retry-after') ?? 0);
    throw error;
  }
  return body;
}

function saleFacts(sale) {
  return `${sale.total} tickets${sale.opensAt ? `, sale opens ${new Date(sale.opensAt).toLocaleString()}` : ''}.`;
}

function tickCountdown() {
  const sale = state.sale;
  if (!sale) return;
  const now = Date.now();
  const opensAt = sale.opensAt ? Date.parse(sale.opensAt) : null;
  let text;
  if (state.status?.status === 'sold_out') text = 'Sold out. Thank you for waiting.';
  else if (state.status?.status === 'closed') text = 'This sale has closed.';
  else if (opensAt && now < opensAt) text = `Opens in ${duration((opensAt - now) / 1000)}`;
  else text = 'The sale is open.';
  if ($('countdown').textContent !== text) $('countdown').textContent = text;
  if (state.order?.state === 'reserved' && state.order.expiresAt) {
    const left = (Date.parse(state.order.expiresAt) - now) / 1000;
    $('hold').textContent = left > 0 ? `Held for you for ${duration(left)}. Pay before then.` : 'Your hold has run out.';
  }
}

function renderLine() {
  const status = state.status;
  if (status) $('remaining').textContent = String(status.remaining);
  if (state.order) return;
  const ticket = state.ticket;
  if (!ticket) return;
  if (status?.status === 'sold_out' || ticket.state === 'sold_out') {
    $('line-message').textContent = 'Sold out: every ticket is taken. You can close this page.';
    show('buy', false);
    return;
  }
  if (state.place === null) {
    $('place').textContent = 'drawn at opening';
    $('ahead').textContent = '–';
    $('wait').textContent = '–';
    $('line-message').textContent = 'You are in the line. Places are drawn at random when the sale opens.';
    return;
  }
  const serving = status ? status.serving : ticket.serving;
  const ahead = Math.max(0, state.place - 1 - serving);
  $('place').textContent = String(state.place);
  if (state.pass && ticket.state === 'admitted') {
    $('ahead').textContent = '0';
    $('wait').textContent = '0 s';
    $('line-message').textContent = "It's your turn! Buy your ticket now.";
    show('buy', true);
    return;
  }
  if (ticket.state === 'pass_window_over') {
    $('line-message').textContent = 'Your turn came and went: the time to buy has passed.';
    show('buy', false);
    return;
  }
  $('ahead').textContent = String(ahead);
  const rate = status?.admitRate > 0 ? status.admitRate : null;
  $('wait').textContent = rate ? duration((ahead + 1) / rate) : duration(ticket.estimatedWaitSeconds);
  $('line-message').textContent = ahead === 0 ? 'You are next.' : 'Please keep this page open.';
}

function applyTicket(ticket) {
  state.ticket = ticket;
  state.place = ticket.place;
  state.pass = ticket.pass;
  localStorage.setItem(`spike-ticket:${saleId}`, ticket.ticket);
  localStorage.setItem('spike-user', ticket.userId);
  show('join-section', false);
  show('line-section', true);
  renderLine();
}

async function refreshTicket() {
  if (!state.ticket || state.busy) return;
  state.busy = true;
  try {
    applyTicket(await api(`/api/sales/${saleId}/queue/${encodeURIComponent(state.ticket.ticket)}`));
  } catch (error) {
    problem(error.message);
  } finally {
    state.busy = false;
  }
}

function onStatus(status) {
  state.status = status;
  // The operator may move the opening (PATCH opensAt) after this page loaded: every push carries the current one.
  if (state.sale && status.opensAt !== undefined && status.opensAt !== state.sale.opensAt) {
    state.sale.opensAt = status.opensAt;
    $('sale-facts').textContent = saleFacts(state.sale);
  }
  tickCountdown();
  const ticket = state.ticket;
  // The place is known once drawn; the pass once the serving counter passes it: ask the server only then.
  if (ticket && !state.order) {
    const needPlace = state.place === null && status.drawn;
    const reached = state.place !== null && status.serving >= state.place && !state.pass && ticket.state === 'waiting';
    if (needPlace || reached) void refreshTicket();
  }
  renderLine();
}

function watch() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/ws/sales/${saleId}`);
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === 'status' && message.saleId === saleId) onStatus(message);
  };
  // Reconnect after a drop (a worker restart), a little later each time is not needed at this scale.
  socket.onclose = () => setTimeout(watch, 1000);
}

async function solve(challenge, difficulty) {
  if (difficulty === 0) return '0';
  const worker = new Worker('/s/assets/pow-worker.js');
  try {
    return await new Promise((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data.nonce);
      worker.onerror = (event) => reject(new Error(event.message));
      worker.postMessage({ challenge, difficulty });
    });
  } finally {
    worker.terminate();
  }
}

async function join(event) {
  event.preventDefault();
  problem('');
  const userId = $('user-id').value.trim();
  const button = $('join');
  button.disabled = true;
  try {
    button.textContent = 'Checking you are not a bot…';
    const { challenge, difficulty } = await api(`/api/sales/${saleId}/queue/challenge`);
    const nonce = await solve(challenge, difficulty);
    button.textContent = 'Joining…';
    state.userId = userId;
    applyTicket(await api(`/api/sales/${saleId}/queue`, { method: 'POST', body: JSON.stringify({ userId, challenge, nonce }) }));
  } catch (error) {
    problem(error.retryAfter ? `${error.message}` : error.message);
    button.disabled = false;
    button.textContent = 'Join the line';
  }
}

function showOrder(order) {
  state.order = order;
  show('line-section', false);
  show('order-section', true);
  const paid = order.state === 'paid';
  $('order').textContent = paid ? `Paid. Your ticket is order ${order.orderId}.` : `Order ${order.orderId} is reserved for you.`;
  if (paid) $('hold').textContent = '';
  show('pay', order.state === 'reserved');
  tickCountdown();
}

async function buy() {
  problem('');
  $('buy').disabled = true;
  try {
    const key = localStorage.getItem(`spike-buy-key:${saleId}`) ?? crypto.randomUUID();
    localStorage.setItem(`spike-buy-key:${saleId}`, key);
    showOrder(await api(`/api/sales/${saleId}/purchases`, { method: 'POST', headers: { 'spike-pass': state.pass, 'idempotency-key': key }, body: JSON.stringify({ userId: state.ticket.userId }) }));
  } catch (error) {
    problem(error.message);
    $('buy').disabled = false;
  }
}

async function pay() {
  problem('');
  $('pay').disabled = true;
  try {
    showOrder(await api(`/api/orders/${state.order.orderId}/pay`, { method: 'POST', body: JSON.stringify({ userId: state.ticket.userId }) }));
  } catch (error) {
    problem(error.message);
    $('pay').disabled = false;
  }
}

async function start() {
  $('join-form').addEventListener('submit', join);
  $('buy').addEventListener('click', buy);
  $('pay').addEventListener('click', pay);
  $('user-id').value = localStorage.getItem('spike-user') ?? `guest-${Math.random().toString(36).slice(2, 8)}`;
  try {
    state.sale = await api(`/api/sales/${saleId}`);
  } catch (error) {
    $('countdown').textContent = error.message;
    show('join-section', false);
    return;
  }
  document.title = `${state.sale.name}: waiting room`;
  $('sale-name').textContent = state.sale.name;
  $('sale-facts').textContent = saleFacts(state.sale);
  tickCountdown();
  setInterval(tickCountdown, 1000);
  // A fallback for a missed push: while waiting, ask for the place now and then.
  setInterval(() => {
    if (state.ticket && !state.order && !state.pass) void refreshTicket();
  }, 5000);
  watch();
  const saved = localStorage.getItem(`spike-ticket:${saleId}`);
  if (saved) {
    state.ticket = { ticket: saved };
    await refreshTicket();
  }
}

void start();
