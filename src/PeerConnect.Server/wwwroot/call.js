// call.js: the call page. Opening /?room=NAME in two tabs starts a video call between them.
// Query: room (required to call), name (display name), relay=1 (ICE uses TURN relays only),
// access_token (a JWT, for servers that require one).

import { PerfectNegotiator, SignalingClient } from "./peerconnect.js";
import { formatRate, readCallStats } from "./stats.js";

const params = new URLSearchParams(location.search);
const room = params.get("room");
const relayOnly = params.get("relay") === "1";
const displayName = params.get("name") ?? undefined;
const accessToken = params.get("access_token") ?? undefined;

/** @param {string} id @returns {any} */
const $ = (id) => document.getElementById(id);

/**
 * @typedef {object} Call
 * @property {import("./peerconnect.js").PeerInfo} peer
 * @property {RTCPeerConnection} pc
 * @property {PerfectNegotiator} negotiator
 * @property {RTCDataChannel} channel
 */

/** @type {SignalingClient} */ let client;
/** @type {MediaStream} */ let localStream;
/** @type {RTCIceServer[]} */ let iceServers = [];
/** @type {Call | null} */ let call = null;
/** Everyone else in the room, by session id, in join order. @type {Map<string, import("./peerconnect.js").PeerInfo>} */
const members = new Map();
let hungUp = false;

// For tests and for poking around in the console.
Object.assign(globalThis, { peerconnectCall: { get client() { return client; }, get call() { return call; }, chat: sendChat } });

if (room) {
  start().catch((error) => showBanner(`Could not start the call: ${error.message ?? error}`));
} else {
  showLobby();
}

function showLobby() {
  $("lobby").hidden = false;
  $("lobby-room").value = `room-${Math.random().toString(36).slice(2, 8)}`;
  $("lobby-form").addEventListener("submit", (/** @type {SubmitEvent} */ event) => {
    event.preventDefault();
    location.search = `?room=${encodeURIComponent($("lobby-room").value.trim())}`;
  });
}

async function start() {
  $("call").hidden = false;
  $("room-info").hidden = false;
  $("room-name").textContent = room;
  $("copy-link").addEventListener("click", () => navigator.clipboard?.writeText(location.href));
  wireControls();
  setOverlay("Starting camera and microphone…");

  localStream = await navigator.mediaDevices.getUserMedia({
    audio: true,
    video: { width: { ideal: 1280 }, height: { ideal: 720 } },
  });
  $("local-video").srcObject = localStream;
  for (const id of ["mute", "camera", "hangup"]) $(id).disabled = false;

  const headers = { Accept: "application/json", ...(accessToken && { Authorization: `Bearer ${accessToken}` }) };
  const response = await fetch("api/ice-servers", { headers });
  if (!response.ok) throw new Error(`GET /api/ice-servers answered ${response.status}`);
  iceServers = await response.json();

  const ws = new URL("ws", location.href);
  ws.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  client = new SignalingClient(ws, { accessToken });
  client.addEventListener("statechange", () => {
    console.debug(`signaling ${client.state}`);
    renderSignaling();
  });
  client.addEventListener("reconnected", (/** @type {CustomEvent} */ e) => {
    // Not resumed: we are a new session, so the peer knows us no more; the client rejoins and we call again.
    if (e.detail.resumed) return;
    members.clear();
    endCall("The signaling session expired.");
  });
  client.addEventListener("rejoined", (/** @type {CustomEvent} */ e) => {
    for (const peer of e.detail.members) members.set(peer.id, peer);
    if (!call && e.detail.members.length > 0) startCall(e.detail.members[0]);
  });
  client.addEventListener("peer-joined", (/** @type {CustomEvent} */ e) => {
    // The newcomer makes the first offer; we answer it (see onSignal). Starting both at once would work too,
    // through perfect negotiation, but a collision on the very first offer costs a rollback for nothing.
    members.set(e.detail.peer.id, e.detail.peer);
    if (!call) setOverlay(`${nameOf(e.detail.peer)} is joining…`);
  });
  client.addEventListener("peer-left", (/** @type {CustomEvent} */ e) => {
    members.delete(e.detail.peer);
    if (call?.peer.id === e.detail.peer) endCall(`${nameOf(call.peer)} left the call.`);
  });
  client.addEventListener("signal", (/** @type {CustomEvent} */ e) => onSignal(e.detail));

  setOverlay("Connecting to the server…");
  await client.connect();
  renderSignaling();
  const present = await client.join(room, { name: displayName });
  for (const peer of present) members.set(peer.id, peer);
  if (present.length > 0) startCall(present[0]);
  else setOverlay(`Waiting for someone to join “${room}”. Share this page’s link.`);
  setInterval(renderStats, 1000);
}

