"""weather: temperatures by city (unknown cities are null) and a forecast `days` long."""

TEMPERATURES = {"Oslo": -3.5, "Lisbon": 17.25, "Cairo": 30}
SUMMARIES = ["sunny", "cloudy", "rain", None, "snow"]


def temperature(_parent, _info, city):
    return TEMPERATURES.get(city)


def forecast(_parent, _info, days):
    return [{"day": d + 1, "summary": SUMMARIES[d % len(SUMMARIES)]} for d in range(days)]


RESOLVERS = {"Query.temperature": temperature, "Query.forecast": forecast}
