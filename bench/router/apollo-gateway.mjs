// Apollo Gateway behind a minimal node:http server, for the router benchmark.
//
//   node apollo-gateway.mjs <supergraph.graphql> <port>
//
// Apollo Server runs the gateway; requests reach it through executeHTTPGraphQLRequest,
// the API Apollo's own integrations use, with no web framework in between.

import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer, HeaderMap } from "@apollo/server";

const [supergraphPath, portText] = process.argv.slice(2);
const silent = { debug() {}, info() {}, warn() {}, error: console.error };

const gateway = new ApolloGateway({ supergraphSdl: readFileSync(supergraphPath, "utf8"), logger: silent });
const apollo = new ApolloServer({ gateway, logger: silent });
await apollo.start();

async function handle(request, body) {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const url = new URL(request.url ?? "/", "http://127.0.0.1");
  return apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: {
      method: request.method.toUpperCase(),
      headers,
      search: url.search,
      body: body.length ? JSON.parse(body) : undefined,
    },
    context: async () => ({}),
  });
}

const server = createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", async () => {
    let result;
    try {
      result = await handle(request, Buffer.concat(chunks).toString("utf8"));
    } catch (error) {
      response.writeHead(400, { "content-type": "application/json" });
      response.end(JSON.stringify({ errors: [{ message: String(error?.message ?? error) }] }));
      return;
    }
    const headers = Object.fromEntries(result.headers);
    if (result.body.kind !== "complete") {
      response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify({ errors: [{ message: "incremental delivery is not served here" }] }));
      return;
    }
    headers["content-length"] = Buffer.byteLength(result.body.string);
    response.writeHead(result.status ?? 200, headers);
    response.end(result.body.string);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portText), "127.0.0.1");
