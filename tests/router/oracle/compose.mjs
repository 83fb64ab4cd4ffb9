// The composition oracle: compose each set of subgraph SDLs with @theguild/federation-composition
// and write what it produced, a supergraph and its API schema or the composition errors.
// Composition only: no gateway runs and no subgraph is served.
//
// usage: node compose.mjs <manifest.json> <results.json>
//
// manifest: {"cases": [{"id", "subgraphs": [{"name", "url", "sdl"}]}]}
// results:  {"versions": {...}, "cases": {id: Outcome}}
// where Outcome is one of
//   {"supergraphSdl", "apiSdl"}                 composed
//   {"errors": [{"code", "message"}]}           refused by composition
//   {"parseError": message}                     a subgraph is not GraphQL; never composed
//   {"thrown": message}                         the composer itself threw

import { readFile, writeFile } from 'node:fs/promises';
import { parse } from 'graphql';
import { composeServices } from '@theguild/federation-composition';

// Read from node_modules directly: some packages do not export their package.json.
const versionOf = async (name) =>
  JSON.parse(await readFile(new URL(`node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;

/** The composer takes parsed documents: a syntax error stops here, before composition. */
function parseSubgraphs(subgraphs) {
  return subgraphs.map(({ name, url, sdl }) => {
    try {
      return { name, url, typeDefs: parse(sdl) };
    } catch (error) {
      throw new Error(`[${name}] ${error.message}`);
    }
  });
}

function composeCase(entry) {
  let services;
  try {
    services = parseSubgraphs(entry.subgraphs);
  } catch (error) {
    return { parseError: error.message };
  }
  let composed;
  try {
    composed = composeServices(services);
  } catch (error) {
    // The message only: a stack names this machine's paths.
    return { thrown: String(error?.message ?? error) };
  }
  if (composed.errors) {
    return {
      errors: composed.errors.map((error) => ({
        code: error.extensions?.code ?? null,
        message: error.message,
      })),
    };
  }
  return { supergraphSdl: composed.supergraphSdl, apiSdl: composed.publicSdl };
}

const [manifestPath, resultsPath] = process.argv.slice(2);
const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
const results = {
  versions: Object.fromEntries(
    await Promise.all(
      ['@theguild/federation-composition', 'graphql'].map(async (name) => [name, await versionOf(name)]),
    ),
  ),
  cases: {},
};
for (const entry of manifest.cases) {
  results.cases[entry.id] = composeCase(entry);
}
await writeFile(resultsPath, JSON.stringify(results));