/** @param {any} signal */
function onSignal(signal) {
  if (signal.kind === "hangup") {
    if (call?.peer.id === signal.from) endCall(`${nameOf(call.peer)} hung up.`);
    return;
  }
  if (!call && signal.kind === "offer") startCall(members.get(signal.from) ?? { id: signal.from, user: signal.from });
  if (call?.peer.id === signal.from) call.negotiator.handle(signal);
}

/** @param {import("./peerconnect.js").PeerInfo} peer */
function startCall(peer) {
  const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: relayOnly ? "relay" : "all" });
  // Both sides open the same pre-agreed channel, so neither has to be the one that creates it.
  const channel = pc.createDataChannel("chat", { negotiated: true, id: 0 });
  // Either side may offer first; the session ids decide who yields when both do.
  const negotiator = new PerfectNegotiator(pc, client, peer.id, {
    polite: client.sessionId < peer.id,
    onError: (error) => console.debug("negotiation:", error),
  });
  call = { peer, pc, negotiator, channel };

  for (const track of localStream.getTracks()) pc.addTrack(track, localStream);
  pc.addEventListener("track", ({ track, streams }) => {
    const video = $("remote-video");
    video.srcObject = streams[0] ?? new MediaStream([track]);
    video.play().catch(() => {});
  });
  pc.addEventListener("connectionstatechange", () => {
    console.debug(`connection ${pc.connectionState} (ice ${pc.iceConnectionState}, negotiation ${pc.signalingState})`);
    renderStatus();
    if (pc.connectionState === "connected") setOverlay(null);
    if (pc.connectionState === "failed") negotiator.restartIce();
  });
  pc.addEventListener("signalingstatechange", () => {
    console.debug(`negotiation ${pc.signalingState}`);
    renderStatus();
  });
  pc.addEventListener("iceconnectionstatechange", renderStatus);
  // A STUN or TURN server that did not answer, or refused (e.g. 401 for wrong TURN credentials).
  pc.addEventListener("icecandidateerror", (/** @type {RTCPeerConnectionIceErrorEvent} */ e) =>
    console.debug(`ICE server ${e.url}: ${e.errorCode} ${e.errorText}`));

  channel.addEventListener("open", () => setChatEnabled(true));
  channel.addEventListener("close", () => setChatEnabled(false));
  channel.addEventListener("message", (e) => appendChat(nameOf(peer), String(e.data), "theirs"));

  $("remote-tag").textContent = nameOf(peer);
  $("remote-tag").hidden = false;
  setOverlay(`Connecting to ${nameOf(peer)}…`);
  renderStatus();
}

/**
 * Ends the call with the current peer, then calls another member of the room if there is one.
 * @param {string} message Why, for the overlay.
 */
function endCall(message) {
  const ended = call?.peer.id;
  if (call) {
    call.channel.close();
    call.pc.close();
    call = null;
  }
  $("remote-video").srcObject = null;
  $("remote-tag").hidden = true;
  setChatEnabled(false);
  renderStatus();
  if (hungUp) return;
  const next = [...members.values()].find((peer) => peer.id !== ended);
  if (next) startCall(next);
  else setOverlay(`${message} Waiting for someone to join “${room}”.`);
}

function wireControls() {
  $("mute").addEventListener("click", () => toggleTrack("audio", $("mute"), "Mute", "Unmute"));
  $("camera").addEventListener("click", () => {
    const off = toggleTrack("video", $("camera"), "Camera off", "Camera on");
    $("local-camera-off").hidden = !off;
  });
  $("hangup").addEventListener("click", hangUp);
  $("chat-form").addEventListener("submit", (/** @type {SubmitEvent} */ event) => {
    event.preventDefault();
    const input = $("chat-input");
    if (input.value.trim() && sendChat(input.value.trim())) input.value = "";
  });
}

