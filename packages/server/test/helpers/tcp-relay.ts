import { createServer, type Server, Socket } from 'node:net';

/**
 * A TCP relay on 127.0.0.1 that a test owns and can break: the network path between Warden and its database.
 * `cut()` resets every open connection and every new one, as a failing link or a restarting load balancer does;
 * `stall()` silently stops carrying bytes, as a link dropping packets does (nothing is reset, nothing arrives).
 * `restore()` ends either.
 */
export class TcpRelay {
  private readonly pairs = new Set<[Socket, Socket]>();
  private state: 'open' | 'cut' | 'stalled' = 'open';

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static start(target: { host: string; port: number }): Promise<TcpRelay> {
    return new Promise((resolvePromise, reject) => {
      const server = createServer();
      let relay: TcpRelay;
      server.on('connection', (client) => relay.accept(client, target));
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        relay = new TcpRelay(server, (server.address() as { port: number }).port);
        resolvePromise(relay);
      });
    });
  }

  /** How many relayed connections are open now. */
  get openConnections(): number {
    return this.pairs.size;
  }

  cut(): void {
    this.state = 'cut';
    for (const [client, upstream] of this.pairs) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    this.pairs.clear();
  }

  stall(): void {
    this.state = 'stalled';
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  restore(): void {
    const wasStalled = this.state === 'stalled';
    this.state = 'open';
    if (!wasStalled) return;
    // What was held back now flows, late: the bytes of a stalled link arrive once it recovers.
    for (const [client, upstream] of this.pairs) {
      client.pipe(upstream);
      upstream.pipe(client);
    }
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolvePromise) => this.server.close(() => resolvePromise()));
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    if (this.state === 'cut') {
      client.resetAndDestroy();
      return;
    }
    const upstream = new Socket();
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of pair) {
      socket.on('error', end);
      socket.on('close', end);
    }
    upstream.connect(target.port, target.host);
    if (this.state === 'stalled') {
      client.pause();
      upstream.pause();
      return;
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
