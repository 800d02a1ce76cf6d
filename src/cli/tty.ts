// Whether a stream is a terminal (the default of alloc exec -t).
export function isTty(stream: NodeJS.ReadableStream | NodeJS.WritableStream): boolean {
  return Boolean((stream as { isTTY?: boolean }).isTTY);
}
