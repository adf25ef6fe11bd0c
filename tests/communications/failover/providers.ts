/**
 * Local stand-ins for delivery providers that can be killed and restarted on the same port: a
 * real SMTP server (smtp-server) with an HTTP status endpoint, and an HTTP SMS endpoint that
 * honours Idempotency-Key. What each accepted outlives a kill, as a provider's store does; a kill
 * destroys every open connection, so a client mid-request sees the connection drop.
 *
 * `killBeforeAck(n)` makes the provider die right after it stored the n-th next message and
 * before it answers: the ambiguous case a sender must not resolve by sending elsewhere.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface KillableProvider {
  readonly name: string;
  /** Where Herald sends (smtp://… or http://…/messages). */
  readonly url: string;
  /** GET <statusUrl>/<key>: 200 when stored, 404 when not. */
  readonly statusUrl: string;
  /** Every message stored, in order (the Message-ID for email, the idempotency key for SMS): raw arrivals. */
  readonly arrivals: string[];
  /** Requests that carried a key already stored (answered from the store, not sent again). */
  repeats: number;
  readonly up: boolean;
  /** Kills the provider right after it stores the n-th next message, before it answers. */
  killBeforeAck(n: number): void;
  /** Messages stored but never acknowledged (the ambiguous cases this provider produced). */
  readonly unacknowledged: string[];
  kill(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

function tracked(server: http.Server | import('node:net').Server, sockets: Set<Socket>) {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
}

const listen = (server: { listen(port: number, host: string, cb: () => void): unknown; once(event: 'error', cb: (e: Error) => void): unknown }, port: number) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });

function statusServer(has: (key: string) => boolean, prefix: string, sockets: Set<Socket>, onPost?: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void) {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url?.startsWith(`${prefix}/`)) {
      const key = decodeURIComponent(req.url.slice(prefix.length + 1));
      res.writeHead(has(key) ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify({ key, stored: has(key) }));
      return;
    }
    if (req.method === 'POST' && onPost) {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => onPost(req, res, body));
      return;
    }
    res.writeHead(404).end();
  });
  server.keepAliveTimeout = 1_000;
  tracked(server, sockets);
  return server;
}

async function stopHttp(server: http.Server | undefined, sockets: Set<Socket>) {
  if (!server) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  for (const s of sockets) s.destroy();
  await closed;
}

/** A killable SMTP provider: smtp://127.0.0.1:<port>, status at http://127.0.0.1:<statusPort>/status. */
export async function smtpProvider(name: string): Promise<KillableProvider> {
  const store = new Set<string>();
  const arrivals: string[] = [];
  const unacknowledged: string[] = [];
  const sockets = new Set<Socket>();
  let smtp: SMTPServer | undefined;
  let status: http.Server | undefined;
  let port = 0;
  let statusPort = 0;
  let up = false;
  let generation = 0;
  let killIn = 0;
  const self: KillableProvider = {
    name,
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    get statusUrl() {
      return `http://127.0.0.1:${statusPort}/status`;
    },
    arrivals,
    unacknowledged,
    repeats: 0,
    get up() {
      return up;
    },
    killBeforeAck(n) {
      killIn = n;
    },
    async start() {
      const gen = ++generation;
      smtp = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        logger: false,
        onData(stream, _session, callback) {
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            if (gen !== generation || !up) return; // the connection died with the server: nothing was stored
            const raw = Buffer.concat(chunks).toString('latin1');
            const id = /^Message-ID:\s*<([^>\r\n]+)>/im.exec(raw)?.[1] ?? `(no Message-ID ${arrivals.length})`;
            if (store.has(id)) self.repeats++;
            store.add(id);
            arrivals.push(id);
            if (killIn > 0 && --killIn === 0) {
              unacknowledged.push(id);
              void self.kill();
              return;
            }
            callback();
          });
        },
      });
      tracked(smtp.server, sockets);
      await listen(smtp, port);
      port = (smtp.server.address() as AddressInfo).port;
      status = statusServer((k) => store.has(k), '/status', sockets);
      await listen(status, statusPort);
      statusPort = (status.address() as AddressInfo).port;
      up = true;
    },
    async kill() {
      if (!up) return;
      up = false;
      generation++;
      const s = smtp;
      const closed = s ? new Promise<void>((resolve) => s.server.close(() => resolve())) : Promise.resolve();
      for (const sock of sockets) sock.destroy();
      await Promise.all([closed, stopHttp(status, sockets)]);
      smtp = undefined;
      status = undefined;
    },
    close: () => self.kill(),
  };
  await self.start();
  return self;
}

/** A killable SMS provider: POST http://127.0.0.1:<port>/messages with Idempotency-Key; status at /status. */
export async function smsProvider(name: string): Promise<KillableProvider> {
  const store = new Map<string, string>();
  const arrivals: string[] = [];
  const unacknowledged: string[] = [];
  const sockets = new Set<Socket>();
  let server: http.Server | undefined;
  let port = 0;
  let up = false;
  let killIn = 0;
  const self: KillableProvider = {
    name,
    get url() {
      return `http://127.0.0.1:${port}/messages`;
    },
    get statusUrl() {
      return `http://127.0.0.1:${port}/status`;
    },
    arrivals,
    unacknowledged,
    repeats: 0,
    get up() {
      return up;
    },
    killBeforeAck(n) {
      killIn = n;
    },
    async start() {
      server = statusServer((k) => store.has(k), '/status', sockets, (req, res, body) => {
        if (!up) return;
        const key = String(req.headers['idempotency-key'] ?? '');
        if (!key) return void res.writeHead(400).end('{"error":"idempotency-key is required"}');
        let id = store.get(key);
        if (id) self.repeats++;
        else {
          id = `${name}-${store.size + 1}`;
          JSON.parse(body);
          store.set(key, id);
          arrivals.push(key);
          if (killIn > 0 && --killIn === 0) {
            unacknowledged.push(key);
            void self.kill();
            return;
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id }));
      });
      await listen(server, port);
      port = (server.address() as AddressInfo).port;
      up = true;
    },
    async kill() {
      if (!up) return;
      up = false;
      const s = server;
      server = undefined;
      await stopHttp(s, sockets);
    },
    close: () => self.kill(),
  };
  await self.start();
  return self;
}
