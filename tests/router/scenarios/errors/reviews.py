"""reviews: a warning that fails for product 2 (with an error code), and ratings below zero
that fail (rating is non-null, so the failure nulls the review and then its list)."""

from graphql import GraphQLError


def warnings(product, _info):
    if product["id"] == "2":
        raise GraphQLError("warnings unavailable", extensions={"code": "WARNINGS_UNAVAILABLE"})
    return None


def rating(review, _info):
    if review["rating"] < 0:
        raise GraphQLError("invalid rating")
    return review["rating"]


RESOLVERS = {"Product.warnings": warnings, "Review.rating": rating}
