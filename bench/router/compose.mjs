// Compose the benchmark's subgraphs into a supergraph with @theguild/federation-composition.
//
//   node compose.mjs <out.graphql> name=url [name=url ...]
//
// Each name's SDL is tests/router/scenarios/bench/<name>.graphql (shared with the router's
// test scenario); the url goes into @join__graph(url:).

import { readFileSync, writeFileSync } from "node:fs";
import { composeServices } from "@theguild/federation-composition";
import { parse } from "graphql";

const [out, ...pairs] = process.argv.slice(2);
const services = pairs.map((pair) => {
  const [name, url] = pair.split("=");
  const sdl = readFileSync(new URL(`../../tests/router/scenarios/bench/${name}.graphql`, import.meta.url), "utf8");
  return { name, url, typeDefs: parse(sdl) };
});
const result = composeServices(services);
if (result.errors?.length) {
  for (const error of result.errors) console.error(error.message);
  process.exit(1);
}
writeFileSync(out, result.supergraphSdl);
