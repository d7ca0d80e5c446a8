// Draws the live view. Hosts and migrations in flight are kept as elements keyed by name and
// updated in place, touching the DOM only where a value changed, so a snapshot of 1,000+ hosts
// costs one pass; the short lists (drains, plans, decisions, history) are redrawn when they change.

const byName = new Intl.Collator('en', { numeric: true }).compare;
// Display only: bars turn amber and red at the balancer's default watermarks (70 % and 85 %).
const WARM = 0.70;
const HOT = 0.85;
/** Above this many hosts the grid starts compact (the checkbox changes it). */
export const COMPACT_ABOVE = 48;

const STATE_LABEL = {
  normal: 'normal',
  overloaded: 'overloaded',
  stale: 'stale',
  entering: 'entering maintenance',
  'in-maintenance': 'in maintenance',
};

// ---- small DOM helpers -------------------------------------------------------------------

/** Creates an element: props are attributes, except text, class, dataset and boolean properties. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = value;
    else if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (value === true) node[key] = true;
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

function setText(node, value) {
  const text = String(value);
  if (node.textContent !== text) node.textContent = text;
}

function setData(node, key, value) {
  const text = String(value);
  if (node.dataset[key] !== text) node.dataset[key] = text;
}

function setAttr(node, name, value) {
  const text = String(value);
  if (node.getAttribute(name) !== text) node.setAttribute(name, text);
}

function setHidden(node, hidden) {
  if (node.hidden !== hidden) node.hidden = hidden;
}

// ---- formatting -------------------------------------------------------------------------

export function percent(fraction) {
  return `${Math.round(fraction * 100)}%`;
}

function memory(mib) {
  if (mib < 1024) return `${mib} MiB`;
  const gib = mib / 1024;
  return `${Number.isInteger(gib) ? gib : gib.toFixed(1)} GiB`;
}

function rate(mibps) {
  return `${mibps < 10 ? mibps.toFixed(1) : Math.round(mibps)} MiB/s`;
}

export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function clock(epochMs) {
  return new Date(epochMs).toLocaleTimeString([], { hour12: false });
}

function level(fraction) {
  return fraction >= HOT ? 'hot' : fraction >= WARM ? 'warm' : 'ok';
}

function sentenceCase(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** normal, overloaded, stale, entering or in-maintenance: what colours a host. */
export function hostState(host) {
  if (host.maintenance === 'IN_MAINTENANCE') return 'in-maintenance';
  if (host.maintenance && host.maintenance !== 'ACTIVE') return 'entering';
  if (host.stale) return 'stale';
  if (host.overloaded) return 'overloaded';
  return 'normal';
}

// ---- hosts ------------------------------------------------------------------------------

/** A load bar with its figure; role=meter so screen readers read the value. */
class Meter {
  constructor(label, name) {
    this.fill = el('span', { class: 'fill' });
    this.expected = el('span', { class: 'expected', hidden: true });
    this.track = el('span', {
      class: 'track', role: 'meter', 'aria-label': `${label} load of ${name}`,
      'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0',
    }, this.fill, this.expected);
    this.value = el('span', { class: 'meter-value' });
    this.root = el('div', { class: 'meter' },
      el('span', { class: 'meter-label', dataset: { short: label.slice(0, 3) }, text: label }), this.track, this.value);
    this.scale = '';
    this.mark = '';
  }

  set(fraction, expected) {
    const shown = Math.round(fraction * 100);
    const scale = `scaleX(${Math.min(100, Math.max(0, shown)) / 100})`;
    if (scale !== this.scale) {
      this.scale = scale;
      this.fill.style.transform = scale;
    }
    setText(this.value, `${shown}%`);
    setAttr(this.track, 'aria-valuenow', shown);
    setData(this.root, 'level', level(fraction));
    if (expected !== undefined) {
      const mark = `${Math.min(100, Math.max(0, Math.round(expected * 100)))}%`;
      if (mark !== this.mark) {
        this.mark = mark;
        this.expected.style.left = mark;
        this.expected.hidden = false;
        this.expected.title = `expected over the next minutes: ${percent(expected)}`;
      }
    }
  }
}

