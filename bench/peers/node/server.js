// Node socket.io peer with @socket.io/redis-adapter and the `redis` client.
//
// Same semantics as every peer: `join` (acknowledged) puts the socket in one room; `msg` with a
// text is emitted to the socket's room, the sender included. The Redis adapter delivers to this
// node's members directly and to other nodes' members through Redis pub/sub.
//
//   node server.js --host 127.0.0.1 --port 8001 --redis-url redis://127.0.0.1:6379/0
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");
const { createClient } = require("redis");
const { createAdapter } = require("@socket.io/redis-adapter");

function parseArgs(argv) {
  const opts = { host: "127.0.0.1", port: 0, redisUrl: "" };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (key === "--host") opts.host = value;
    else if (key === "--port") opts.port = Number(value);
    else if (key === "--redis-url") opts.redisUrl = value;
    else throw new Error(`unknown argument ${key}`);
  }
  if (!opts.port || !opts.redisUrl) throw new Error("--port and --redis-url are required");
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv);
  const pubClient = createClient({ url: opts.redisUrl });
  const subClient = pubClient.duplicate();
  pubClient.on("error", (err) => console.error("redis pub error", err));
  subClient.on("error", (err) => console.error("redis sub error", err));
  await Promise.all([pubClient.connect(), subClient.connect()]);

  const httpServer = http.createServer();
  const io = new Server(httpServer, {
    transports: ["websocket"],
    serveClient: false,
    perMessageDeflate: false,
    adapter: createAdapter(pubClient, subClient),
  });

  io.on("connection", (socket) => {
    socket.on("join", (room, ack) => {
      socket.data.room = String(room);
      socket.join(socket.data.room);
      if (typeof ack === "function") ack("ok");
    });
    socket.on("msg", (text) => {
      const room = socket.data.room;
      if (room !== undefined) io.to(room).emit("msg", text);
    });
  });

  const stop = () => {
    io.close();
    Promise.allSettled([pubClient.quit(), subClient.quit()]).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);

  httpServer.listen({ host: opts.host, port: opts.port, backlog: 4096 }, () => {
    console.log(`listening on ${opts.host}:${opts.port}`);
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
