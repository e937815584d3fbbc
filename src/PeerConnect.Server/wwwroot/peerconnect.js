// peerconnect.js: browser client for the PeerConnect signaling protocol, version 1 (docs/signaling-protocol.md),
// and a perfect-negotiation helper for RTCPeerConnection. One ES module, no dependencies.

/** WebSocket subprotocol of the JSON encoding. */
export const SUBPROTOCOL = "peerconnect.v1.json";

/** Close code after which reconnecting is pointless: the token was refused. */
const CLOSE_UNAUTHORIZED = 4001;

/** Message types the server does not number; everything else carries the session's next `seq`. */
const UNSEQUENCED = new Set(["welcome", "ping", "pong"]);

/**
 * @typedef {object} SignalingOptions
 * @property {string | (() => (string | Promise<string>))} [accessToken] JWT for servers that require one;
 *   a function is called before every (re)connect so the token can be refreshed.
 * @property {number} [reconnectDelayMs=200] First delay before reconnecting; doubled after each failure.
 * @property {number} [maxReconnectDelayMs=5000] Longest delay between reconnect attempts.
 * @property {number} [ackEvery=16] Acknowledge after this many sequenced messages (heartbeats and outgoing signals also acknowledge).
 * @property {number} [requestTimeoutMs=10000] How long `join` and `leave` wait for the answer.
 */

/**
 * @typedef {object} PeerInfo
 * @property {string} id Session id: the address for `signal`.
 * @property {string} user User id (the session id when anonymous).
 * @property {string} [name] Display name given at join.
 * @property {Object<string, string>} [metadata]
 */

/**
 * A signaling connection: connects to a PeerConnect server, joins rooms, sends signals and dispatches the server's
 * messages as DOM events. When the WebSocket drops it reconnects with backoff and resumes the session (resume token
 * plus the last sequence number seen), so no message is lost or repeated; when the session could not be resumed it
 * rejoins its rooms under a new session id.
 *
 * Events (each a `CustomEvent` whose `detail` is the server message, unless noted):
 * `signal`, `peer-joined`, `peer-left`, `expired`, `error` (a server `error` message);
 * `statechange` (detail: `{state}`); `reconnected` (detail: `{resumed, session}`); `rejoined` (the `joined` answer
 * when a room was joined again under a new session after a resume failed).
 *
 * @example
 * const client = new SignalingClient("wss://example.org/ws");
 * client.addEventListener("signal", (e) => console.log(e.detail.from, e.detail.kind));
 * await client.connect();
 * const members = await client.join("demo", { name: "Alice" });
 */
export class SignalingClient extends EventTarget {
  /** @type {WebSocket | null} */ #socket = null;
  /** @type {string | null} */ #resumeToken = null;
  #lastSeq = 0;
  #sinceAck = 0;
  #nextId = 0;
  #lastHeard = 0;
  #delay = 0;
  /** @type {ReturnType<typeof setInterval> | undefined} */ #heartbeat;
  /** @type {ReturnType<typeof setTimeout> | undefined} */ #retry;
  /** @type {Map<number, {resolve: Function, reject: Function, timer: ReturnType<typeof setTimeout>}>} */
  #pending = new Map();
  /** @type {Map<string, {name?: string, metadata?: Object<string, string>}>} */ #rooms = new Map();
  /** @type {object[]} Client messages waiting for a connection. */ #outbox = [];
  /** @type {{resolve: (welcome: object) => void, reject: (error: Error) => void} | null} Settles connect(). */
  #firstConnect = null;

  /**
   * @param {string | URL} url The server's WebSocket endpoint, e.g. `ws://localhost:5000/ws`.
   * @param {SignalingOptions} [options]
   */
  constructor(url, options = {}) {
    super();
    this.url = new URL(url, globalThis.location?.href);
    this.options = { reconnectDelayMs: 200, maxReconnectDelayMs: 5000, ackEvery: 16, requestTimeoutMs: 10000, ...options };
    this.#delay = this.options.reconnectDelayMs;
    /** @type {"new" | "connecting" | "connected" | "reconnecting" | "closed"} */
    this.state = "new";
    /** @type {string | null} This client's peer id. */
    this.sessionId = null;
    /** @type {RTCIceServer[]} ICE servers the server handed out with its greeting. */
    this.iceServers = [];
    /** How many times the connection was re-established (resumed or not). */
    this.reconnects = 0;
    /** @type {object | null} The latest `welcome` (heartbeat and resume settings). */
    this.welcome = null;
  }

