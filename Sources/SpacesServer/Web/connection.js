// The listener's connection to a Space (docs/PROTOCOL.md §3–§5): getting in, waiting in line,
// coming back after a full waiting room, and resuming after a lost connection.
//
// Every attempt starts with a plain `fetch()` of the listen URL, because a browser WebSocket
// cannot read the body of a refused upgrade: the node answers a GET without upgrade headers
// exactly as it would answer the upgrade (§3.1) — 426 when the socket would be accepted, or 503
// with a ticket and `retryAfterSeconds` when the waiting room is full, 404, 410 or 400 — and
// the probe changes nothing on the node. Only after a 426 is the WebSocket opened.

/** How long the node holds an admitted listener's slot after a lost connection (§4.6). */
const RESUME_GRACE_MS = 30000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 10000;
const BACKOFF_JITTER = 0.3;
/** A `{"type":"ping"}` keeps the path open through NATs (§5.2), also while waiting. */
const KEEPALIVE_MS = 25000;

/** Closes after which the page does not reconnect by itself (§9.1). */
const FINAL_CLOSES = new Map([
  [1003, 'the page sent data the server does not accept'],
  [1007, 'the page sent text that is not UTF-8'],
  [1008, 'the page broke the server’s rules (too many messages)'],
  [1009, 'the page sent a message that is too big'],
]);

/**
 * Phases, also written to `document.body.dataset.state`:
 * idle, connecting, waiting, full, live, reconnecting, ended, left, replaced, error.
 */
export class SpaceConnection {
  /**
   * @param {string} spaceId
   * @param {object} handlers
   *   onPhase(phase, info)  info: {position, etaSeconds, retryAt, attempt, message}
   *   onWelcome(welcome, resumed)
   *   onEvent(event)        every other server event (state, questions, …)
   *   onAudio(ArrayBuffer)
   *   onDisconnect()        the socket that carried audio is gone
   */
  constructor(spaceId, handlers) {
    this.spaceId = spaceId;
    this.handlers = handlers;
    this.phase = 'idle';
    this.ws = null;
    this.timer = null;
    this.keepalive = null;
    this.attempt = 0;
    /** From a 503 or a `refused`: keeps our arrival time in line (§4.4). */
    this.ticket = null;
    /** From the latest `welcome`: gets our held slot back (§4.6). */
    this.resumeToken = null;
    /** When the admitted connection was lost (for the resume grace). */
    this.droppedAt = null;
    /** The node listened on (`host:port`): this page's own, or another of the cluster's. */
    this.host = location.host;
    /** In a cluster, from `welcome`: other nodes to try if ours cannot be reached (§15). */
    this.nodes = [];
    this.stats = { reconnects: 0, resumes: 0, fullRetries: 0, position: null, etaSeconds: null, listenerId: null };
    /** An invite-only Space: the invite the shared link carried (`/s/ID?invite=…`, §4.7). */
    this.invite = new URLSearchParams(location.search).get('invite');
  }

  /** The Listen button: a fresh join. */
  join() {
    if (!['idle', 'ended', 'left', 'replaced', 'error'].includes(this.phase)) return;
    this.ticket = null;
    this.resumeToken = null;
    this.droppedAt = null;
    this.attempt = 0;
    this.connect();
  }

  /** The Leave button: close 1000 frees our slot at once for the next in line. */
  leave() {
    this.setPhase('left');
    this.stop();
    this.resumeToken = null;
  }

  /** Sends a JSON message if the socket is open. @returns {boolean} */
  send(message) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  // ---- Internals -------------------------------------------------------------------------

  setPhase(phase, info = {}) {
    this.phase = phase;
    this.handlers.onPhase(phase, info);
  }

