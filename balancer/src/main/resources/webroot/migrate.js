// The Migrate… dialog: an operator's migration of one guest with virsh's options. The target list is
// the balancer's explain for exactly the chosen options (GET /api/explain/GUEST?live=true&…), asked
// again whenever an option changes; the request goes to POST /api/migrations and is followed at
// GET /api/migrations/ID until it ends. Everything from the API is written as text, never as markup.
import { el } from './view.js';

/** The states after which a request changes no more. */
const FINAL = new Set(['SUCCEEDED', 'FAILED', 'REFUSED']);
const STATE_LABEL = {
  SENT: 'Sent',
  WAITING: 'Waiting',
  ACCEPTED: 'Accepted',
  RUNNING: 'Running',
  SUCCEEDED: 'Succeeded',
  FAILED: 'Failed',
  REFUSED: 'Refused',
  'NOT-SENT': 'Not sent',
  UNCONFIRMED: 'Not confirmed',
};
const POLL_MS = 500;
/** A request is read back from Kafka before the balancer knows it: a 404 this soon means "not yet". */
const UNSEEN_FOR_MS = 30000;
/** Typing in a number field asks again once the typing pauses. */
const TYPING_MS = 300;
const BOOLEANS = ['persistent', 'undefinesource', 'suspend', 'copy-storage-all', 'copy-storage-inc', 'unsafe',
  'auto-converge', 'postcopy', 'timeout-postcopy', 'parallel'];
const VALUES = ['parallel-connections', 'bandwidth', 'timeout', 'migrateuri'];

export class MigrateDialog {
  /**
   * api(path): the API's address for a path; token(): the API token or ''.
   */
  constructor({ api, token }) {
    this.api = api;
    this.token = token;
    const $ = (id) => document.getElementById(id);
    this.dialog = $('migrate-dialog');
    this.options = $('migrate-options');
    this.targets = $('migrate-targets');
    this.summary = $('migrate-summary');
    this.error = $('migrate-error');
    this.notes = $('migrate-notes');
    this.flags = $('migrate-flags');
    this.progress = $('migrate-progress');
    this.stateText = $('migrate-state');
    this.route = $('migrate-route');
    this.bar = $('migrate-bar');
    this.percent = $('migrate-percent');
    this.reason = $('migrate-reason');
    this.confirm = $('migrate-confirm');
    this.cancel = $('migrate-cancel');
    this.guestText = $('migrate-guest');
    this.sourceText = $('migrate-source');
    this.asked = 0;
    this.typing = 0;
    this.poller = 0;
    this.request = null;
    this.chosen = '';

    this.options.addEventListener('change', () => this.optionsChanged(0));
    this.options.addEventListener('input', (e) => {
      if (e.target.type === 'number' || e.target.type === 'text') this.optionsChanged(TYPING_MS);
    });
    this.targets.addEventListener('change', (e) => {
      if (e.target.name === 'migrate-target') {
        this.chosen = e.target.value;
        this.showFlags();
        this.updateConfirm();
      }
    });
    this.confirm.addEventListener('click', () => this.submit());
    this.cancel.addEventListener('click', () => this.dialog.close());
    // Closed by its button or Escape: late answers and the progress polling stop.
    this.dialog.addEventListener('close', () => {
      this.asked++;
      clearTimeout(this.typing);
      clearTimeout(this.poller);
      this.request = null;
    });
  }

