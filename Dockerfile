# The HES image the Helm chart (helm/hes) runs: `docker build -t <registry>/hes:<version> .`, then set
# image.repository and image.tag in the chart's values. One image for every role; `hes start --roles <role>`
# is the chart's container argument. Runs as an unprivileged user; writable paths are /var/lib/hes and /tmp.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts are left out: the build below compiles, and no runtime dependency needs one.
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /var/lib/hes && chown 10001:10001 /var/lib/hes
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["node", "dist/cli/hes.js"]
CMD ["start"]
