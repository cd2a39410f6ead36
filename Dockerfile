# gate06 gateway image: dependencies are built in a full Node image (better-sqlite3 compiles SQLite),
# the runtime is a slim image running as a non-root user. Serial devices are passed in with --device.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci's postinstall step installs the face models (models/fetch-models.ts: the pinned tarball from the npm
# registry, each file's sha256 checked against the manifest); it needs only these files, copied first so the
# layer is rebuilt only when the dependencies or the model pins change.
COPY models/manifest.json models/mesh-manifest.json models/fetch-models.ts ./models/
COPY gateway/face/model-files.ts ./gateway/face/
# npm 10 (Node 20's) does not read package.json's allowScripts, so onnxruntime-node's install script would
# fetch GPU binaries from NuGet; the gateway runs inference on the CPU build that ships in the package.
ENV ONNXRUNTIME_NODE_INSTALL=skip
# A site without face lanes can leave the models out with --build-arg FETCH_MODELS=0.
ARG FETCH_MODELS=1
RUN if [ "$FETCH_MODELS" = "0" ]; then export GATE06_FACE_MODELS=skip; fi; npm ci --omit=dev --no-audit --no-fund
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