class HostCard {
  constructor(name, compact) {
    this.name = name;
    this.title = compact
      ? el('button', { type: 'button', class: 'host-name', 'aria-expanded': 'false', dataset: { action: 'toggle' }, text: name })
      : el('h3', { class: 'host-name', text: name });
    this.badge = el('span', { class: 'badge' });
    this.cpu = new Meter('CPU', name);
    this.memory = new Meter('Memory', name);
    this.network = new Meter('Network', name);
    this.facts = el('p', { class: 'facts' });
    this.guests = el('ul', { class: 'guests', 'aria-label': `Guests on ${name}` });
    this.guestsKey = null;
    this.key = null;
    this.state = 'normal';
    this.enter = el('button', {
      type: 'button', class: 'act', dataset: { action: 'enter' },
      'aria-label': `Enter maintenance on ${name}`, text: 'Enter maintenance',
    });
    this.exit = el('button', {
      type: 'button', class: 'act', dataset: { action: 'exit' },
      'aria-label': `Exit maintenance on ${name}`, text: 'Exit maintenance', hidden: true,
    });
    this.root = el('article', { class: 'host', dataset: { host: name } },
      el('header', {}, this.title, this.badge),
      this.cpu.root, this.memory.root, this.network.root,
      this.facts, this.guests,
      el('div', { class: 'actions' }, this.enter, this.exit));
  }

  update(h, guests, listed) {
    this.updateGuests(listed ? (guests || []) : null);
    // Most hosts look the same from one snapshot to the next (each reports every few seconds):
    // compare what is shown, rounded as shown, and leave the DOM alone when nothing changed.
    const key = `${h.maintenance}|${h.stale}|${h.overloaded}|${Math.round(h.cpuLoad * 100)}|`
      + `${Math.round(h.expectedCpu * 100)}|${Math.round(h.memoryLoad * 100)}|${Math.round(h.networkLoad * 100)}|`
      + `${h.cpus}|${h.memoryMiB}|${h.guests}|${h.runningGuests}|${rate(h.netMiBps)}|${rate(h.diskMiBps)}`;
    if (key === this.key) return;
    this.key = key;
    const state = hostState(h);
    this.state = state;
    setData(this.root, 'state', state);
    setData(this.root, 'maintenance', h.maintenance);
    setData(this.root, 'guests', h.guests);
    setText(this.badge, STATE_LABEL[state]);
    this.cpu.set(h.cpuLoad, h.expectedCpu);
    this.memory.set(h.memoryLoad);
    this.network.set(h.networkLoad);
    setText(this.facts, `${h.cpus} CPUs · ${memory(h.memoryMiB)} · ${h.guests} guest${h.guests === 1 ? '' : 's'}`
      + ` (${h.runningGuests} running) · net ${rate(h.netMiBps)} · disk ${rate(h.diskMiBps)}`);
    const active = h.maintenance === 'ACTIVE';
    setHidden(this.enter, !active);
    setHidden(this.exit, active);
  }

  updateGuests(guests) {
    const key = guests === null ? null : guests.map((g) => `${g.guest}:${g.state}:${g.migrating ? 1 : 0}`).join(',');
    if (key === this.guestsKey) return;
    this.guestsKey = key;
    if (guests === null) {
      // Past the API's limit the view carries counts only; the facts line has them.
      this.guests.replaceChildren();
      setHidden(this.guests, true);
      return;
    }
    setHidden(this.guests, false);
    // Each name is the guest's Migrate… button.
    this.guests.replaceChildren(...guests.map((g) => el('li', {
      class: 'guest',
      dataset: { guest: g.guest, guestState: g.migrating ? 'migrating' : g.state.toLowerCase() },
    }, el('button', {
      type: 'button',
      dataset: { action: 'migrate' },
      'aria-label': `Migrate ${g.guest}…`,
      title: `${g.guest}: ${g.state.toLowerCase()}${g.migrating ? ', migrating' : ''}, ${g.cpuCores.toFixed(2)} cores.`
        + ' Migrate…',
      text: g.guest,
    }))));
  }
}

