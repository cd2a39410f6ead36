# gate06 gateway image: dependencies are built in a full Node image (better-sqlite3 compiles SQLite),
# the runtime is a slim image running as a non-root user. Serial devices are passed in with --device.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm 10 (Node 20's) does not read package.json's allowScripts, so onnxruntime-node's install script would
# fetch GPU binaries from NuGet; the gateway runs inference on the CPU build that ships in the package.
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY cli ./cli
COPY contracts ./contracts
COPY gateway ./gateway
# gate06 face eval / face bench read their tooling from here; the daemon never imports it.
COPY face-eval ./face-eval
COPY drivers ./drivers
COPY collector ./collector
COPY sim ./sim
COPY models ./models
COPY config ./config
COPY seeds ./seeds
COPY tsconfig.json ./
# Face models come from the npm registry and are checked against models/manifest.json; a site without
# face lanes can skip this stage with --build-arg FETCH_MODELS=0.
ARG FETCH_MODELS=1
RUN if [ "$FETCH_MODELS" = "1" ]; then node --import tsx models/fetch-models.ts; fi

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
RUN groupadd --system gate06 && useradd --system --gid gate06 --groups dialout --home-dir /var/lib/gate06 gate06 \
  && mkdir -p /var/lib/gate06 && chown gate06:gate06 /var/lib/gate06
COPY --from=build --chown=root:root /app /app
USER gate06
VOLUME ["/var/lib/gate06"]
EXPOSE 8080
ENTRYPOINT ["node", "/app/bin/gate06.mjs"]
CMD ["gateway", "-c", "/etc/gate06/gateway.yaml"]