  /** Opens the dialog for `guest` on `source`; `state` (running, paused, shutoff…) picks the defaults. */
  open(guest, source, state) {
    this.guest = guest;
    this.source = source;
    this.chosen = '';
    this.request = null;
    this.guestText.textContent = guest;
    this.sourceText.textContent = source;
    this.dialog.dataset.guest = guest;
    // virsh's "true" move: defined on the target, gone from the source. A guest that is not running
    // can only move its definition (--offline); one that runs moves live.
    const running = state !== 'shutoff' && state !== 'crashed';
    for (const input of this.options.querySelectorAll('input')) {
      if (input.type === 'radio') input.checked = input.value === (running ? 'live' : 'offline');
      else if (input.type === 'checkbox') input.checked = input.dataset.option === 'persistent' || input.dataset.option === 'undefinesource';
      else input.value = '';
    }
    this.setBusy(false);
    this.progress.hidden = true;
    delete this.progress.dataset.state;
    delete this.progress.dataset.request;
    this.cancel.textContent = 'Cancel';
    this.confirm.hidden = false;
    this.summary.textContent = '';
    this.showError('');
    this.notes.replaceChildren();
    this.notes.hidden = true;
    this.targets.replaceChildren();
    delete this.targets.dataset.query;
    this.showFlags();
    this.dialog.showModal();
    this.ask();
  }

  // ---- the options ----

  /** The options as they stand: virsh's names, booleans as booleans, the other values as typed. */
  read() {
    const kind = this.options.querySelector('input[name="migrate-kind"]:checked')?.value || 'live';
    const chosen = { live: kind === 'live' };
    if (kind === 'offline') chosen.offline = true;
    for (const name of BOOLEANS) {
      if (this.input(name).checked) chosen[name] = true;
    }
    for (const name of VALUES) {
      const value = this.input(name).value.trim();
      if (value !== '') chosen[name] = value;
    }
    return chosen;
  }

  input(name) {
    return this.options.querySelector(`[data-option="${name}"]`);
  }

  /** The explain's query: live=true|false always (with nothing else it would answer for the balancer's own choice). */
  static query(chosen) {
    return new URLSearchParams(Object.entries(chosen).map(([k, v]) => [k, String(v)])).toString();
  }

  /** The request's body: whole numbers as numbers; anything else as typed, for the API to say what is wrong. */
  body(chosen) {
    const body = { guest: this.guest, target: this.chosen };
    for (const [k, v] of Object.entries(chosen)) {
      body[k] = typeof v === 'string' && k !== 'migrateuri' && /^\d{1,12}$/.test(v) ? Number(v) : v;
    }
    body.requestedBy = 'the live page';
    return body;
  }

  showFlags() {
    const chosen = this.read();
    const flags = [];
    if (chosen.live) flags.push('--live');
    if (chosen.offline) flags.push('--offline');
    for (const name of BOOLEANS) if (chosen[name]) flags.push(`--${name}`);
    for (const name of VALUES) if (chosen[name] !== undefined) flags.push(`--${name} ${chosen[name]}`);
    this.flags.textContent = `${flags.join(' ') || '(none: non-live, transient on the target)'}`
      + ` ${this.guest} \u2192 ${this.chosen || 'TARGET'}`;
  }

  optionsChanged(delay) {
    this.showFlags();
    clearTimeout(this.typing);
    if (delay) this.typing = setTimeout(() => this.ask(), delay);
    else this.ask();
  }

  // ---- the targets, from the balancer's explain ----

  async ask() {
    clearTimeout(this.typing);
    const mine = ++this.asked;
    const query = MigrateDialog.query(this.read());
    // Text the browser cannot read as a number never reaches the page's code: say so here.
    const unreadable = VALUES.find((name) => this.input(name).validity.badInput);
    if (unreadable) {
      this.answered(query, 'error');
      this.showError(`--${unreadable} takes a whole number: correct it or clear the field.`);
      return;
    }
    this.targets.dataset.state = 'asking';
    this.targets.setAttribute('aria-busy', 'true');
    this.updateConfirm();
    let res;
    let answer = null;
    try {
      res = await fetch(this.api(`explain/${encodeURIComponent(this.guest)}?${query}`),
        { headers: this.headers(), cache: 'no-store' });
      answer = await res.json().catch(() => null);
    } catch (e) {
      if (mine !== this.asked) return;
      this.answered(query, 'error');
      this.showError(`The balancer could not be reached (${e.message}): check that it runs, then change an option`
        + ' or open Migrate\u2026 again to ask once more.');
      return;
    }
    if (mine !== this.asked) return;
    if (res.ok && answer && Array.isArray(answer.hosts)) {
      this.answered(query, 'answered');
      this.showError('');
      this.draw(answer);
    } else {
      this.answered(query, 'error');
      this.showError(this.why(res, answer, 'for reads'));
    }
  }

