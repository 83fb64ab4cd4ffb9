# One image for every Rose Ash service; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY roseash ./roseash
COPY shared ./shared
COPY subgraphs ./subgraphs
COPY router ./router
COPY activitypub ./activitypub
COPY web ./web
COPY migrations ./migrations
COPY schema ./schema
RUN pip install . && useradd --system --uid 10001 roseash
USER roseash

CMD ["roseash", "serve"]
