"""catalog: `product(id)` looks the product up."""


def product(_parent, info, id):
    return info.context["subgraph"].lookup("Product", id=id)


RESOLVERS = {"Query.product": product}
