"""products: `topProducts(first)` is the first `first` products; `product(upc)` a lookup."""


def top_products(_parent, info, first):
    return info.context["subgraph"].records("Product")[:first]


def product(_parent, info, upc):
    return info.context["subgraph"].lookup("Product", upc=upc)


RESOLVERS = {"Query.topProducts": top_products, "Query.product": product}
