// Does each supergraph load and answer `{ __typename }` in Apollo Gateway and in Hive Gateway?
//   node load.mjs <in.json> <out.json>
// in.json: [{ "id": "...", "supergraph": "..." }]; out.json: { id: { apollo: "ok" | "error: ...", hive: ... } }.
import { readFile, writeFile } from 'node:fs/promises';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { createGatewayRuntime } from '@graphql-hive/gateway';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const QUERY = '{ __typename }';

async function apollo(supergraphSdl) {
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl, logger: silent }), logger: silent });
  try {
    await server.start();
    const response = await server.executeOperation({ query: QUERY });
    const result = response.body.singleResult;
    return result.errors ? `error: ${result.errors[0].message}` : 'ok';
  } catch (error) {
    return `error: ${error.message}`;
  } finally {
    await server.stop().catch(() => {});
  }
}

async function hive(supergraph) {
  let gateway;
  try {
    gateway = createGatewayRuntime({ supergraph, logging: false, maskedErrors: false });
    const response = await gateway.fetch('http://127.0.0.1/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: QUERY }),
    });
    const body = await response.json();
    return body.errors ? `error: ${body.errors[0].message}` : 'ok';
  } catch (error) {
    return `error: ${error.message}`;
  } finally {
    if (gateway) await Promise.resolve(gateway[Symbol.asyncDispose]()).catch(() => {});
  }
}

const [input, output] = process.argv.slice(2);
const entries = JSON.parse(await readFile(input, 'utf8'));
const results = {};
for (const { id, supergraph } of entries) {
  results[id] = { apollo: await apollo(supergraph), hive: await hive(supergraph) };
}
await writeFile(output, JSON.stringify(results, null, 2) + '\n');
