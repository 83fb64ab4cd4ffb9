// One fixed-data Federation 2 subgraph for the router benchmark, on 127.0.0.1.
//
//   node server.mjs <users|reviews|products|inventory> <port> [--no-memo]
//
// The schema is tests/router/scenarios/bench/<name>.graphql (the router test scenario of the
// same shape) built with @apollo/subgraph; the data is data.json.
// Parsed and validated documents are cached per query text, and (unless --no-memo)
// whole answers per request body: the data never changes, so neither does the answer,
// and the subgraphs stay cheap next to the gateway being measured.
// GET /stats answers {"requests": N, "memoHits": M} since start.

import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { execute, parse, validate } from "graphql";

const [name, portText, ...flags] = process.argv.slice(2);
const memoEnabled = !flags.includes("--no-memo");
const here = new URL(".", import.meta.url);
const sdl = readFileSync(new URL(`../../../tests/router/scenarios/bench/${name}.graphql`, here), "utf8");
const data = JSON.parse(readFileSync(new URL("data.json", here), "utf8"));

const byKey = (records, key) => new Map(records.map((record) => [record[key], record]));
const users = byKey(data.users, "id");
const products = byKey(data.products, "upc");
const inventory = byKey(data.inventory, "upc");
const reviews = byKey(data.reviews, "id");
const reviewsBy = (field, value) => data.reviews.filter((review) => review[field] === value);

const RESOLVERS = {
  users: {
    Query: {
      me: () => data.users[0],
      users: () => data.users,
      user: (_, { id }) => users.get(id) ?? null,
    },
    User: { __resolveReference: (ref) => users.get(ref.id) ?? null },
  },
  reviews: {
    Query: { review: (_, { id }) => reviews.get(id) ?? null },
    Review: {
      __resolveReference: (ref) => reviews.get(ref.id) ?? null,
      author: (review) => users.get(review.authorId) ?? null,
      product: (review) => ({ upc: review.productUpc }),
    },
    User: { reviews: (user) => reviewsBy("authorId", user.id) },
    Product: { reviews: (product) => reviewsBy("productUpc", product.upc) },
  },
  products: {
    Query: {
      topProducts: (_, { first }) => data.products.slice(0, first),
      product: (_, { upc }) => products.get(upc) ?? null,
    },
    Product: { __resolveReference: (ref) => products.get(ref.upc) ?? null },
  },
  inventory: {
    Product: {
      __resolveReference: (ref) => {
        const record = inventory.get(ref.upc);
        return record ? { ...ref, ...record } : null;
      },
      shippingEstimate: (product) => {
        if (product.price == null || product.weight == null) return null;
        return product.price > 1000 ? 0 : Math.floor(product.weight / 2);
      },
    },
  },
};

if (!(name in RESOLVERS)) {
  console.error(`unknown subgraph ${name}; choose one of ${Object.keys(RESOLVERS).join(", ")}`);
  process.exit(2);
}
const schema = buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers: RESOLVERS[name] }]);

const documents = new Map();
const memo = new Map();
const stats = { requests: 0, memoHits: 0 };

function prepared(query) {
  let entry = documents.get(query);
  if (entry === undefined) {
    let document;
    try {
      document = parse(query);
    } catch (error) {
      return { errors: [{ message: error.message }] };
    }
    const errors = validate(schema, document);
    entry = errors.length ? { errors: errors.map((error) => ({ message: error.message })) } : { document };
    documents.set(query, entry);
  }
  return entry;
}

async function answer(body) {
  let request;
  try {
    request = JSON.parse(body);
  } catch {
    return { status: 400, result: { errors: [{ message: "the body is not JSON" }] } };
  }
  const entry = prepared(String(request.query ?? ""));
  if (entry.errors) return { status: 400, result: { errors: entry.errors } };
  const result = await execute({
    schema,
    document: entry.document,
    variableValues: request.variables ?? undefined,
    operationName: request.operationName ?? undefined,
  });
  return { status: 200, result };
}

function send(response, status, text) {
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

const server = createServer((request, response) => {
  if (request.method === "GET" && request.url === "/stats") {
    send(response, 200, JSON.stringify(stats));
    return;
  }
  if (request.method !== "POST") {
    send(response, 405, JSON.stringify({ errors: [{ message: "POST a GraphQL request" }] }));
    return;
  }
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", async () => {
    stats.requests += 1;
    const body = Buffer.concat(chunks).toString("utf8");
    const cached = memoEnabled ? memo.get(body) : undefined;
    if (cached !== undefined) {
      stats.memoHits += 1;
      send(response, cached.status, cached.text);
      return;
    }
    const { status, result } = await answer(body);
    const text = JSON.stringify(result);
    if (memoEnabled && status === 200 && !result.errors) {
      if (memo.size >= 10000) memo.clear();
      memo.set(body, { status, text });
    }
    send(response, status, text);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portText), "127.0.0.1");