export class HostGrid {
  constructor(container, empty, shownCount) {
    this.container = container;
    this.empty = empty;
    this.shownCount = shownCount;
    this.cards = new Map();
    this.nameOrder = null;
    this.order = '';
    this.compact = false;
    this.filter = { text: '', show: 'all', sort: 'name' };
    this.last = null;
  }

  /** Draws the hosts of one live view; one pass over them. */
  render(view) {
    this.last = view;
    const seen = new Set();
    for (const h of view.hosts) {
      seen.add(h.host);
      let card = this.cards.get(h.host);
      if (!card) {
        card = new HostCard(h.host, this.compact);
        this.cards.set(h.host, card);
      }
      card.update(h, view.guests[h.host], view.guestsListed);
      card.load = h;
    }
    for (const [name, card] of this.cards) {
      if (!seen.has(name)) {
        card.root.remove();
        this.cards.delete(name);
      }
    }
    this.arrange();
    setHidden(this.empty, this.cards.size > 0);
  }

  /** Puts the cards in the chosen order (moving them only when the order changed) and applies the filter. */
  arrange() {
    let cards;
    const sort = this.filter.sort;
    if (sort === 'name') {
      // The order by name changes only when hosts come or go.
      const known = this.nameOrder;
      if (!known || known.length !== this.cards.size || known.some((c) => this.cards.get(c.name) !== c)) {
        this.nameOrder = [...this.cards.values()].sort((a, b) => byName(a.name, b.name));
      }
      cards = this.nameOrder;
    } else {
      cards = [...this.cards.values()];
      const field = sort === 'cpu' ? 'cpuLoad' : 'memoryLoad';
      cards.sort((a, b) => (b.load[field] - a.load[field]) || byName(a.name, b.name));
    }
    const order = cards.map((c) => c.name).join('\n');
    if (order !== this.order) {
      this.order = order;
      const fragment = document.createDocumentFragment();
      cards.forEach((c) => fragment.append(c.root));
      this.container.append(fragment);
    }
    const text = this.filter.text.trim().toLowerCase();
    let shown = 0;
    for (const card of cards) {
      const visible = this.matches(card, text);
      setHidden(card.root, !visible);
      if (visible) shown++;
    }
    setText(this.shownCount, shown === cards.length ? `${cards.length}` : `${shown} of ${cards.length}`);
  }

  matches(card, text) {
    if (text && !card.name.toLowerCase().includes(text)) return false;
    const { state } = card;
    if (this.filter.show === 'attention') return state !== 'normal';
    if (this.filter.show === 'maintenance') return state === 'entering' || state === 'in-maintenance';
    return true;
  }

  setFilter(change) {
    Object.assign(this.filter, change);
    this.arrange();
  }

  /** Compact tiles for large clusters: a tile opens to show its guests and buttons. */
  setCompact(compact) {
    if (compact === this.compact) return;
    this.compact = compact;
    this.container.classList.toggle('compact', compact);
    for (const card of this.cards.values()) card.root.remove();
    this.cards.clear();
    this.nameOrder = null;
    this.order = '';
    if (this.last) this.render(this.last);
  }
}

// ---- migrations in flight ---------------------------------------------------------------

export class InFlight {
  constructor(list, empty, count) {
    this.list = list;
    this.empty = empty;
    this.count = count;
    this.items = new Map();
  }

  render(view) {
    const now = view.status.takenAt;
    const seen = new Set();
    for (const m of view.inFlight) {
      seen.add(m.commandId);
      let item = this.items.get(m.commandId);
      if (!item) {
        item = this.create(m);
        this.items.set(m.commandId, item);
        this.list.append(item.root);
      }
      setData(item.root, 'percent', m.percent);
      if (item.bar.value !== m.percent) item.bar.value = m.percent;
      setText(item.bar, `${m.percent}%`);
      setText(item.pct, `${m.percent}%`);
      setText(item.elapsed, duration(now - m.startedAt));
    }
    for (const [id, item] of this.items) {
      if (!seen.has(id)) {
        item.root.remove();
        this.items.delete(id);
      }
    }
    setText(this.count, view.inFlight.length || '');
    setHidden(this.empty, view.inFlight.length > 0);
  }

