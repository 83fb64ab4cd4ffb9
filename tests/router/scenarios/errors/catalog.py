"""catalog: root fields that fail, and a field that fails for product 2 only."""

from graphql import GraphQLError


def product(_parent, info, id):
    return info.context["subgraph"].lookup("Product", id=id)


def failing(_parent, _info):
    raise GraphQLError("catalog is having a bad day", extensions={"code": "CATALOG_DOWN"})


def flaky(product, _info):
    if product["id"] == "2":
        raise GraphQLError(f"flaky failed for product {product['id']}")
    return f"flaky ok {product['id']}"


RESOLVERS = {
    "Query.product": product,
    "Query.failingRoot": failing,
    "Query.failingNonNullRoot": failing,
    "Product.flaky": flaky,
}
