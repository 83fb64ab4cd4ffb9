// The router corpus's oracle: compose each scenario with @theguild/federation-composition,
// then run every query through Apollo Gateway and Hive Gateway, in-process, against the
// live subgraphs that tests/router/record_oracle.py serves, and write what they answered.
//
// usage: node record.mjs <manifest.json> <results.json>
//
// manifest: {"scenarios": [{"name", "subgraphs": [{"name", "url", "sdl"}], "timeouts": {name: ms},
//            "requestsUrl", "queries": [{"name", "query", "variables"?, "operationName"?}]}]}
// results:  {"versions": {...}, "scenarios": {name: {"supergraphSdl", "apiSdl", "compositionErrors",
//            "queries": {queryName: {"apollo": Result, "hive": Result}}}}}
// where Result is {"status", "body", "fetches": {subgraph: requests}}.

import { readFile, writeFile } from 'node:fs/promises';
import { parse } from 'graphql';
import { composeServices } from '@theguild/federation-composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { createGatewayRuntime } from '@graphql-hive/gateway';

// Subgraphs without a timeout in their scenario get this one: long enough never to fire
// on 127.0.0.1, short enough that a hung subgraph cannot stall the recording.
const DEFAULT_TIMEOUT_MS = 10_000;

// Read from node_modules directly: some packages do not export their package.json.
const versionOf = async (name) =>
  JSON.parse(await readFile(new URL(`node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** Total requests each subgraph has received so far (the kit counts them). */
async function requestCounts(url) {
  const response = await fetch(url);
  return response.json();
}

function difference(after, before) {
  const fetches = {};
  for (const [name, count] of Object.entries(after)) {
    const made = count - (before[name] ?? 0);
    if (made) fetches[name] = made;
  }
  return fetches;
}

function timeoutFor(scenario, subgraphName) {
  return scenario.timeouts?.[subgraphName] ?? DEFAULT_TIMEOUT_MS;
}

async function apolloGateway(scenario, supergraphSdl) {
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger: silent,
    // The same per-subgraph timeouts as Hive's, through the fetch the data source calls.
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource({
        url,
        fetcher: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutFor(scenario, name)) }),
      }),
  });
  const server = new ApolloServer({
    gateway,
    logger: silent,
    introspection: true,
    includeStacktraceInErrorResponses: false,
  });
  await server.start();
  return {
    async run({ query, variables, operationName }) {
      const response = await server.executeOperation({ query, variables, operationName });
      if (response.body.kind !== 'single') throw new Error('incremental delivery is not recorded');
      return { status: response.http.status ?? 200, body: response.body.singleResult };
    },
    stop: () => server.stop(),
  };
}

async function hiveGateway(scenario, supergraphSdl) {
  const gateway = createGatewayRuntime({
    supergraph: supergraphSdl,
    logging: false,
    // Unmasked, the fixtures show why Hive failed where it did; masking changes only the
    // message of unexpected errors, never data or whether there are errors.
    maskedErrors: false,
    upstreamTimeout: ({ subgraphName }) => timeoutFor(scenario, subgraphName),
  });
  return {
    async run({ query, variables, operationName }) {
      const response = await gateway.fetch('http://127.0.0.1/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query, variables, operationName }),
      });
      return { status: response.status, body: await response.json() };
    },
    stop: () => gateway[Symbol.asyncDispose](),
  };
}

/** A gateway that refused the supergraph (Apollo refuses SECURITY features it cannot enforce)
 * answers every query by throwing that refusal, so the fixture records it per query. */
async function started(gateway) {
  try {
    return await gateway;
  } catch (error) {
    return {
      run() {
        throw new Error(`the gateway refused the supergraph: ${error.message}`);
      },
      stop() {},
    };
  }
}

async function recordScenario(scenario) {
  const composed = composeServices(
    scenario.subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })),
  );
  if (composed.errors) {
    return { compositionErrors: composed.errors.map((e) => e.message), queries: {} };
  }
  const gateways = {
    apollo: await started(apolloGateway(scenario, composed.supergraphSdl)),
    hive: await started(hiveGateway(scenario, composed.supergraphSdl)),
  };
  const queries = {};
  try {
    for (const query of scenario.queries) {
      queries[query.name] = {};
      // One query at a time, one gateway at a time: the subgraphs' request counts then
      // belong to this query on this gateway, and stateful hooks (mutations) never interleave.
      for (const [gatewayName, gateway] of Object.entries(gateways)) {
        const before = await requestCounts(scenario.requestsUrl);
        let result;
        try {
          result = await gateway.run(query);
        } catch (error) {
          // The message only: a stack names this machine's paths and changes run to run.
          result = { status: null, body: null, thrown: String(error?.message ?? error) };
        }
        result.fetches = difference(await requestCounts(scenario.requestsUrl), before);
        queries[query.name][gatewayName] = result;
      }
    }
  } finally {
    for (const gateway of Object.values(gateways)) await gateway.stop();
  }
  return {
    supergraphSdl: composed.supergraphSdl,
    apiSdl: composed.publicSdl,
    compositionErrors: [],
    queries,
  };
}

const [manifestPath, resultsPath] = process.argv.slice(2);
const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
const results = {
  versions: Object.fromEntries(
    await Promise.all(
      ['@theguild/federation-composition', '@apollo/gateway', '@apollo/server', '@graphql-hive/gateway',
        '@graphql-hive/gateway-runtime', 'graphql'].map(async (name) => [name, await versionOf(name)]),
    ),
  ),
  scenarios: {},
};
for (const scenario of manifest.scenarios) {
  const started = Date.now();
  results.scenarios[scenario.name] = await recordScenario(scenario);
  console.error(`oracle: ${scenario.name}: ${scenario.queries.length} queries in ${Date.now() - started} ms`);
}
await writeFile(resultsPath, JSON.stringify(results));
