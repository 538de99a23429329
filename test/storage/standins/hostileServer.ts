import type { AddressInfo } from "node:net";
import { createServer, type Socket } from "node:net";

/** More than any limit, less than would hurt the machine if a limit were missing: what an endless body stops at. */
export const ENDLESS_CAP = 256 * 1024 * 1024;

/**
 * How the hostile server answers one request. Written by hand on the socket,
 * so it can say what a well-behaved HTTP server never would: a Content-Length
 * that lies, a body without end.
 */
export interface HostileAnswer {
  readonly status: number;
  /** Header lines, sent as given (no Content-Length is added). */
  readonly headers?: Readonly<Record<string, string>>;
  /** A fixed body, or one that never ends (until ENDLESS_CAP bytes or the client hangs up). */
  readonly body: Uint8Array | "endless";
  /** Frame the body with chunked transfer coding (the usual way to send a body of unknown length). */
  readonly chunked?: boolean;
}

export interface HostileServer {
  readonly url: string;
  /** Request paths, in the order they came. */
  readonly requests: string[];
  /** Body bytes the server handed to the socket: what a client that stops reading never lets grow. */
  sent(): number;
  close(): Promise<void>;
}

const CHUNK = Buffer.alloc(64 * 1024, 0x61);

/** Ends the body: the last-chunk marker when chunked, else closing the connection says it. */
function finish(socket: Socket, chunked: boolean | undefined): void {
  if (chunked === true) socket.end("0\r\n\r\n");
  else socket.end();
}

function answer(socket: Socket, reply: HostileAnswer, count: (n: number) => void): void {
  const head = [
    `HTTP/1.1 ${reply.status} Hostile`,
    ...Object.entries(reply.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
  ];
  if (reply.chunked === true) head.push("Transfer-Encoding: chunked");
  socket.write(`${head.join("\r\n")}\r\n\r\n`);
  const frame = (bytes: Uint8Array) => {
    if (reply.chunked === true) socket.write(`${bytes.length.toString(16)}\r\n`);
    const flushed = socket.write(bytes);
    if (reply.chunked === true) return socket.write("\r\n");
    return flushed;
  };
  if (reply.body !== "endless") {
    count(reply.body.length);
    frame(reply.body);
    finish(socket, reply.chunked);
    return;
  }
  let sent = 0;
  // Writes until the socket pushes back, then waits for it to drain: the server's own memory stays flat.
  const pump = () => {
    while (!socket.destroyed && sent < ENDLESS_CAP) {
      sent += CHUNK.length;
      count(CHUNK.length);
      if (!frame(CHUNK)) {
        socket.once("drain", pump);
        return;
      }
    }
    if (!socket.destroyed) finish(socket, reply.chunked);
  };
  pump();
}

/** Starts a server on 127.0.0.1 (a free port) that answers every request with `reply(path)`. */
export async function startHostileServer(reply: (path: string) => HostileAnswer): Promise<HostileServer> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  let sent = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // The client hanging up mid-body is the outcome these tests want, not a failure of the server.
    socket.on("error", () => socket.destroy());
    let head = "";
    const onData = (data: Buffer) => {
      head += data.toString("latin1");
      const end = head.indexOf("\r\n\r\n");
      if (end === -1) return;
      socket.off("data", onData);
      const path = head.split(" ")[1] ?? "/";
      requests.push(path);
      answer(socket, reply(path), (n) => {
        sent += n;
      });
    };
    socket.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    sent: () => sent,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
