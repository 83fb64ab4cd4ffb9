"""extras: the badge (non-null) fails for product 3; resolving product 2 fails as a whole."""

from graphql import GraphQLError


def resolve_product(representation):
    if representation["id"] == "2":
        raise GraphQLError("product 2 cannot be resolved here")
    return {"__typename": "Product", **representation}


def badge(product, _info):
    if product["id"] == "3":
        raise GraphQLError("no badge for product 3")
    return f"badge-{product['id']}"


def note(product, _info):
    return f"note-{product['id']}"


RESOLVERS = {"Product.__resolve_reference": resolve_product, "Product.badge": badge, "Product.note": note}