  /** Highest sequence number received on this session. */
  get lastSeq() {
    return this.#lastSeq;
  }

  /**
   * Opens the connection and resolves with the server's `welcome`. Retries with backoff until the server answers;
   * rejects only when the server refuses the access token (close 4001) or `close()` is called first.
   * @returns {Promise<object>}
   */
  connect() {
    if (this.state !== "new") throw new Error("connect() may be called once.");
    this.#setState("connecting");
    return new Promise((resolve, reject) => {
      this.#firstConnect = { resolve, reject };
      this.#open(false).catch(() => this.#dropped(0));
    });
  }

  /**
   * Joins a room (rejoined automatically if the session is ever lost) and resolves with the members already in it.
   * @param {string} room Room id: 1–128 of `A–Z a–z 0–9 - _ . ~ :`.
   * @param {{name?: string, metadata?: Object<string, string>}} [details]
   * @returns {Promise<PeerInfo[]>}
   */
  async join(room, details = {}) {
    const joined = await this.#request({ type: "join", room, ...details });
    this.#rooms.set(room, details);
    return joined.members;
  }

  /**
   * Leaves a room.
   * @param {string} room
   */
  async leave(room) {
    this.#rooms.delete(room);
    await this.#request({ type: "leave", room });
  }

  /**
   * Sends a signal to a peer sharing a room with this client; queued while reconnecting.
   * @param {string} to The peer's session id.
   * @param {"offer"|"answer"|"candidate"|"end-of-candidates"|"renegotiate"|"hangup"|"app"} kind
   * @param {object} [fields] The kind's fields: `{sdp}`, `{candidate}`, `{reason}`, `{data}`.
   * @returns {number} The request id the server echoes as `ref` in an error or expiry notice about this signal.
   */
  signal(to, kind, fields = {}) {
    const id = ++this.#nextId;
    this.#send({ type: "signal", id, to, kind, ...fields });
    return id;
  }

  /** Closes normally: the server ends the session at once and peers see `peer-left` with reason `closed`. */
  close() {
    if (this.state === "closed") return;
    this.#setState("closed");
    this.#firstConnect?.reject(new Error("The client was closed before it connected."));
    this.#firstConnect = null;
    clearTimeout(this.#retry);
    this.#stopHeartbeat();
    this.#socket?.close(1000, "bye");
    this.#socket = null;
    this.#failPending(new Error("The client is closed."));
  }

  /** @param {boolean} resume */
  async #open(resume) {
    const url = new URL(this.url);
    const token = typeof this.options.accessToken === "function" ? await this.options.accessToken() : this.options.accessToken;
    if (token) url.searchParams.set("access_token", token);
    if (resume && this.#resumeToken) {
      url.searchParams.set("resume", this.#resumeToken);
      url.searchParams.set("lastSeq", String(this.#lastSeq));
    }
    if (this.state === "closed") return;

    const socket = new WebSocket(url, SUBPROTOCOL);
    this.#socket = socket;
    socket.onmessage = (event) => socket === this.#socket && this.#receive(event.data);
    socket.onclose = (event) => socket === this.#socket && this.#dropped(event.code);
  }

  /** @param {string} text */
  #receive(text) {
    this.#lastHeard = Date.now();
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return; // Not ours to interpret; the protocol only ever sends JSON objects on this subprotocol.
    }

    switch (message.type) {
      case "welcome":
        this.#welcome(message);
        return;
      case "ping":
        this.#write({ type: "pong", ack: this.#lastSeq });
        return;
      case "pong":
        return;
    }
    if (UNSEQUENCED.has(message.type) || typeof message.seq !== "number") return;

    // A resume replays only what is newer than lastSeq; this guards against seeing anything twice regardless.
    if (message.seq <= this.#lastSeq) return;
    this.#lastSeq = message.seq;
    if (++this.#sinceAck >= this.options.ackEvery) {
      this.#sinceAck = 0;
      this.#write({ type: "ack", through: this.#lastSeq });
    }
    this.#dispatch(message);
  }

  /** @param {any} welcome */
  #welcome(welcome) {
    const first = this.sessionId === null;
    const resumed = welcome.resumed === true;
    if (!resumed) {
      // A new session numbers from scratch; requests sent on the old one will never be answered.
      this.#lastSeq = welcome.seq ?? 0;
      if (!first) this.#failPending(new Error("The session expired before it could be resumed."));
    }
    this.sessionId = welcome.session;
    this.#resumeToken = welcome.resumeToken;
    this.iceServers = welcome.iceServers ?? [];
    this.welcome = welcome;
    this.#sinceAck = 0;
    this.#delay = this.options.reconnectDelayMs;
    this.#startHeartbeat(welcome.heartbeatMs, welcome.idleTimeoutMs);
    this.#setState("connected");

    if (first) {
      this.#firstConnect?.resolve(welcome);
      this.#firstConnect = null;
    } else {
      this.reconnects++;
      if (!resumed) {
        for (const [room, details] of this.#rooms) {
          this.#request({ type: "join", room, ...details })
            .then((joined) => this.dispatchEvent(new CustomEvent("rejoined", { detail: joined })))
            .catch(() => {});
        }
      }
      this.dispatchEvent(new CustomEvent("reconnected", { detail: { resumed, session: welcome.session } }));
    }
    const queued = this.#outbox.splice(0);
    for (const message of queued) this.#send(message);
  }

  /** @param {any} message */
  #dispatch(message) {
    const answered = message.type === "joined" || message.type === "left" || message.type === "error";
    if (answered && typeof message.ref === "number" && this.#pending.has(message.ref)) {
      const { resolve, reject, timer } = this.#pending.get(message.ref);
      this.#pending.delete(message.ref);
      clearTimeout(timer);
      if (message.type === "error") reject(Object.assign(new Error(message.message), { code: message.code }));
      else resolve(message);
    }
    if (["signal", "peer-joined", "peer-left", "expired", "error"].includes(message.type)) {
      this.dispatchEvent(new CustomEvent(message.type, { detail: message }));
    }
  }

