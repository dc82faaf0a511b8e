import { createServer, type Server, Socket } from 'node:net';

/**
 * A TCP relay on 127.0.0.1 that a test owns and can cut: the network path between Warden and its database.
 * `cut()` resets every open connection and every new one until `restore()`, as a failing link or a
 * restarting load balancer does.
 */
export class TcpRelay {
  private readonly pairs = new Set<[Socket, Socket]>();
  private isCut = false;

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
    this.isCut = true;
    for (const [client, upstream] of this.pairs) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    this.pairs.clear();
  }

  restore(): void {
    this.isCut = false;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolvePromise) => this.server.close(() => resolvePromise()));
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    if (this.isCut) {
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
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
