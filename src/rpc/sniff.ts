// Names what a peer sent when its first bytes are not ours, for the one log line that says why
// its connection was closed.

const HTTP_REQUEST_LINE = /^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE) \S+( HTTP\/[\d.]+)?/;

export function describeForeignBytes(first: Uint8Array): string {
  const b0 = first[0] as number;
  if (b0 === 0x16 && first[1] === 0x03) return 'a TLS handshake without the TLS byte before it (TLS client on a plain RPC port?)';
  const head = printablePrefix(first);
  const request = HTTP_REQUEST_LINE.exec(head);
  if (request) return `an HTTP request on the RPC port ("${request[0].slice(0, 80)}")`;
  return `unknown protocol byte 0x${b0.toString(16).padStart(2, '0')}`;
}

function printablePrefix(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length && i < 120; i++) {
    const c = bytes[i] as number;
    if (c < 0x20 || c > 0x7e) break;
    s += String.fromCharCode(c);
  }
  return s;
}
