// The baseline of the exec benchmark: a bare node:http server calling the same handler in-process, as
// fast as a function call over HTTP can be on this machine. `node bare-server.js HANDLER_FILE` prints
// its port.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

const handler = createRequire(import.meta.url)(process.argv[2]);
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', async () => {
    const { input } = JSON.parse(body || '{}');
    const output = await handler({}, input);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ output }));
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
