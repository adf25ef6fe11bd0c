/**
 * Runs the real server as an operator does (`npm start`, or node directly) on a free port with
 * PGlite in a folder of its own and no demo, and reads its log lines as they come.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Server {
  child: ChildProcess;
  port: number;
  url: string;
  /** Every stdout and stderr line so far; JSON lines parsed. */
  lines: (Record<string, unknown> | string)[];
  /** Resolves with the first line that matches. */
  line(match: (l: Record<string, unknown> | string) => boolean, timeoutMs?: number): Promise<Record<string, unknown> | string>;
  /** Resolves when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** The pid of the node process that runs the server (the child itself, or npm's child). */
  nodePid(): number;
}

export async function startServer(options: { npm?: boolean; dataDir: string; env?: Record<string, string | undefined> }): Promise<Server> {
  const port = await freePort();
  const env: Record<string, string | undefined> = { ...process.env, PORT: String(port), HOST: '127.0.0.1', HERALD_DATA_DIR: options.dataDir, HERALD_DEMO: 'false', LOG_LEVEL: 'info', DATABASE_URL: '', REDIS_URL: '', SMTP_URL: '', ...options.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = options.npm
    ? spawn('npm', ['start', '--silent'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: (Record<string, unknown> | string)[] = [];
  const waiters: { match: (l: Record<string, unknown> | string) => boolean; resolve: (l: Record<string, unknown> | string) => void }[] = [];
  const push = (text: string) => {
    let l: Record<string, unknown> | string = text;
    try {
      l = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // a plain line (npm, console.log)
    }
    lines.push(l);
    for (const w of [...waiters]) {
      if (!w.match(l)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(l);
    }
  };
  // the pipes are read to the end, so a full pipe never blocks the server's synchronous log writes
  for (const stream of [child.stdout!, child.stderr!]) {
    let buffer = '';
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const p of parts) if (p.trim()) push(p);
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  const line: Server['line'] = (match, timeoutMs = 240_000) => {
    const found = lines.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; last lines:\n${lines.slice(-15).map((l) => JSON.stringify(l)).join('\n')}`)), timeoutMs);
      waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`the server exited; last lines:\n${lines.slice(-15).map((l) => JSON.stringify(l)).join('\n')}`));
      });
    });
  };
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    lines,
    line,
    exited,
    nodePid() {
      if (!options.npm) return child.pid!;
      // npm → node (the script execs it; a shell in between would be skipped over here)
      const descendants = (pid: number): number[] => {
        const out: number[] = [];
        for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
          const children = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
          for (const c of children ? children.split(/\s+/).map(Number) : []) out.push(c, ...descendants(c));
        }
        return out;
      };
      const node = descendants(child.pid!).find((pid) => {
        const [argv0, ...args] = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        // npm start runs the compiled server (dist/api/main.js); npm run dev the TypeScript one
        return path.basename(argv0) === 'node' && (args.includes('dist/api/main.js') || args.includes('api/main.ts'));
      });
      if (!node) throw new Error('no node process running dist/api/main.js under npm');
      return node;
    },
  };
}

export const running = (l: Record<string, unknown> | string) => typeof l === 'object' && typeof l.msg === 'string' && l.msg.startsWith('Herald is running');

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