  /** @param {number} code */
  #dropped(code) {
    this.#socket = null;
    this.#stopHeartbeat();
    if (this.state === "closed") return;
    if (code === CLOSE_UNAUTHORIZED) {
      const error = Object.assign(new Error("The server refused the access token."), { code: "unauthorized" });
      this.#setState("closed");
      this.#failPending(error);
      this.#firstConnect?.reject(error);
      this.#firstConnect = null;
      return;
    }
    this.#setState(this.sessionId === null ? "connecting" : "reconnecting");
    const delay = this.#delay;
    this.#delay = Math.min(this.#delay * 2, this.options.maxReconnectDelayMs);
    // A little jitter keeps a crowd of clients from returning in lockstep after a server restart.
    this.#retry = setTimeout(() => this.#open(true).catch(() => this.#dropped(0)), delay * (0.8 + Math.random() * 0.4));
  }

  /** @param {number} heartbeatMs @param {number} idleTimeoutMs */
  #startHeartbeat(heartbeatMs, idleTimeoutMs) {
    this.#stopHeartbeat();
    this.#heartbeat = setInterval(() => {
      if (Date.now() - this.#lastHeard > idleTimeoutMs) {
        // The server went silent: treat the path as dead rather than wait for TCP to notice.
        const socket = this.#socket;
        this.#dropped(0);
        socket?.close();
        return;
      }
      this.#write({ type: "ping", ack: this.#lastSeq });
    }, heartbeatMs);
  }

  #stopHeartbeat() {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  /** @param {object} message @returns {Promise<any>} */
  #request(message) {
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`No answer to '${message.type}' within ${this.options.requestTimeoutMs} ms.`));
      }, this.options.requestTimeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#send({ ...message, id });
    });
  }

  /** Sends now when connected, else after the next `welcome`. @param {object} message */
  #send(message) {
    if (this.state === "closed") throw new Error("The client is closed.");
    if (this.state !== "connected" || !this.#write(message)) this.#outbox.push(message);
  }

  /** @param {object} message @returns {boolean} whether the frame was handed to an open socket */
  #write(message) {
    if (this.#socket?.readyState !== WebSocket.OPEN) return false;
    if (message.type === "signal" && this.#sinceAck > 0) {
      // The acknowledgement rides on the signal: the server forgets sooner and no ack frame is needed.
      message = { ...message, ack: this.#lastSeq };
      this.#sinceAck = 0;
    }
    this.#socket.send(JSON.stringify(message));
    return true;
  }

  /** @param {Error} error */
  #failPending(error) {
    for (const { reject, timer } of this.#pending.values()) {
      clearTimeout(timer);
      reject(error);
    }
    this.#pending.clear();
  }

  /** @param {SignalingClient["state"]} state */
  #setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("statechange", { detail: { state } }));
  }
}

