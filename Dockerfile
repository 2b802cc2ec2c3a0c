# drift on Debian 12: built with the packages `scripts/install-deps --build` installs, run
# with the libraries `scripts/install-deps --runtime` installs, as a non-root user.
#   docker build -t drift .
#   docker run --rm -v "$PWD/config/example:/etc/drift/config:ro" drift validate -c /etc/drift/config/drift.yaml
FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN scripts/install-deps --build \
 && cmake --preset release -DDRIFT_BUILD_TESTS=OFF \
 && cmake --build --preset release --target drift -j"$(nproc)" \
 && strip build/drift

FROM debian:12-slim
COPY scripts/install-deps /usr/local/lib/drift/install-deps
RUN /usr/local/lib/drift/install-deps --runtime \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 65532 drift \
 && useradd --system --uid 65532 --gid 65532 --home-dir /var/lib/drift --create-home drift
COPY --from=build /src/build/drift /usr/local/bin/drift
# The same user as deploy/kubernetes' runAsUser; state lives on a volume there.
USER 65532:65532
WORKDIR /var/lib/drift
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/drift"]
CMD ["daemon", "--config=/etc/drift/config/drift.yaml"]
