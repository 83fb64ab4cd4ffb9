"""users: `user(id)` looks the user up in the data."""


def user(_parent, info, id):
    return info.context["subgraph"].lookup("User", id=id)


RESOLVERS = {"Query.user": user}
