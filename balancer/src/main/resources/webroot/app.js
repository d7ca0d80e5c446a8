// The live page: follows the balancer's feed and sends operators' requests with the API token.
import { follow } from './feed.js';
import { MigrateDialog } from './migrate.js';
import {
  COMPACT_ABOVE, HostGrid, InFlight, decisions, drains, figures, recent, recommendations,
} from './view.js';

const TOKEN_KEY = 'virt-balancer.token';
const $ = (id) => document.getElementById(id);
const api = (path) => new URL(`../api/${path}`, window.location.href).href;

// ---- the token: from #token=… (then gone from the address bar), or typed; kept for this tab ----

function takeTokenFromAddress() {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const token = fragment.get('token');
  if (token !== null) {
    if (token.trim()) sessionStorage.setItem(TOKEN_KEY, token.trim());
    // Out of the address bar, history and any screenshot of it.
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  }
}

const token = () => sessionStorage.getItem(TOKEN_KEY) || '';

function showToken() {
  const has = token() !== '';
  $('token').hidden = has;
  $('token-use').hidden = has;
  $('token-state').hidden = !has;
  $('token-forget').hidden = !has;
  // Without a token every action button says so (style.css) and explains itself when pressed.
  document.body.dataset.token = has ? 'set' : 'none';
}

// ---- messages ----

let noticeTimer = 0;

/** A message under the top bar; errors stay until dismissed, confirmations go after a while. */
function notice(kind, text) {
  clearTimeout(noticeTimer);
  $('notice').dataset.kind = kind;
  $('notice-text').textContent = text;
  $('notice').hidden = false;
  if (kind === 'ok') noticeTimer = setTimeout(() => { $('notice').hidden = true; }, 10000);
}

function banner(text) {
  $('banner').textContent = text || '';
  $('banner').hidden = !text;
}

// ---- writes ----

/** True, with a message saying where to get one, when there is no token. */
function tokenMissing(what) {
  if (token()) return false;
  notice('error', `${what} needs the API token: enter it in the token field at the top (vbal demo prints it`
    + ' in its dashboard: line and keeps it in its demo file).');
  $('token').focus();
  return true;
}

