// The benchmark's peer: a plain Node.js `ws` broadcast server, one room. POST /send with a JSON body broadcasts it
// (serialised once) to every connection; clients' frames are ignored. Usage: node peer.js <port>
const http = require('http');
const { WebSocketServer } = require('ws');

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/send') { res.writeHead(404); res.end(); return; }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    for (const client of wss.clients) client.send(text);
    res.writeHead(200); res.end();
  });
});
const wss = new WebSocketServer({ server, perMessageDeflate: false });
server.listen(Number(process.argv[2]), '127.0.0.1');
