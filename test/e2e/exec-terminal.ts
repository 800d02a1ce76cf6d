// The exec WebSocket with a terminal: sets its size and waits until `stty size` in the task reads
// it back (the resize went all the way to the task, wherever it runs).
import WebSocket from 'ws';

export function terminalSizeSeen(execUrl: string, rows: number, cols: number, boundMs = 20_000): Promise<void> {
  const command = encodeURIComponent(JSON.stringify(['/bin/sh', '-c', 'while true; do stty size; sleep 0.1; done']));
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${execUrl.replace(/^http/, 'ws')}&task=t&tty=true&command=${command}`);
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no "${rows} ${cols}" from the terminal within ${boundMs} ms: ${JSON.stringify(seen)}`)), boundMs);
    ws.on('open', () => ws.send(JSON.stringify({ tty_size: { height: rows, width: cols } })));
    ws.on('message', (m) => {
      const data = (JSON.parse(m.toString()) as { stdout?: { data?: string } }).stdout?.data;
      if (data) seen += Buffer.from(data, 'base64').toString();
      if (seen.includes(`${rows} ${cols}`)) {
        clearTimeout(timer);
        ws.close();
        resolve();
      }
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
