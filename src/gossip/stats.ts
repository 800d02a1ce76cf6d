// Counters the core and driver keep. Plain numbers so that the simulation can sum them cheaply.

export interface CoreCounters {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Packets that failed to decode (garbage, truncated, foreign protocol). */
  badPackets: number;
  /** Well-formed messages we ignored on purpose (ping for another name, address conflict, ...). */
  ignoredMessages: number;
  probes: number;
  probeFailures: number;
  /** Failed probes that accused no one: the target had since changed incarnation or address. */
  staleProbesDropped: number;
  indirectProbes: number;
  tcpFallbackSuccesses: number;
  suspicionsStarted: number;
  refutations: number;
  /** Accusations of an incarnation we had already refuted, answered by repeating our alive. */
  staleAccusationsAnswered: number;
  pushPulls: number;
  /** Push-pulls started because a peer counted more live members than we did for too long. */
  behindRepairs: number;
  membersRejectedFull: number;
  relaysRejectedFull: number;
  eventsDropped: number;
  /** Membership messages handled, by kind (memberlist's msg.alive, msg.suspect, msg.dead). */
  aliveMessages: number;
  suspectMessages: number;
  deadMessages: number;
}

export function newCounters(): CoreCounters {
  return {
    packetsIn: 0,
    packetsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    badPackets: 0,
    ignoredMessages: 0,
    probes: 0,
    probeFailures: 0,
    staleProbesDropped: 0,
    indirectProbes: 0,
    tcpFallbackSuccesses: 0,
    suspicionsStarted: 0,
    refutations: 0,
    staleAccusationsAnswered: 0,
    pushPulls: 0,
    behindRepairs: 0,
    membersRejectedFull: 0,
    relaysRejectedFull: 0,
    eventsDropped: 0,
    aliveMessages: 0,
    suspectMessages: 0,
    deadMessages: 0,
  };
}