/**
 * Perfect negotiation (W3C WebRTC 1.0, §10.7 "Perfect negotiation example") over a {@link SignalingClient}: either
 * side may add tracks or channels at any time; when both offer at once, the polite peer rolls back and answers, the
 * impolite peer ignores the colliding offer. Trickles ICE candidates as they are gathered.
 *
 * @example
 * const negotiator = new PerfectNegotiator(pc, client, peerId, { polite: client.sessionId < peerId });
 * client.addEventListener("signal", (e) => e.detail.from === peerId && negotiator.handle(e.detail));
 */
export class PerfectNegotiator {
  #makingOffer = false;
  #ignoreOffer = false;
  #settingRemoteAnswer = false;
  /** Signals are applied one at a time, in the order they arrived. */
  #queue = Promise.resolve();

  /**
   * @param {RTCPeerConnection} pc
   * @param {SignalingClient} client
   * @param {string} peer The remote peer's session id.
   * @param {{polite: boolean, onError?: (error: unknown) => void}} options `polite` must differ between the two sides.
   */
  constructor(pc, client, peer, { polite, onError = (error) => console.warn("negotiation:", error) }) {
    this.pc = pc;
    this.client = client;
    this.peer = peer;
    this.polite = polite;
    this.onError = onError;

    pc.addEventListener("negotiationneeded", async () => {
      try {
        this.#makingOffer = true;
        await pc.setLocalDescription();
        this.#send("offer", { sdp: pc.localDescription.sdp });
      } catch (error) {
        this.onError(error);
      } finally {
        this.#makingOffer = false;
      }
    });
    pc.addEventListener("icecandidate", ({ candidate }) => {
      if (candidate) this.#send("candidate", { candidate: candidate.toJSON() });
      else this.#send("end-of-candidates");
    });
  }

  /**
   * Applies a signal from the peer: `offer`, `answer`, `candidate`, `end-of-candidates` or `renegotiate`.
   * Other kinds are ignored. Returns when the signal has been applied.
   * @param {{kind: string, sdp?: string, candidate?: RTCIceCandidateInit}} signal
   */
  handle(signal) {
    this.#queue = this.#queue.then(() => this.#apply(signal)).catch((error) => this.onError(error));
    return this.#queue;
  }

  /** Asks for a fresh offer/answer with ICE restart, e.g. after the connection failed. */
  restartIce() {
    this.pc.restartIce();
  }

  /** @param {{kind: string, sdp?: string, candidate?: RTCIceCandidateInit}} signal */
  async #apply(signal) {
    const pc = this.pc;
    if (pc.signalingState === "closed") return;
    switch (signal.kind) {
      case "offer":
      case "answer": {
        // Ready for an offer when stable, or when the only thing in flight is applying the answer to our own offer.
        const readyForOffer = !this.#makingOffer && (pc.signalingState === "stable" || this.#settingRemoteAnswer);
        const collision = signal.kind === "offer" && !readyForOffer;
        this.#ignoreOffer = !this.polite && collision;
        if (this.#ignoreOffer) return;

        this.#settingRemoteAnswer = signal.kind === "answer";
        try {
          // For a polite peer with an offer of its own outstanding, this rolls it back implicitly.
          await pc.setRemoteDescription({ type: signal.kind, sdp: signal.sdp });
        } finally {
          this.#settingRemoteAnswer = false;
        }
        if (signal.kind === "offer") {
          await pc.setLocalDescription();
          this.#send("answer", { sdp: pc.localDescription.sdp });
        }
        return;
      }
      case "candidate":
        try {
          await pc.addIceCandidate(signal.candidate);
        } catch (error) {
          // Candidates of an offer we chose to ignore fail to apply; that is expected.
          if (!this.#ignoreOffer) throw error;
        }
        return;
      case "end-of-candidates":
        if (pc.remoteDescription) await pc.addIceCandidate().catch(() => {});
        return;
      case "renegotiate":
        pc.restartIce();
        return;
    }
  }

  /** @param {string} kind @param {object} [fields] */
  #send(kind, fields) {
    if (this.client.state === "closed") return;
    this.client.signal(this.peer, kind, fields);
  }
}
