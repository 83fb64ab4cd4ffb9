"""greetings: root fields whose answers depend on their arguments."""


def greet(_parent, _info, name, punctuation):
    # An explicit null reaches the resolver as None: say so, to tell it apart from the default.
    return f"Hello, {'(null)' if name is None else name}{punctuation}"


def numbers(_parent, _info, count):
    return list(range(1, (count or 0) + 1))


RESOLVERS = {"Query.greet": greet, "Query.numbers": numbers}
