# Vuurtoren: the service (AMI client, routing, store, dashboard) in one image.
# The web assets it serves itself (Chart.js) come from npm at build time, never at run time.
FROM node:20-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    VUURTOREN_DATA_DIR=/var/lib/vuurtoren

WORKDIR /app
COPY pyproject.toml README.md ./
COPY callcenter ./callcenter
COPY routing ./routing
COPY schedules ./schedules
COPY dashboard ./dashboard
COPY --from=assets /assets/node_modules/chart.js/dist/chart.umd.min.js ./dashboard/static/vendor/
RUN pip install . && useradd --system --home /var/lib/vuurtoren --create-home vuurtoren

USER vuurtoren
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"
ENTRYPOINT ["vuurtoren"]
CMD ["serve", "--config", "/etc/vuurtoren/site.toml", "--listen", "127.0.0.1:8080"]
