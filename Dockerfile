# Carenotes image: the server, the Dramatiq worker and the scheduler are the same image
# with a different command (see docker-compose.yml).
#
# Docker is not run in this workplace: this file is kept correct by reading, and the
# same topology (PostgreSQL + Redis + `carenotes-server serve|worker|scheduler`
# processes) is exercised by the test suite with local processes.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# Only what the wheel needs (never .venv, .git, tests or local data). README.md is the
# package's readme in pyproject.toml, so the build needs it.
COPY pyproject.toml README.md ./
COPY protos ./protos
COPY generated ./generated
COPY server ./server
COPY client ./client
# psycopg[binary] ships its own libpq, argon2-cffi and cryptography have manylinux
# wheels: no compiler is needed in the slim image.
RUN pip install . && rm -rf /src

# Run as an unprivileged user. The data directory is only used by the embedded mode
# (SQLite and generated secrets); production keeps its state in PostgreSQL.
RUN useradd --system --uid 10001 --create-home --home-dir /home/carenotes carenotes \
    && mkdir -p /var/lib/carenotes \
    && chown carenotes:carenotes /var/lib/carenotes \
    && chmod 0700 /var/lib/carenotes
USER carenotes
WORKDIR /home/carenotes
ENV CARENOTES_DATA_DIR=/var/lib/carenotes

EXPOSE 50051
CMD ["carenotes-server", "serve"]