  create(m) {
    const bar = el('progress', { max: '100', value: String(m.percent), 'aria-label': `Migration of ${m.guest}` });
    const pct = el('span', { class: 'pct' });
    const elapsed = el('span', { class: 'elapsed' });
    const root = el('li', { class: 'migration', dataset: { migration: m.commandId, guest: m.guest, mode: m.mode } },
      el('div', { class: 'line' },
        el('strong', { class: 'guest-name', text: m.guest }),
        el('span', { class: 'route', text: `${m.source} → ${m.target}` }),
        el('span', { class: 'tag', text: m.mode.toLowerCase().replace('_', '-') }),
        elapsed),
      el('div', { class: 'progress-line' }, bar, pct),
      m.reason ? el('p', { class: 'reason', text: m.reason }) : null);
    return { root, bar, pct, elapsed };
  }
}

// ---- lists redrawn when they change -----------------------------------------------------

/** Redraws `list` from `items` only when they differ from the last time. */
class Redrawn {
  constructor(list, empty, draw) {
    this.list = list;
    this.empty = empty;
    this.draw = draw;
    this.key = null;
  }

  render(items, context) {
    const key = JSON.stringify([items, context]);
    if (key === this.key) return;
    this.key = key;
    this.list.replaceChildren(...items.map((item, i) => this.draw(item, context, i)));
    setHidden(this.empty, items.length > 0);
  }
}

export function drains(container, empty) {
  const list = new Redrawn(container, empty, (m) => {
    const done = m.total - m.remaining;
    const state = m.state === 'IN_MAINTENANCE' ? 'in-maintenance' : 'entering';
    return el('article', { class: 'drain', dataset: { drain: m.host, state: m.state } },
      el('header', {}, el('strong', { text: m.host }), el('span', { class: 'badge', dataset: { state }, text: STATE_LABEL[state] })),
      el('div', { class: 'progress-line' },
        el('progress', { max: String(Math.max(1, m.total)), value: String(m.total === 0 ? 1 : done), 'aria-label': `Drain of ${m.host}` }),
        el('span', { class: 'remaining', text: `${m.remaining} of ${m.total} left` })),
      m.migrating.length ? el('p', { class: 'migrating', text: `migrating: ${m.migrating.join(', ')}` }) : null,
      m.message ? el('p', { class: 'message', text: m.message }) : null,
      m.blocked.length ? el('div', { class: 'blocked' },
        el('h4', { text: `Blocked (${m.blocked.length})` }),
        el('ul', {}, m.blocked.map((b) => el('li', { dataset: { guest: b.guest } },
          el('strong', { text: b.guest }), ` ${b.reason}`)))) : null);
  });
  // Hosts that left maintenance stay in the balancer's list as ACTIVE; they are not drains any more.
  return { render: (view) => list.render(view.maintenance.filter((m) => m.state !== 'ACTIVE')) };
}

export function recommendations(container, empty, count) {
  const list = new Redrawn(container, empty, (r) => el('article', { class: 'plan', dataset: { plan: r.planId } },
    el('header', {},
      el('strong', { text: sentenceCase(r.trigger) }),
      el('span', { class: 'tag', text: r.purpose.toLowerCase() }),
      el('span', { class: 'muted', text: `until ${clock(r.expiresAt)}` })),
    el('ol', { class: 'moves' }, r.moves.map((m) => el('li', {},
      el('strong', { text: m.guest }), ` ${m.source} → ${m.target}`,
      m.reason ? el('span', { class: 'reason', text: m.reason }) : null))),
    el('button', {
      type: 'button', class: 'act primary', dataset: { action: 'approve' },
      'aria-label': `Approve plan ${r.planId}: ${r.moves.length} move${r.moves.length === 1 ? '' : 's'}`,
      text: `Approve ${r.moves.length} move${r.moves.length === 1 ? '' : 's'}`,
    })));
  return {
    render(view) {
      list.render(view.recommendations);
      setText(count, view.recommendations.length || '');
    },
  };
}

/** executed, recommended (waiting for approval) or no move (the reasons say why). */
function outcome(decision) {
  if (decision.moves.length === 0) return 'no move';
  return decision.executed ? 'executed' : 'recommended';
}

