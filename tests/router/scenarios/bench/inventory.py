"""inventory: the shipping estimate is computed from `price` and `weight`, which the router
provides in the representation (@requires); free shipping above 1000."""


def shipping_estimate(product, _info):
    if product.get("price") is None or product.get("weight") is None:
        return None
    return 0 if product["price"] > 1000 else product["weight"] // 2


RESOLVERS = {"Product.shippingEstimate": shipping_estimate}
