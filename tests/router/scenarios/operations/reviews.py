"""reviews: a book's reviews with at least `minStars`, the first `first` of them (all for null)."""


def reviews(book, _info, first, minStars=None):
    found = [r for r in book.get("reviews", []) if minStars is None or r["stars"] >= minStars]
    return found if first is None else found[:first]


RESOLVERS = {"Book.reviews": reviews}