  /** Stops timers and closes the socket (cleanly, with 1000). */
  stop() {
    clearTimeout(this.timer);
    clearInterval(this.keepalive);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onclose = null;
      ws.onmessage = null;
      if (ws.readyState <= WebSocket.OPEN) ws.close(1000, 'leaving');
      this.handlers.onDisconnect();
    }
  }

  /** The listen path with our ticket and resume token, as `http(s):` or `ws(s):`. */
  url(scheme) {
    const params = new URLSearchParams();
    if (this.resumeToken) params.set('resume', this.resumeToken);
    if (this.ticket) params.set('ticket', this.ticket);
    if (this.invite) params.set('invite', this.invite);
    const query = params.toString();
    return `${scheme}//${this.host}/v1/spaces/${encodeURIComponent(this.spaceId)}/listen${query ? `?${query}` : ''}`;
  }

  /** One attempt: probe, then open the socket (or wait, or give up). */
  async connect() {
    clearTimeout(this.timer);
    if (this.droppedAt !== null && Date.now() - this.droppedAt > RESUME_GRACE_MS) {
      // The node no longer holds our slot: join again as a new arrival.
      this.resumeToken = null;
      this.droppedAt = null;
    }
    if (this.phase !== 'reconnecting' && this.phase !== 'full') this.setPhase('connecting');
    let response;
    try {
      response = await fetch(this.url(location.protocol), { cache: 'no-store' });
    } catch {
      // In a cluster, the next node in turn: any node serves any Space, and our resume token
      // takes our slot there (§15).
      if (this.nodes.length > 0) {
        const index = this.nodes.indexOf(this.host);
        this.host = this.nodes[(index + 1) % this.nodes.length];
      }
      this.retryLater('The server cannot be reached.');
      return;
    }
    if (this.phase === 'left') return;
    const body = await response.json().catch(() => ({}));
    switch (response.status) {
      case 426: // every check passed: the socket will be accepted
        this.open();
        break;
      case 503: // the waiting room is full: come back later with the ticket (§4.4)
        if (body.ticket) {
          this.waitForRoom(body.ticket, body.retryAfterSeconds ?? Number(response.headers.get('retry-after')));
        } else {
          // No ticket: the cluster is busy (our slot is still held by a node not yet known dead).
          this.retryLater(body.error?.message ?? 'The server is busy.');
        }
        break;
      case 400: // our ticket or token was refused: come back as a new arrival
        if (this.ticket || this.resumeToken) {
          this.ticket = null;
          this.resumeToken = null;
          this.droppedAt = null;
          this.connect();
        } else {
          this.setPhase('error', { message: body.error?.message ?? 'The server refused to let this page in.' });
        }
        break;
      case 403: // an invite-only Space, and no invite (or one that expired)
        this.setPhase('error', { message: this.invite ? 'This invite is no longer valid: ask the host for a new link.' : 'This Space is invite-only: listen with the link its host shared.' });
        break;
      case 404:
        this.setPhase('error', { message: 'This Space does not exist (or no longer does).' });
        break;
      case 410:
        this.setPhase('ended');
        break;
      default:
        this.retryLater(`The server answered ${response.status}.`);
    }
  }

  /** A full waiting room: count down and come back with the ticket, keeping our place. */
  waitForRoom(ticket, retryAfterSeconds) {
    if (ticket) this.ticket = ticket;
    const seconds = Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0 ? retryAfterSeconds : 30;
    this.stats.fullRetries += 1;
    this.setPhase('full', { retryAt: Date.now() + seconds * 1000 });
    this.timer = setTimeout(() => this.connect(), seconds * 1000);
  }

  /** Exponential backoff with jitter: 0.5 s, 1 s, 2 s … up to 10 s, each ±30 %. */
  retryLater(message) {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
    const delay = base * (1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * Math.random());
    this.attempt += 1;
    this.setPhase('reconnecting', {
      retryAt: Date.now() + delay,
      attempt: this.attempt,
      message,
      resuming: this.resumeToken !== null,
    });
    this.timer = setTimeout(() => this.connect(), delay);
  }

  open() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const resuming = this.resumeToken !== null;
    // No `protocols` argument: v1 has no subprotocol (§1).
    const ws = new WebSocket(this.url(scheme));
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    /** What the server told us before closing: `ended`, or `refused` with a ticket. */
    let ended = false;
    let refusedAfterSeconds = null;
    let admitted = false;

    ws.onopen = () => {
      this.keepalive = setInterval(() => this.send({ type: 'ping' }), KEEPALIVE_MS);
    };
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') {
        if (admitted) this.handlers.onAudio(event.data);
        return;
      }
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      switch (message.type) {
        case 'waiting':
          this.attempt = 0;
          this.stats.position = message.position;
          this.stats.etaSeconds = message.etaSeconds;
          this.setPhase('waiting', { position: message.position, etaSeconds: message.etaSeconds });
          break;
        case 'welcome':
          admitted = true;
          this.attempt = 0;
          this.ticket = null;
          this.droppedAt = null;
          this.resumeToken = message.resumeToken ?? null;
          if (Array.isArray(message.nodes)) {
            const hosts = message.nodes.map((node) => String(node).replace(/^wss?:\/\//, '')).filter((host) => /^[\w.\-\[\]:]+$/.test(host));
            this.nodes = hosts.includes(this.host) ? hosts : [this.host, ...hosts];
          }
          this.stats.position = null;
          this.stats.etaSeconds = null;
          // A resume keeps the listener id; past the grace period the node admits us afresh
          // with a new one (§4.6).
          const resumed = resuming && message.listenerId === this.stats.listenerId;
          if (resumed) this.stats.resumes += 1;
          this.stats.listenerId = message.listenerId;
          this.setPhase('live');
          this.handlers.onWelcome(message, resumed);
          break;
        case 'refused':
          this.ticket = message.ticket;
          refusedAfterSeconds = message.retryAfterSeconds;
          break;
        case 'ended':
          ended = true;
          break;
        case 'pong':
          break;
        default:
          this.handlers.onEvent(message);
      }
    };
    ws.onclose = (event) => {
      clearInterval(this.keepalive);
      if (this.ws !== ws) return;
      this.ws = null;
      if (admitted) this.handlers.onDisconnect();
      this.closed(event.code, event.reason, { ended, refusedAfterSeconds, admitted });
    };
  }

  /** Decides what to do after the socket closed (§9.1). */
  closed(code, reason, { ended, refusedAfterSeconds, admitted }) {
    if (ended || code === 1000) {
      this.resumeToken = null;
      this.setPhase('ended');
    } else if (code === 4009) {
      this.resumeToken = null;
      this.setPhase('replaced');
    } else if (code === 4004) {
      this.setPhase('error', { message: 'This Space no longer exists.' });
    } else if (FINAL_CLOSES.has(code)) {
      this.resumeToken = null;
      this.setPhase('error', { message: `The server closed the connection: ${FINAL_CLOSES.get(code)} (${code}${reason ? ` ${reason}` : ''}).` });
    } else if (code === 1013 && refusedAfterSeconds !== null) {
      // `refused`: no place in line after all; its ticket keeps our arrival time.
      this.waitForRoom(this.ticket, refusedAfterSeconds);
    } else {
      // Lost (1006, no close frame), the node going away (1001), evicted as too slow (4008),
      // a race lost after the upgrade (1013), or a code we do not know: come back. An admitted
      // listener comes back with its resume token and gets its held slot (§4.6).
      if (admitted && this.resumeToken) this.droppedAt = Date.now();
      if (admitted || this.phase === 'waiting') this.stats.reconnects += 1;
      this.retryLater(admitted ? 'The connection was lost.' : 'The connection was interrupted.');
    }
  }
}
