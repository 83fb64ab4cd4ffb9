"""The cart subgraph's GraphQL types. Its domain types arrive with the issue that builds the domain."""

import strawberry

from shared.graphql import federation_schema


@strawberry.type
class Query:
    pass


schema = federation_schema(Query)
