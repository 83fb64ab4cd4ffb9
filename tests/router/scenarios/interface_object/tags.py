"""tags: every item is tagged with its kind of id and a shared tag."""


def tags(item, _info):
    return ["article" if item["id"].startswith("a") else "video", "federation"]


RESOLVERS = {"Item.tags": tags}
