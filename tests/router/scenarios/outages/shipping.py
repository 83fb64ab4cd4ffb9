"""shipping: answers only after 3 s, far past the 500 ms every gateway allows it."""

import asyncio

DELAY_SECONDS = 3


async def slow(value):
    await asyncio.sleep(DELAY_SECONDS)
    return value


def eta(product, _info):
    return slow(f"{product['id']} day(s)")


def carrier_status(_parent, _info):
    return slow("carriers ok")


RESOLVERS = {"Product.eta": eta, "Query.carrierStatus": carrier_status}
