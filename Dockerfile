# Vuurtoren: the service (AMI client, routing, store, dashboard) in one image.
# The web assets it serves itself (Chart.js) come from npm at build time, never at run time.
FROM node:20-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    VUURTOREN_DATA_DIR=/var/lib/vuurtoren

# espeak-ng speaks the prompts that have no recording, sox makes every prompt what Asterisk
# plays (8 kHz mono WAV); libsox-fmt-mp3 reads recordings supplied as MP3
RUN apt-get update && apt-get install -y --no-install-recommends espeak-ng sox libsox-fmt-mp3 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY callcenter ./callcenter
COPY routing ./routing
COPY schedules ./schedules
COPY dashboard ./dashboard
COPY --from=assets /assets/node_modules/chart.js/dist/chart.umd.min.js ./dashboard/static/vendor/
RUN pip install . && useradd --system --home /var/lib/vuurtoren --create-home vuurtoren \
    && install -d -o vuurtoren -g vuurtoren /var/lib/vuurtoren/prompts

USER vuurtoren
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"
ENTRYPOINT ["vuurtoren"]
CMD ["serve", "--config", "/etc/vuurtoren/site.toml", "--listen", "127.0.0.1:8080"]
