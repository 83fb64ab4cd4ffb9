"""publishing: a book's slug is made from its title, which the router provides (@requires)."""


def slug(book, _info):
    return "-".join(book["title"].lower().split())


RESOLVERS = {"Book.slug": slug}
