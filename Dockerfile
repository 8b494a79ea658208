# A small image of `stepwise serve`. Not built in this repository's CI (its machines cannot
# pull base images); it is kept simple so that it builds wherever Docker does:
#   docker build -t stepwise --build-arg STEPWISE_COMMIT=$(git rev-parse --short=12 HEAD) .
#   docker run -p 8083:8083 -v stepwise-data:/data stepwise
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# The build script names the commit in `stepwise --version`; `.git` is not in the context.
ARG STEPWISE_COMMIT=""
ENV STEPWISE_COMMIT=${STEPWISE_COMMIT}
RUN cargo build --release --locked -p stepwise \
 && cp target/release/stepwise /stepwise \
 && mkdir /data

# glibc's runtime without a shell or package manager; SQLite is compiled into the binary.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /stepwise /usr/local/bin/stepwise
# The data directory belongs to the image's user, so a fresh volume is writable.
COPY --from=build --chown=65532:65532 /data /data
ENV STEPWISE_BIND=0.0.0.0:8083 \
    STEPWISE_DATA_DIR=/data
VOLUME /data
EXPOSE 8083
USER nonroot
ENTRYPOINT ["/usr/local/bin/stepwise"]
CMD ["serve"]
