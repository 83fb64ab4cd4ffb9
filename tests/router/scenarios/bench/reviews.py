"""reviews: `review(id)` looks the review up in the data."""


def review(_parent, info, id):
    return info.context["subgraph"].lookup("Review", id=id)


RESOLVERS = {"Query.review": review}
