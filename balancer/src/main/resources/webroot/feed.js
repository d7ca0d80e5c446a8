// The balancer's live view as it changes: the `snapshot` events of /api/events.
//
// EventSource carries them and reconnects by itself after a network error. EventSource cannot
// send an Authorization header, so when the API wants the token for reads (it is not bound to
// loopback) the same stream is read with fetch, and reconnecting is done here.

const RETRY_MS = 2000;

/**
 * Follows the feed at `url` until the page closes.
 * onSnapshot(view): each live view; onState(state, detail): 'live', 'down' or 'needs-token'.
 * token(): the API token, or '' when there is none.
 * Returns { restart() } to call when the token changes.
 */
export function follow(url, { onSnapshot, onState, token, probeUrl }) {
  let source = null;
  let reader = null;
  let timer = 0;

  function stop() {
    clearTimeout(timer);
    if (source) {
      source.close();
      source = null;
    }
    if (reader) {
      reader.abort();
      reader = null;
    }
  }

  function later(step) {
    clearTimeout(timer);
    timer = setTimeout(step, RETRY_MS);
  }

  function viaEventSource() {
    const es = new EventSource(url);
    source = es;
    es.addEventListener('open', () => onState('live'));
    es.addEventListener('snapshot', (e) => {
      onState('live');
      onSnapshot(JSON.parse(e.data));
    });
    es.addEventListener('error', () => {
      if (source !== es) return;
      if (es.readyState === EventSource.CLOSED) {
        // The server refused the stream (e.g. 401): find out why before saying anything.
        es.close();
        source = null;
        choose();
      } else {
        // CONNECTING: the connection dropped and the browser retries by itself.
        onState('down');
      }
    });
  }

  async function choose() {
    let needsToken = false;
    try {
      const probe = await fetch(probeUrl, { cache: 'no-store' });
      needsToken = probe.status === 401;
    } catch {
      // Unreachable: try the stream again shortly.
    }
    if (!needsToken) {
      onState('down');
      later(viaEventSource);
    } else if (token()) {
      viaFetch();
    } else {
      onState('needs-token', 'This balancer\u2019s API needs the token even for reading: enter it in the token field.');
    }
  }

  async function viaFetch() {
    const abort = new AbortController();
    reader = abort;
    try {
      const res = await fetch(url, {
        headers: { Authorization: `Bearer ${token()}`, Accept: 'text/event-stream' },
        cache: 'no-store',
        signal: abort.signal,
      });
      if (res.status === 401) {
        onState('needs-token', 'The balancer refused the token: check it and enter it again in the token field.');
        return;
      }
      if (!res.ok || !res.body) {
        throw new Error(`HTTP ${res.status}`);
      }
      onState('live');
      await readEvents(res.body, (type, data) => {
        if (type === 'snapshot') onSnapshot(JSON.parse(data));
      });
    } catch {
      if (abort.signal.aborted) return;
    }
    if (reader === abort) {
      onState('down');
      later(viaFetch);
    }
  }

  viaEventSource();
  return {
    restart() {
      stop();
      choose();
    },
  };
}

/** Reads a text/event-stream body, calling onEvent(type, data) per event; resolves when it ends. */
async function readEvents(body, onEvent) {
  const lines = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let type = '';
  let data = [];
  for (;;) {
    const { value, done } = await lines.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, buffer[end - 1] === '\r' ? end - 1 : end);
      buffer = buffer.slice(end + 1);
      if (line === '') {
        if (data.length) onEvent(type || 'message', data.join('\n'));
        type = '';
        data = [];
      } else if (line.startsWith('event:')) {
        type = line.slice(6).trim();
      } else if (line.startsWith('data:')) {
        data.push(line.slice(line[5] === ' ' ? 6 : 5));
      }
    }
  }
}
