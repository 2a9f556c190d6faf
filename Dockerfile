# The portal's image: web, workers and beat run from it with different commands (compose.yaml).
# Not exercised by the test suite on machines without Docker: keep it minimal.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DSR_VAR_DIR=/var/lib/dsr \
    DSR_STATIC_ROOT=/opt/dsr/staticfiles

# WeasyPrint's native libraries, a font for the reports, gettext for the catalogues.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core gettext \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/dsr dsr

WORKDIR /opt/dsr
COPY pyproject.toml constraints.txt README.md ./
COPY accounts accounts
COPY connectors connectors
COPY dsr dsr
COPY locale locale
COPY templates templates
COPY deploy deploy
COPY manage.py ./
RUN pip install -c constraints.txt . \
 && python manage.py compilemessages -v0 \
 && DJANGO_DEBUG=false DJANGO_SECRET_KEY=build DSR_ENCRYPTION_KEY=build DJANGO_ALLOWED_HOSTS=build \
    EMAIL_URL=consolemail:// python manage.py collectstatic --noinput -v0

USER dsr
EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "dsr.wsgi"]
