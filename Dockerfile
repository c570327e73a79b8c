# Production image of the Studio gateway (and the dev inference stand-in, handy for staging).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin studio-gateway

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /app studio
WORKDIR /app
COPY --from=build /src/target/release/studio-gateway /usr/local/bin/studio-gateway
COPY config ./config
RUN mkdir -p /app/data /app/media && chown -R studio /app
USER studio
ENV STUDIO_ENV=production STUDIO_BIND=0.0.0.0:8000
EXPOSE 8000
CMD ["studio-gateway"]
