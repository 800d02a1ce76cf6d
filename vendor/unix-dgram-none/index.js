// hot-shots loads this only for its "uds" protocol, which the agent never configures; failing to
// load says plainly that Unix datagram sockets are not available.
throw new Error('unix-dgram is not installed: StatsD over Unix datagram sockets is not available');