  answered(query, state) {
    this.targets.dataset.query = query;
    this.targets.dataset.state = state;
    this.targets.removeAttribute('aria-busy');
    if (state === 'error') {
      this.summary.textContent = '';
      this.notes.replaceChildren();
      this.notes.hidden = true;
      this.targets.replaceChildren();
      this.chosen = '';
      this.showFlags();
    }
    this.updateConfirm();
  }

  /** The hosts that pass every rule first and selectable; every other one disabled, with its reasons. */
  draw(e) {
    this.summary.textContent = e.summary;
    this.notes.replaceChildren(...e.notes.map((n) => el('li', { text: n })));
    this.notes.hidden = e.notes.length === 0;
    const hosts = [...e.hosts.filter((h) => h.eligible), ...e.hosts.filter((h) => !h.eligible)];
    if (!hosts.some((h) => h.eligible && h.host === this.chosen)) this.chosen = '';
    this.targets.replaceChildren(...hosts.map((h) => {
      const failing = h.failures.length;
      return el('li', { class: 'target', dataset: { target: h.host, eligible: String(h.eligible) } },
        el('label', {},
          el('input', {
            type: 'radio', name: 'migrate-target', value: h.host, disabled: !h.eligible,
            checked: h.host === this.chosen,
          }),
          el('strong', { text: h.host }),
          el('span', {
            class: 'tag', dataset: { kind: h.eligible ? 'eligible' : 'refused' },
            text: h.eligible ? 'passes every rule' : `${failing} rule${failing === 1 ? '' : 's'} fail${failing === 1 ? 's' : ''}`,
          })),
        failing || h.warnings.length ? el('ul', { class: 'why' },
          h.failures.map((f) => el('li', { class: 'failure', dataset: { rule: f.rule } },
            el('span', { class: 'rule', text: `${f.summary}:` }), ` ${f.reason}`)),
          h.warnings.map((w) => el('li', { class: 'warning', text: w }))) : null);
    }));
    this.showFlags();
    this.updateConfirm();
  }

  // ---- the request and its progress ----

