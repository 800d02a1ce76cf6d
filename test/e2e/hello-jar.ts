// A jar built at test time with the host's JDK and served over HTTP, so that java jobs fetch it
// through their artifact block exactly as a user's build would be fetched.
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from '../../src/drivers/isolation/host-tools.js';

/** Prints its first argument, then stays up until stopped (a service). */
const HELLO_JAVA = `public class Hello {
  public static void main(String[] args) throws Exception {
    System.out.println(args.length > 0 ? args[0] : "no word");
    System.out.flush();
    while (true) Thread.sleep(60_000);
  }
}
`;

export interface ServedJar {
  url: string;
  close(): void;
}

/** Why a jar cannot be built here, or null when javac, jar and java are all present. */
export function jdkMissing(): string | null {
  const missing = ['javac', 'jar', 'java'].filter((t) => !findExecutable(t));
  return missing.length > 0 ? `no JDK here (missing ${missing.join(', ')})` : null;
}

export async function buildAndServeHelloJar(): Promise<ServedJar> {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-hello-jar-'));
  writeFileSync(join(dir, 'Hello.java'), HELLO_JAVA);
  execFileSync('javac', ['Hello.java'], { cwd: dir });
  execFileSync('jar', ['cfe', 'hello.jar', 'Hello', 'Hello.class'], { cwd: dir });
  const server = createServer((req, res) => {
    if (req.url !== '/hello.jar') return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'application/java-archive' });
    createReadStream(join(dir, 'hello.jar')).pipe(res);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hello.jar`,
    close() {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
