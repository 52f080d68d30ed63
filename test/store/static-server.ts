/** A plain static file server on 127.0.0.1, as a web server, bucket or CDN serves a tiles export. */
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize } from "node:path";

/**
 * Serves the files below `root` under `url` (`http://127.0.0.1:PORT/log/`); `fail` answers a
 * status instead for the paths it names, `token` demands a bearer token. `paths` records what
 * was asked, relative to the prefix.
 */
export async function staticServer(
  root: string,
  options: { fail?: Map<string, number>; token?: string } = {},
): Promise<{ url: string; close: () => Promise<void>; paths: string[] }> {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0] as string).replace(
      /^\/log\//,
      "",
    );
    paths.push(path);
    if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) {
      res.writeHead(401, { "content-type": "text/plain" }).end("token needed\n");
      return;
    }
    const status = options.fail?.get(path);
    if (status !== undefined) {
      res.writeHead(status, { "content-type": "text/plain" }).end("injected failure\n");
      return;
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(root)) {
      res.writeHead(400).end();
      return;
    }
    readFile(file).then(
      (b) => res.writeHead(200, { "content-type": "application/octet-stream" }).end(b),
      () => res.writeHead(404, { "content-type": "text/plain" }).end("not found\n"),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/log/`,
    paths,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