export function decisions(container, empty) {
  // The newest decision shows its reasons unless closed; others open when clicked. Redraws keep both.
  const opened = new Set();
  const closed = new Set();
  container.addEventListener('click', (e) => {
    const summary = e.target.closest('summary');
    const id = summary?.closest('[data-decision]')?.dataset.decision;
    if (!id) return;
    const opening = !summary.parentElement.open;
    (opening ? opened : closed).add(id);
    (opening ? closed : opened).delete(id);
  });
  const list = new Redrawn(container, empty, (d, _, index) => {
    const moves = d.moves.length;
    const open = opened.has(d.planId) || (index === 0 && !closed.has(d.planId));
    return el('li', { class: 'decision', dataset: { decision: d.planId, executed: String(d.executed) } },
      el('details', { open },
        el('summary', {},
          el('strong', { text: sentenceCase(d.trigger) }),
          el('span', { class: 'tag', dataset: { kind: outcome(d) }, text: outcome(d) }),
          el('span', { class: 'muted', text: `${moves} move${moves === 1 ? '' : 's'} · imbalance `
              + `${d.imbalanceBefore.toFixed(3)} → ${d.imbalanceAfter.toFixed(3)} · ${d.automation.toLowerCase()}` })),
        moves ? el('ol', { class: 'moves' }, d.moves.map((m) => el('li', {},
          el('strong', { text: m.guest }), ` ${m.source} → ${m.target} `,
          el('span', { class: 'tag', text: m.mode.toLowerCase().replace('_', '-') }),
          m.reason ? el('span', { class: 'reason', text: m.reason }) : null))) : null,
        d.notMoved.length ? el('ul', { class: 'not-moved', 'aria-label': 'Why nothing more was moved' },
          d.notMoved.map((why) => el('li', { text: why }))) : null));
  });
  return {
    render(view) {
      list.render([...view.decisions].reverse());
    },
  };
}

export function recent(tbody, empty) {
  const list = new Redrawn(tbody, empty, (m) => el('tr', { dataset: { command: m.commandId, status: m.status } },
    el('td', { text: clock(m.finishedAt) }),
    el('td', {}, el('strong', { text: m.guest })),
    el('td', { text: `${m.source} → ${m.target}` }),
    el('td', { text: m.mode.toLowerCase().replace('_', '-') }),
    el('td', { text: m.purpose.toLowerCase() }),
    el('td', { text: duration(m.finishedAt - m.startedAt) }),
    el('td', {}, el('span', { class: 'status', dataset: { status: m.status }, text: m.status.toLowerCase() })),
    el('td', { class: 'why', text: m.outcome ? `${m.outcome} (${m.reason})` : m.reason })));
  return { render: (view) => list.render([...view.recentMigrations].reverse()) };
}

// ---- the header figures ------------------------------------------------------------------

export function figures(ids) {
  const f = Object.fromEntries(Object.entries(ids).map(([k, id]) => [k, document.getElementById(id)]));
  return {
    render({ status: s }) {
      const b = s.balancer;
      setText(f.balancer, `${b.id} · ${b.role.toLowerCase()}${b.epoch ? ` · epoch ${b.epoch}` : ''} · ${b.members}`);
      setText(f.hosts, s.hosts);
      setText(f.overloaded, s.hostsOverloaded);
      setText(f.stale, s.hostsStale);
      setText(f.maintenance, s.hostsInMaintenance);
      setText(f.guests, s.guests);
      setText(f.inflight, s.migrationsInFlight);
      setText(f.migrations, `${s.migrationsSucceeded} / ${s.migrationsFailed}`);
      setText(f.imbalance, s.imbalance.toFixed(3));
      setText(f.pending, s.recommendationsPending);
      setText(f.taken, clock(s.takenAt));
      for (const [key, value] of [['overloaded', s.hostsOverloaded], ['stale', s.hostsStale],
        ['maintenance', s.hostsInMaintenance], ['inflight', s.migrationsInFlight], ['pending', s.recommendationsPending]]) {
        setData(f[key].parentElement, 'nonzero', value > 0);
      }
    },
  };
}