/** Sends one request; true on 202. Every failure becomes a sentence on the page. */
async function write(method, path, body, what) {
  if (tokenMissing(what)) return false;
  let res;
  try {
    res = await fetch(api(path), {
      method,
      headers: { Authorization: `Bearer ${token()}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (e) {
    notice('error', `${what} failed: the balancer could not be reached (${e.message}); check that it runs and try again.`);
    return false;
  }
  if (res.status === 202) {
    notice('ok', `${what}: sent to the balancer; this page shows the outcome as it happens.`);
    return true;
  }
  const answer = await res.json().catch(() => null);
  const why = answer && typeof answer.error === 'string' ? answer.error : `the balancer answered HTTP ${res.status}`;
  // 504: Kafka took the write without confirming it, so it may still take effect: not "failed".
  notice('error', res.status === 504 ? `${what} not confirmed: ${why}` : `${what} failed: ${why}`);
  return false;
}

/** Disables the button while its request is out. */
async function pressing(button, request) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await request();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

// ---- automation switch ----

let pendingLevel = null;

function showAutomation(level) {
  const shown = pendingLevel && Date.now() < pendingLevel.until ? pendingLevel.level : level;
  if (shown === level) pendingLevel = null;
  for (const input of document.querySelectorAll('input[name="automation"]')) {
    const checked = input.value === shown;
    if (input.checked !== checked) input.checked = checked;
  }
  $('automation').dataset.level = level;
}

let lastView = null;

async function setAutomation(level) {
  pendingLevel = { level, until: Date.now() + 10000 };
  const ok = await write('PUT', 'automation', { level }, `Automation ${level}`);
  if (!ok) {
    pendingLevel = null;
    if (lastView) showAutomation(lastView.status.automation);
  }
}

// ---- maintenance dialog ----

let entering = null;

function askEnter(host, button) {
  entering = { host, button };
  $('enter-host').textContent = host;
  $('enter-reason').value = '';
  $('enter-dialog').showModal();
  $('enter-reason').focus();
}

async function confirmEnter() {
  const { host, button } = entering;
  const reason = $('enter-reason').value.trim();
  $('enter-dialog').close();
  await pressing(button, () => write('POST', `maintenance/${encodeURIComponent(host)}/enter`,
    reason ? { reason } : undefined, `Enter maintenance on ${host}`));
}

// ---- start ----

function start() {
  takeTokenFromAddress();
  const hosts = new HostGrid($('hosts'), $('hosts-empty'), $('hosts-shown'));
  const parts = [
    figures({
      balancer: 'balancer', hosts: 'f-hosts', overloaded: 'f-overloaded', stale: 'f-stale',
      maintenance: 'f-maintenance', guests: 'f-guests', inflight: 'f-inflight', migrations: 'f-migrations',
      imbalance: 'f-imbalance', pending: 'f-pending', taken: 'f-taken',
    }),
    hosts,
    new InFlight($('inflight'), $('inflight-empty'), $('inflight-count')),
    drains($('drains'), $('drains-empty')),
    recommendations($('recommendations'), $('recommendations-empty'), $('recommendations-count')),
    decisions($('decisions'), $('decisions-empty')),
    recent($('recent').tBodies[0], $('recent-empty')),
  ];
  const migrate = new MigrateDialog({ api, token });
  let compactChosen = false;
  let snapshots = 0;

  function draw(view) {
    const started = performance.now();
    lastView = view;
    if (!compactChosen && view.hosts.length > COMPACT_ABOVE && !hosts.compact) {
      $('compact').checked = true;
      hosts.setCompact(true);
    }
    for (const part of parts) part.render(view);
    showAutomation(view.status.automation);
    document.body.dataset.snapshots = String(++snapshots);
    // In the browser's performance timeline: how long each snapshot takes to draw.
    performance.measure('virt-balancer draw', { start: started });
  }

  const feed = follow(api('events'), {
    probeUrl: api('status'),
    token,
    onSnapshot: draw,
    onState(state, detail) {
      document.body.dataset.connection = state;
      if (state === 'live') banner('');
      else if (state === 'down') banner('Disconnected from the balancer: reconnecting\u2026 (the figures below are the last ones received)');
      else banner(detail);
    },
  });

  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const typed = $('token').value.trim();
    if (!typed) return;
    sessionStorage.setItem(TOKEN_KEY, typed);
    $('token').value = '';
    showToken();
    notice('ok', 'Token kept for this tab; the buttons can act now.');
    if (document.body.dataset.connection !== 'live') feed.restart();
  });
  window.addEventListener('hashchange', () => {
    // A dashboard address pasted into this tab again: the page stays, the token is taken.
    takeTokenFromAddress();
    showToken();
    if (token() && document.body.dataset.connection !== 'live') feed.restart();
  });
  $('token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showToken();
    $('token').focus();
  });
  $('notice-close').addEventListener('click', () => { $('notice').hidden = true; });

  document.addEventListener('click', (e) => {
    const button = e.target.closest('button[data-action]');
    if (!button) return;
    const card = button.closest('[data-host]');
    switch (button.dataset.action) {
      case 'enter':
        if (!tokenMissing(`Enter maintenance on ${card.dataset.host}`)) askEnter(card.dataset.host, button);
        break;
      case 'exit':
        pressing(button, () => write('POST', `maintenance/${encodeURIComponent(card.dataset.host)}/exit`, undefined,
          `Exit maintenance on ${card.dataset.host}`));
        break;
      case 'migrate': {
        const { guest, guestState } = button.closest('[data-guest]').dataset;
        if (!tokenMissing(`Migrating ${guest}`)) migrate.open(guest, card.dataset.host, guestState);
        break;
      }
      case 'approve': {
        const plan = button.closest('[data-plan]').dataset.plan;
        pressing(button, () => write('POST', `recommendations/${encodeURIComponent(plan)}/approve`, undefined,
          'Approve plan'));
        break;
      }
      case 'toggle': {
        const open = card.classList.toggle('open');
        button.setAttribute('aria-expanded', String(open));
        break;
      }
      default:
    }
  });
  $('enter-confirm').addEventListener('click', confirmEnter);
  $('enter-cancel').addEventListener('click', () => $('enter-dialog').close());
  $('enter-reason').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      confirmEnter();
    }
  });

  $('automation').addEventListener('change', (e) => {
    if (e.target.name === 'automation') setAutomation(e.target.value);
  });
  $('host-filter').addEventListener('input', (e) => hosts.setFilter({ text: e.target.value }));
  $('host-show').addEventListener('change', (e) => hosts.setFilter({ show: e.target.value }));
  $('host-sort').addEventListener('change', (e) => hosts.setFilter({ sort: e.target.value }));
  $('compact').addEventListener('change', (e) => {
    compactChosen = true;
    hosts.setCompact(e.target.checked);
  });
  showToken();
}

start();