  async submit() {
    if (!this.chosen || this.busy) return;
    if (!this.token()) {
      this.showOutcome('NOT-SENT', 0, 'Migrating needs the API token: close this dialog, enter the token in the token'
        + ' field at the top, then open Migrate\u2026 again.');
      return;
    }
    const body = this.body(this.read());
    this.setBusy(true);
    this.showOutcome('SENT', 0, `Sending the request for ${body.guest} \u2192 ${body.target}\u2026`);
    let res;
    let answer = null;
    try {
      res = await fetch(this.api('migrations'), {
        method: 'POST',
        headers: { ...this.headers(), 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        cache: 'no-store',
      });
      answer = await res.json().catch(() => null);
    } catch (e) {
      this.setBusy(false);
      this.showOutcome('NOT-SENT', 0, `The balancer could not be reached (${e.message}): check that it runs and press`
        + ' Migrate again.');
      return;
    }
    if (!this.dialog.open) return;
    if (res.status === 202 && answer && answer.requestId) {
      this.request = { id: answer.requestId, sentAt: Date.now() };
      this.progress.dataset.request = answer.requestId;
      this.showOutcome('SENT', 0, 'The balancer has the request; its leader checks it and runs it.');
      this.poll();
      return;
    }
    this.setBusy(false);
    const refused = res.status === 409;
    // 504: Kafka took the request without confirming it; it may still run (503 and the rest: it never will).
    this.showOutcome(refused ? 'REFUSED' : res.status === 504 ? 'UNCONFIRMED' : 'NOT-SENT', 0,
      this.why(res, answer, 'to migrate'));
    // Refused: the cluster changed since the list was drawn; draw it again as it is now.
    if (refused) this.ask();
  }

  async poll() {
    const request = this.request;
    if (!request) return;
    let res;
    let answer = null;
    try {
      res = await fetch(this.api(`migrations/${encodeURIComponent(request.id)}`), { headers: this.headers(), cache: 'no-store' });
      answer = await res.json().catch(() => null);
    } catch (e) {
      if (this.request !== request) return;
      this.reason.textContent = `The balancer could not be reached (${e.message}); asking again\u2026`;
      this.poller = setTimeout(() => this.poll(), POLL_MS * 4);
      return;
    }
    if (this.request !== request) return;
    if (res.ok && answer && answer.state) {
      this.showOutcome(answer.state, answer.percent, answer.reason);
      if (answer.source) this.route.textContent = `${answer.guest}: ${answer.source} \u2192 ${answer.target}`;
      if (FINAL.has(answer.state)) {
        this.finished(answer.state);
        return;
      }
    } else if (res.status === 404 && Date.now() - request.sentAt < UNSEEN_FOR_MS) {
      this.reason.textContent = 'Written to Kafka; the balancer has not read it back yet.';
    } else if (res.status === 404) {
      this.showOutcome('SENT', 0, `The balancer has not seen request ${request.id} for ${UNSEEN_FOR_MS / 1000} s: check`
        + ' the broker and the leader (vbal status). The request may still run: Migrations in flight shows it.');
      this.finished('SENT');
      return;
    } else {
      this.reason.textContent = `${this.why(res, answer, 'for reads')} Asking again\u2026`;
    }
    this.poller = setTimeout(() => this.poll(), POLL_MS);
  }

  finished(state) {
    this.request = null;
    this.cancel.textContent = 'Close';
    if (state === 'SUCCEEDED') {
      // The guest has left the source: this dialog's options no longer apply to it.
      this.busy = true;
      this.confirm.hidden = true;
      return;
    }
    this.setBusy(false);
    if (state === 'REFUSED' || state === 'FAILED') this.ask();
  }

  showOutcome(state, percent, reason) {
    this.progress.hidden = false;
    this.progress.dataset.state = state;
    this.stateText.textContent = STATE_LABEL[state] || state;
    if (state === 'SENT' || state === 'NOT-SENT' || state === 'UNCONFIRMED') this.route.textContent = `${this.guest}: ${this.source} \u2192 ${this.chosen}`;
    const pct = Math.max(0, Math.min(100, Number(percent) || 0));
    this.progress.dataset.percent = String(pct);
    this.bar.value = pct;
    this.percent.textContent = `${pct}%`;
    this.reason.textContent = reason || '';
  }

  // ---- small things ----

  headers() {
    const token = this.token();
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  /** The API's own sentence, or one saying what to do. */
  why(res, answer, what) {
    if (answer && typeof answer.error === 'string') {
      if (res.status === 401) {
        return `${answer.error}. The token this tab holds was refused: close this dialog, enter the right token`
          + ' in the token field at the top and try again.';
      }
      return answer.error;
    }
    if (res.status === 401) return `The balancer wants the API token ${what}: enter it in the token field at the top.`;
    return `The balancer answered HTTP ${res.status}: its log has the details.`;
  }

  showError(text) {
    this.error.textContent = text;
    this.error.hidden = !text;
  }

  /** While a request is out or running the options and targets stay as they were sent. */
  setBusy(busy) {
    this.busy = busy;
    for (const input of this.options.querySelectorAll('input')) input.disabled = busy;
    this.targets.classList.toggle('locked', busy);
    for (const input of this.targets.querySelectorAll('input')) {
      input.disabled = busy || input.closest('[data-eligible]')?.dataset.eligible !== 'true';
    }
    this.updateConfirm();
  }

  updateConfirm() {
    const ready = !this.busy && this.chosen !== '' && this.targets.dataset.state === 'answered';
    this.confirm.disabled = !ready;
    this.confirm.textContent = this.chosen ? `Migrate to ${this.chosen}` : 'Migrate';
  }
}
