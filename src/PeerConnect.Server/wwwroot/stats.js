// stats.js: what the call page's status panel shows, read from RTCPeerConnection.getStats() (W3C webrtc-stats).

/**
 * @typedef {object} CallStats
 * @property {string | null} localType Candidate type of our side of the selected pair: host, srflx, prflx or relay.
 * @property {string | null} remoteType Candidate type of the peer's side.
 * @property {string | null} protocol udp or tcp.
 * @property {number | null} rttMs Current round-trip time of the selected pair.
 * @property {number | null} inKbps Receive rate over the selected pair since the previous sample.
 * @property {number | null} outKbps Send rate over the selected pair since the previous sample.
 * @property {{width: number, height: number, fps: number, framesDecoded: number} | null} video Inbound video.
 * @property {{timestamp: number, bytesReceived: number, bytesSent: number} | null} sample Pass back as `previous`.
 */

/**
 * Summarises the selected candidate pair and inbound video.
 * @param {RTCPeerConnection} pc
 * @param {CallStats["sample"]} [previous] The `sample` of the previous call, for bitrates.
 * @returns {Promise<CallStats>}
 */
export async function readCallStats(pc, previous = null) {
  const report = await pc.getStats();
  const pair = selectedPair(report);
  const local = pair && report.get(pair.localCandidateId);
  const remote = pair && report.get(pair.remoteCandidateId);
  const video = [...report.values()].find((s) => s.type === "inbound-rtp" && s.kind === "video");

  const sample = pair ? { timestamp: pair.timestamp, bytesReceived: pair.bytesReceived ?? 0, bytesSent: pair.bytesSent ?? 0 } : null;
  const seconds = sample && previous ? (sample.timestamp - previous.timestamp) / 1000 : 0;
  const kbps = (/** @type {number} */ bytes) => (seconds > 0 ? (bytes * 8) / 1000 / seconds : null);

  return {
    localType: local?.candidateType ?? null,
    remoteType: remote?.candidateType ?? null,
    protocol: local?.protocol ?? null,
    rttMs: typeof pair?.currentRoundTripTime === "number" ? pair.currentRoundTripTime * 1000 : null,
    inKbps: sample && previous ? kbps(sample.bytesReceived - previous.bytesReceived) : null,
    outKbps: sample && previous ? kbps(sample.bytesSent - previous.bytesSent) : null,
    video: video
      ? { width: video.frameWidth ?? 0, height: video.frameHeight ?? 0, fps: video.framesPerSecond ?? 0, framesDecoded: video.framesDecoded ?? 0 }
      : null,
    sample,
  };
}

/**
 * The pair ICE selected: named by the transport, or failing that the nominated, succeeded pair.
 * @param {RTCStatsReport} report
 */
export function selectedPair(report) {
  for (const stats of report.values()) {
    if (stats.type === "transport" && stats.selectedCandidatePairId) return report.get(stats.selectedCandidatePairId);
  }
  return [...report.values()].find((s) => s.type === "candidate-pair" && s.nominated && s.state === "succeeded") ?? null;
}

/** Formats a bitrate for people: "850 kbit/s", "1.4 Mbit/s". @param {number | null} kbps */
export function formatRate(kbps) {
  if (kbps === null) return "–";
  return kbps >= 1000 ? `${(kbps / 1000).toFixed(1)} Mbit/s` : `${Math.round(kbps)} kbit/s`;
}
