# Carenotes image: the server, the Dramatiq worker and the scheduler are the same image
# with a different command (see docker-compose.yml).
#
# Docker is not run in this workplace: this file is kept correct by reading, and the
# same topology (PostgreSQL + Redis + `carenotes-server serve|worker|scheduler`
# processes) is exercised by the test suite with local processes.
#
# Reproducible: the base image is pinned to an exact tag (add `@sha256:...` from your
# registry to pin its bytes too), and every Python package comes from the hash-locked
# requirements/*.txt (pip --require-hashes): rebuilding next month installs the same
# files, or fails.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

# --- build: the project's wheel, with the locked build backend ------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements/build.txt requirements/build.txt
RUN pip install --require-hashes --no-deps -r requirements/build.txt
# Only what the wheel needs (never .venv, .git, tests or local data). README.md is the
# package's readme in pyproject.toml, so the build needs it.
COPY pyproject.toml README.md ./
COPY protos ./protos
COPY generated ./generated
COPY server ./server
COPY client ./client
RUN pip wheel --no-deps --no-build-isolation --wheel-dir /wheels .

# --- runtime: locked runtime dependencies, then the wheel without resolving anything --
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements/runtime.txt /tmp/runtime.txt
# psycopg[binary] ships its own libpq, argon2-cffi and cryptography have manylinux
# wheels: no compiler is needed in the slim image.
RUN pip install --require-hashes --no-deps -r /tmp/runtime.txt && rm /tmp/runtime.txt
COPY --from=build /wheels /wheels
RUN pip install --no-deps /wheels/*.whl && rm -rf /wheels

# Run as an unprivileged user. The data directory is only used by the embedded mode
# (SQLite and generated secrets); production keeps its state in PostgreSQL.
RUN useradd --system --uid 10001 --create-home --home-dir /home/carenotes carenotes \
    && mkdir -p /var/lib/carenotes \
    && chown carenotes:carenotes /var/lib/carenotes \
    && chmod 0700 /var/lib/carenotes
USER carenotes
WORKDIR /home/carenotes
# In a container the port must be reachable from outside it: listen on every
# interface (the code's default, 127.0.0.1, would only answer inside the container).
ENV CARENOTES_DATA_DIR=/var/lib/carenotes \
    CARENOTES_LISTEN=0.0.0.0:50051

EXPOSE 50051
CMD ["carenotes-server", "serve"]