/**
 * Enables or disables our tracks of one kind (the peer then receives silence or black frames).
 * @param {"audio" | "video"} kind @param {HTMLButtonElement} button @param {string} onLabel @param {string} offLabel
 * @returns {boolean} whether the tracks are now off
 */
function toggleTrack(kind, button, onLabel, offLabel) {
  const tracks = kind === "audio" ? localStream.getAudioTracks() : localStream.getVideoTracks();
  const off = tracks.some((t) => t.enabled);
  for (const track of tracks) track.enabled = !off;
  button.setAttribute("aria-pressed", String(off));
  button.querySelector(".label").textContent = off ? offLabel : onLabel;
  return off;
}

function hangUp() {
  hungUp = true;
  if (call) client.signal(call.peer.id, "hangup", { reason: "hung up" });
  endCall("");
  client.close();
  for (const track of localStream.getTracks()) track.stop();
  for (const id of ["mute", "camera", "hangup"]) $(id).disabled = true;
  setOverlay("You left the call. Reload the page to join again.", false);
}

/** Sends a chat message over the data channel. @param {string} text @returns {boolean} whether it was sent */
function sendChat(text) {
  if (call?.channel.readyState !== "open") return false;
  call.channel.send(text);
  appendChat("You", text, "mine");
  return true;
}

/** @param {string} who @param {string} text @param {"mine" | "theirs"} side */
function appendChat(who, text, side) {
  const item = document.createElement("li");
  item.className = side;
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = `${who} · ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`;
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  item.append(meta, body);
  const log = $("chat-log");
  log.append(item);
  log.scrollTop = log.scrollHeight;
}

/** @param {boolean} enabled */
function setChatEnabled(enabled) {
  $("chat-input").disabled = !enabled;
  $("chat-send").disabled = !enabled;
  $("chat-input").placeholder = enabled ? "Message" : "Chat opens when the call connects";
}

/** @param {string | null} message @param {boolean} [busy] */
function setOverlay(message, busy = true) {
  $("remote-overlay").hidden = message === null;
  if (message !== null) $("remote-message").textContent = message;
  $("remote-overlay").querySelector(".spinner").hidden = !busy;
}

/** @param {string} message */
function showBanner(message) {
  $("banner").textContent = message;
  $("banner").hidden = false;
  setOverlay(message, false);
}

/** @param {{id: string, name?: string}} peer */
function nameOf(peer) {
  return peer.name || `Peer ${peer.id.slice(0, 6)}`;
}

const signalingLabels = { new: "Offline", connecting: "Connecting", connected: "Connected", reconnecting: "Reconnecting", closed: "Closed" };

function renderSignaling() {
  const pill = $("signaling-pill");
  pill.dataset.state = client.state;
  pill.textContent = signalingLabels[client.state];
  const resumes = client.reconnects ? ` (reconnected ${client.reconnects}×)` : "";
  $("st-signaling").textContent = `${client.state}${resumes}`;
  $("st-session").textContent = client.sessionId ?? "–";
}

function renderStatus() {
  const pc = call?.pc;
  $("st-negotiation").textContent = pc?.signalingState ?? "–";
  $("st-ice").textContent = pc ? `${pc.iceConnectionState}${relayOnly ? " (relay only)" : ""}` : "–";
}

/** @type {import("./stats.js").CallStats["sample"]} */ let previousSample = null;

async function renderStats() {
  renderStatus();
  if (!call || call.pc.connectionState === "closed") {
    for (const id of ["st-pair", "st-rtt", "st-in", "st-out", "st-video"]) $(id).textContent = "–";
    previousSample = null;
    return;
  }
  const stats = await readCallStats(call.pc, previousSample);
  previousSample = stats.sample;
  $("st-pair").textContent = stats.localType ? `${stats.localType} ↔ ${stats.remoteType} (${stats.protocol})` : "–";
  $("st-pair").dataset.local = stats.localType ?? "";
  $("st-rtt").textContent = stats.rttMs === null ? "–" : `${stats.rttMs.toFixed(stats.rttMs < 10 ? 1 : 0)} ms`;
  $("st-in").textContent = formatRate(stats.inKbps);
  $("st-out").textContent = formatRate(stats.outKbps);
  $("st-video").textContent = stats.video?.width ? `${stats.video.width}×${stats.video.height} at ${Math.round(stats.video.fps)} fps` : "–";
}
